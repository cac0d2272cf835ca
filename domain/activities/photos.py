"""Photo files of activities: checked by content, cleaned of metadata, stored under random names.

- At most `MAX_BYTES` (5 MB) per upload, checked before anything is decoded.
- JPEG, PNG or WebP as Pillow reads the bytes. The name the user gave is never trusted, so a
  renamed text file (or a GIF called `.jpg`) is refused.
- At most `MAX_PIXELS` (25 megapixels; a phone photo is 12 at its default setting): a small file
  that would decode to a huge bitmap (a decompression bomb: a 131 KB PNG can declare 40 MP, 160 MB
  of RGBA) is refused from its header, before decoding. Pillow's own bomb check is set to the
  same limit, so nothing else in the process decodes more either.
- At most `MAX_CONCURRENT_DECODES` decodes at once per process (`clean_image_async`), each in a
  worker thread: a burst of uploads waits its turn instead of multiplying the memory, and the
  event loop keeps serving meanwhile.
- The pixels are re-encoded after the EXIF orientation is applied, so no EXIF (the GPS location
  included), XMP or comment travels on; only the ICC colour profile is kept.
- Files are written under `storage.photos_dir()` as `<32 hex digits>.<ext>`; the name says nothing
  about the activity or the uploader and cannot be guessed.

These functions block (decoding, disk); the service runs them in a worker thread (decoding
through `clean_image_async`).
"""

from __future__ import annotations

import asyncio
import io
import re
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image, ImageOps, UnidentifiedImageError

from domain import storage
from domain.activities.errors import ActivityCode
from domain.errors import ValidationError

T = TypeVar("T")

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000
MAX_PHOTOS = 6
# A 25 MP photo decodes to 100 MB of RGBA, and re-encoding holds two or three copies.
MAX_CONCURRENT_DECODES = 2

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above this and refuses above twice this


@dataclass(frozen=True)
class PhotoFormat:
    content_type: str
    extension: str
    save_options: dict[str, Any]


FORMATS: dict[str, PhotoFormat] = {
    "JPEG": PhotoFormat("image/jpeg", "jpg", {"quality": 90}),
    "PNG": PhotoFormat("image/png", "png", {}),
    "WEBP": PhotoFormat("image/webp", "webp", {"quality": 90}),
}
_FILE_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp)")


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _unsupported() -> ValidationError:
    return ValidationError(ActivityCode.UNSUPPORTED_FILE, "只能上传 JPEG、PNG 或 WebP 格式的图片", ["file"])


def _too_many_pixels() -> ValidationError:
    limit = MAX_PIXELS // 1_000_000
    return ValidationError(ActivityCode.IMAGE_TOO_LARGE, f"图片像素过多（上限 {limit} 百万像素）", ["file"])


def clean_image(data: bytes) -> CleanImage:
    """The upload re-encoded without metadata, or a ValidationError saying why it is refused."""
    if len(data) > MAX_BYTES:
        raise ValidationError(ActivityCode.FILE_TOO_LARGE, "每张图片不能超过 5 MB", ["file"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _reencode(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _unsupported() from None


@dataclass
class DecodeGate:
    """At most `limit` decodes at once in this process; `active` and `peak` say how many ran."""

    limit: int
    active: int = 0
    peak: int = 0

    def __post_init__(self) -> None:
        # One semaphore per event loop (an asyncio primitive is bound to the loop that used it).
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def clean(self, data: bytes) -> CleanImage:
        return await self.run(clean_image, data)

    async def run(self, work: Callable[[bytes], T], data: bytes) -> T:
        """`work(data)` in a worker thread once a slot is free (a funding attachment's checks
        share the photos' slots: both decode untrusted files)."""
        async with self._semaphore():
            self.active += 1
            self.peak = max(self.peak, self.active)
            try:
                return await asyncio.to_thread(work, data)
            finally:
                self.active -= 1


decodes = DecodeGate(MAX_CONCURRENT_DECODES)


async def clean_image_async(data: bytes) -> CleanImage:
    """`clean_image` in a worker thread, waiting for a free decode slot first."""
    return await decodes.clean(data)


def _reencode(data: bytes) -> CleanImage:
    with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
        image_format = image.format
        if image_format is None or image_format not in FORMATS:
            raise _unsupported()
        if image.width * image.height > MAX_PIXELS:
            raise _too_many_pixels()
        image.load()
        kind = FORMATS[image_format]
        upright = ImageOps.exif_transpose(image)
        mode = _target_mode(upright, image_format)
        clean = upright if upright.mode == mode else upright.convert(mode)
        icc = image.info.get("icc_profile") if clean.mode == image.mode else None
    clean.info = {}  # EXIF (GPS), XMP, comments: only the pixels travel on
    out = io.BytesIO()
    options = {**kind.save_options, **({"icc_profile": icc} if icc else {})}
    clean.save(out, format=image_format, exif=b"", **options)
    return CleanImage(out.getvalue(), kind.content_type, kind.extension, clean.width, clean.height)


def _target_mode(image: Image.Image, image_format: str) -> str:
    if image_format == "JPEG":
        return "L" if image.mode == "L" else "RGB"
    if image.mode in {"RGB", "RGBA", "L", "LA"}:
        return image.mode
    return "RGBA" if image.has_transparency_data else "RGB"


def store(image: CleanImage) -> str:
    """Write the file under a fresh random name and return the name (`storage.store_new`)."""
    return storage.store_new(storage.photos_dir(), image.extension, image.data)


def is_file_name(name: str) -> bool:
    """Whether `name` has the shape of a stored photo's name (and so stays inside its folder)."""
    return _FILE_NAME.fullmatch(name) is not None


def path_of(file_name: str) -> Path:
    """The stored file; the name is checked so that it can never point outside the folder."""
    if not _FILE_NAME.fullmatch(file_name):
        raise ValueError(f"not a stored photo name: {file_name!r}")
    return storage.photos_dir() / file_name


def discard(file_name: str) -> None:
    path_of(file_name).unlink(missing_ok=True)
