"""Image decoding is bounded: a decompression bomb is refused from its header before any pixel is
decoded, and a burst of uploads decodes at most `MAX_CONCURRENT_DECODES` photos at once, each in
a worker thread."""

from __future__ import annotations

import asyncio
import io
import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from domain import storage
from domain.activities import photos
from domain.activities.errors import ActivityCode
from domain.activities.models import ActivityPhoto
from domain.errors import ValidationError
from tests.api.graphql import bearer, global_id
from tests.factories_activities import build_cast, log_activity

PHOTO = """mutation ($input: ActivityPhotoAddInput!) {
  activityPhotoAdd(input: $input) { photo { width } userErrors { code message } } }"""


@pytest.fixture(autouse=True)
def photo_dir(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield storage.photos_dir()
    storage.configure(previous)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """An RGB PNG of `width` x `height` black pixels, compressed row by row (the bitmap it
    stands for is never held in memory here either)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * width)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


# The assessment's file: 39.7 megapixels in about 120 KB, under the old 40 MP rule.
BOMB = bomb_png(7300, 5440)


def test_the_bomb_is_small_on_disk_and_huge_in_memory() -> None:
    assert len(BOMB) < 200_000
    width, height = struct.unpack(">II", BOMB[16:24])  # IHDR
    assert width * height == 39_712_000  # 119 MB as an RGB bitmap
    # Pillow itself now warns at the limit (the test run turns warnings into errors)
    with pytest.raises(Image.DecompressionBombWarning):
        Image.open(io.BytesIO(BOMB))


def test_a_decompression_bomb_is_refused_before_any_pixel_is_decoded() -> None:
    Image.core.reset_stats()
    with pytest.raises(ValidationError) as raised:
        photos.clean_image(BOMB)
    assert raised.value.code is ActivityCode.IMAGE_TOO_LARGE
    assert "25 百万像素" in raised.value.message
    # Pillow's allocator handed out no block: no bitmap was ever allocated
    assert Image.core.get_stats()["allocated_blocks"] == 0
    # (while a small picture's decode does allocate)
    small = io.BytesIO()
    Image.new("RGB", (64, 48)).save(small, format="PNG")
    photos.clean_image(small.getvalue())
    assert Image.core.get_stats()["allocated_blocks"] > 0


def _upload(activity_id: int, data: bytes, name: str = "现场.png") -> dict[str, tuple[str | None, object]]:
    variables = {"input": {"activityId": global_id("Activity", activity_id), "file": None}}
    return {
        "operations": (None, json.dumps({"query": PHOTO, "variables": variables})),
        "map": (None, json.dumps({"0": ["variables.input.file"]})),
        "0": (name, data),
    }


async def test_a_bomb_uploaded_over_graphql_gets_a_clear_user_error(
    client: httpx.AsyncClient, photo_dir: Path
) -> None:
    cast = await build_cast()
    activity = await log_activity(cast.leader, cast.tree.micro_grids[0])
    token = await bearer(cast.users["leader.li"], "write:activities")
    response = await client.post("/graphql", files=_upload(activity.id, BOMB), headers=token)
    payload = response.json()["data"]["activityPhotoAdd"]
    assert payload["photo"] is None
    refusal = {"code": "IMAGE_TOO_LARGE", "message": "图片像素过多（上限 25 百万像素）"}
    assert payload["userErrors"] == [refusal]
    assert await ActivityPhoto.all().count() == 0
    assert _stored(photo_dir) == []


def _stored(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.exists() else []


def _noisy_jpeg() -> bytes:
    """A photo that takes a moment to decode and re-encode (noise does not compress)."""
    out = io.BytesIO()
    Image.effect_noise((1500, 1000), 60).convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


async def test_twelve_concurrent_uploads_decode_at_most_two_at_a_time(client: httpx.AsyncClient) -> None:
    # GIVEN two draft records (six photos each) and twelve photos sent at once
    cast = await build_cast()
    activities = [await log_activity(cast.leader, cast.tree.micro_grids[0]) for _ in range(2)]
    token = await bearer(cast.users["leader.li"], "write:activities")
    photo = _noisy_jpeg()
    photos.decodes.peak = 0
    uploads = [
        client.post("/graphql", files=_upload(activities[i % 2].id, photo, f"{i}.jpg"), headers=token)
        for i in range(12)
    ]
    responses = await asyncio.gather(*uploads)

    # THEN every photo was taken, while no more than MAX_CONCURRENT_DECODES decoded at once
    # (and that many did: the uploads really overlapped)
    assert [r.json()["data"]["activityPhotoAdd"]["userErrors"] for r in responses] == [[]] * 12
    assert await ActivityPhoto.all().count() == 12
    assert photos.decodes.peak == photos.MAX_CONCURRENT_DECODES == 2
    assert photos.decodes.active == 0
