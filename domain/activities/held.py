"""Photos held for a form that came back with errors, so that correcting the form does not mean
choosing the photos again.

- A held photo passed the same checks as an attached one (`photos.clean_image`: type by content,
  size, pixels, metadata removed) before it was written.
- It lives under its uploader's folder (`held/<user id>/<32 hex digits>.<ext>`), and is only ever
  looked up in the folder of the signed-in user: a token copied from someone else's form names
  nothing, so a photo can never be shown to, or attached by, anyone but the one who chose it.
- It expires after `HELD_FOR`; expired files are removed whenever their owner holds another.
- Attaching moves the file into the photo folder under a fresh random name (`take`).

These functions block (disk); the service runs them in a worker thread.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from PIL import Image

from domain import storage
from domain.activities import photos
from domain.errors import ErrorCode, ValidationError

HELD_FOR = timedelta(hours=24)
_CONTENT_TYPES = {kind.extension: kind.content_type for kind in photos.FORMATS.values()}


@dataclass(frozen=True)
class StoredPhoto:
    """A cleaned photo written to the photo folder, ready to become an `ActivityPhoto` row."""

    file_name: str
    content_type: str
    size_bytes: int
    width: int
    height: int


def _folder(user_id: int) -> Path:
    return storage.data_dir() / "held" / str(user_id)


def _expired(path: Path) -> bool:
    return time.time() - path.stat().st_mtime > HELD_FOR.total_seconds()


def hold(user_id: int, image: photos.CleanImage) -> str:
    """Write a cleaned photo for `user_id`; its token (the file name) for the form to carry."""
    folder = _folder(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.*"):
        if old.is_file() and _expired(old):
            old.unlink(missing_ok=True)
    token = f"{secrets.token_hex(16)}.{image.extension}"
    partial = folder / f".{token}.part"
    partial.write_bytes(image.data)
    os.replace(partial, folder / token)
    return token


def path_of(user_id: int, token: str) -> Path | None:
    """The photo `user_id` holds under `token`, or None: not theirs, gone, or expired."""
    if not photos.is_file_name(token):
        return None
    path = _folder(user_id) / token
    if not path.is_file():
        return None
    if _expired(path):
        path.unlink(missing_ok=True)
        return None
    return path


def content_type(token: str) -> str:
    return _CONTENT_TYPES[token.rsplit(".", 1)[-1]]


def take(user_id: int, token: str) -> StoredPhoto:
    """Move a held photo into the photo folder under a fresh name, or refuse a token that names
    no photo `user_id` holds (expired, or never theirs)."""
    path = path_of(user_id, token)
    if path is None:
        raise ValidationError(ErrorCode.INVALID, "照片已过期或不存在，请重新选择", ["file"])
    with Image.open(path) as image:
        width, height = image.size
    size = path.stat().st_size
    file_name = f"{secrets.token_hex(16)}.{token.rsplit('.', 1)[-1]}"
    target = photos.path_of(file_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    return StoredPhoto(file_name, content_type(token), size, width, height)


def discard(user_id: int, token: str) -> None:
    path = path_of(user_id, token)
    if path is not None:
        path.unlink(missing_ok=True)
