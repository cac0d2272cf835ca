"""Where uploaded files live: folders under the configured data folder (`LINZHI_DATA_DIR`).

The app configures it once at start-up from its settings; tests point it at a temporary folder
with `configure` and put the previous one back afterwards.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_data_dir = Path("data")


def configure(data_dir: Path) -> Path:
    """Use `data_dir` from now on; returns the folder used until now (for restoring it)."""
    global _data_dir
    previous, _data_dir = _data_dir, Path(data_dir)
    return previous


def data_dir() -> Path:
    return _data_dir


def photos_dir() -> Path:
    """Activity photos, under random names (see `domain.activities.photos`)."""
    return _data_dir / "photos"


def attachments_dir() -> Path:
    """Funding applications' attachments, under random names (see `domain.funding.files`)."""
    return _data_dir / "attachments"


def store_new(folder: Path, extension: str, data: bytes) -> str:
    """Write `data` into `folder` under a fresh random name with `extension` and return the name.
    Written aside and renamed, so a reader never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{extension}"
    partial = folder / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, folder / name)
    return name
