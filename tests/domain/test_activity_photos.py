"""Photos of activity records: checked by content, stripped of EXIF, stored under random names,
served only to those who may see the record; on both databases."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from domain import storage
from domain.access import ANONYMOUS
from domain.activities import photos, queries, service
from domain.activities.errors import ActivityCode
from domain.activities.models import Activity, ActivityPhoto
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationError
from tests.factories_activities import (
    Cast,
    build_cast,
    image_bytes,
    log_activity,
    submitted_activity,
    verified_activity,
)

pytestmark = pytest.mark.usefixtures("db")

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def photo_dir(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield storage.photos_dir()
    storage.configure(previous)


def _stored_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def _with_gps(image_format: str, size: tuple[int, int] = (40, 20), orientation: int = 1) -> bytes:
    """A picture whose EXIF holds a GPS position (30.7°N 121.0°E, Pinghu) and an orientation."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "TestCam"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 42.0, 0.0), 3: "E", 4: (121.0, 1.0, 0.0)})
    return image_bytes(image_format, size, exif=exif)


async def _draft(cast: Cast) -> Activity:
    return await log_activity(cast.leader, cast.tree.micro_grids[0])


async def _add(cast: Cast, activity: Activity, data: bytes, name: str = "photo.jpg") -> ActivityPhoto:
    return await service.add_photo(actor=cast.leader, activity_id=activity.id, data=data, declared_name=name)


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
async def test_jpeg_png_and_webp_are_stored_under_random_names(
    image_format: str, content_type: str, extension: str, photo_dir: Path
) -> None:
    cast = await build_cast()
    activity = await _draft(cast)
    # the declared name is deliberately wrong: the content decides
    photo = await _add(cast, activity, image_bytes(image_format, (40, 30)), name="IMG_0001.gif")
    assert (photo.content_type, photo.width, photo.height) == (content_type, 40, 30)
    assert photos.path_of(photo.file_name).parent == photo_dir
    assert photo.file_name.endswith(f".{extension}")
    assert len(photo.file_name) == 32 + 1 + len(extension)
    [stored] = _stored_files(photo_dir)
    assert stored.name == photo.file_name
    assert photo.size_bytes == stored.stat().st_size
    with Image.open(stored) as reopened:
        assert reopened.format == image_format
    assert await AuditEntry.filter(action="activity.photo_add").count() == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"This is not a picture, just text renamed to .jpg\n" * 20, ActivityCode.UNSUPPORTED_FILE),
        (image_bytes("GIF"), ActivityCode.UNSUPPORTED_FILE),
        (image_bytes("JPEG")[:200], ActivityCode.UNSUPPORTED_FILE),
        (b"", ActivityCode.UNSUPPORTED_FILE),
        (image_bytes("JPEG") + b"\0" * photos.MAX_BYTES, ActivityCode.FILE_TOO_LARGE),
    ],
    ids=["renamed_text_file", "gif", "truncated_jpeg", "empty", "over_5_mb"],
)
async def test_files_that_are_not_acceptable_pictures_are_refused(
    data: bytes, code: ErrorCode, photo_dir: Path
) -> None:
    cast = await build_cast()
    activity = await _draft(cast)
    with pytest.raises(ValidationError) as raised:
        await _add(cast, activity, data, name="photo.jpg")
    assert (raised.value.code, raised.value.field) == (code, ["file"])
    assert await ActivityPhoto.all().count() == 0
    assert _stored_files(photo_dir) == []


async def test_a_decompression_bomb_is_refused_from_its_header(photo_dir: Path) -> None:
    # GIVEN a small PNG file that decodes to 48 megapixels
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG")
    assert len(out.getvalue()) < photos.MAX_BYTES
    cast = await build_cast()
    activity = await _draft(cast)
    with pytest.raises(ValidationError) as raised:
        await _add(cast, activity, out.getvalue())
    assert raised.value.code is ActivityCode.IMAGE_TOO_LARGE
    assert _stored_files(photo_dir) == []


async def test_a_seventh_photo_is_refused(photo_dir: Path) -> None:
    cast = await build_cast()
    activity = await _draft(cast)
    for _ in range(photos.MAX_PHOTOS):
        await _add(cast, activity, image_bytes("PNG"))
    with pytest.raises(DomainError) as raised:
        await _add(cast, activity, image_bytes("PNG"))
    assert raised.value.code is ActivityCode.TOO_MANY_PHOTOS
    assert await ActivityPhoto.filter(activity_id=activity.id).count() == photos.MAX_PHOTOS
    assert len(_stored_files(photo_dir)) == photos.MAX_PHOTOS


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
async def test_exif_and_its_gps_position_are_removed(image_format: str, photo_dir: Path) -> None:
    # GIVEN a picture with a GPS position in its EXIF
    data = _with_gps(image_format)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(GPS_IFD)
    cast = await build_cast()
    activity = await _draft(cast)
    # WHEN it is uploaded
    photo = await _add(cast, activity, data)
    # THEN the stored file has no EXIF at all, so no location
    with Image.open(photos.path_of(photo.file_name)) as stored:
        assert stored.getexif().get_ifd(GPS_IFD) == {}
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info


async def test_the_exif_orientation_is_applied_before_it_is_removed(photo_dir: Path) -> None:
    # GIVEN a 40x20 JPEG whose EXIF says "rotate 90° clockwise to display"
    cast = await build_cast()
    activity = await _draft(cast)
    photo = await _add(cast, activity, _with_gps("JPEG", (40, 20), orientation=6))
    # THEN the stored pixels stand upright and no orientation tag is left to apply twice
    assert (photo.width, photo.height) == (20, 40)
    with Image.open(photos.path_of(photo.file_name)) as stored:
        assert stored.size == (20, 40)
        assert ORIENTATION not in stored.getexif()


async def test_records_that_are_not_editable_take_no_photos(photo_dir: Path) -> None:
    cast = await build_cast()
    submitted = await submitted_activity(cast.leader, cast.tree.micro_grids[0])
    verified = await verified_activity(cast.leader, cast.staff, cast.tree.micro_grids[1])
    for activity in (submitted, verified):
        with pytest.raises(DomainError) as raised:
            await _add(cast, activity, image_bytes("JPEG"))
        assert raised.value.code is ActivityCode.NOT_EDITABLE
    assert await ActivityPhoto.all().count() == 0
    assert _stored_files(photo_dir) == []


async def test_only_the_author_adds_or_removes_photos(photo_dir: Path) -> None:
    cast = await build_cast()
    activity = await _draft(cast)
    photo = await _add(cast, activity, image_bytes("PNG"))
    with pytest.raises(NotFound):
        await service.add_photo(actor=cast.other_leader, activity_id=activity.id, data=image_bytes("PNG"))
    with pytest.raises(PermissionDenied):
        await service.add_photo(actor=cast.staff, activity_id=activity.id, data=image_bytes("PNG"))
    with pytest.raises(PermissionDenied):
        await service.remove_photo(actor=cast.staff, photo_id=photo.id)
    assert await ActivityPhoto.all().count() == 1
    assert len(_stored_files(photo_dir)) == 1
    # WHEN the author removes it THEN the row and the file are gone
    await service.remove_photo(actor=cast.leader, photo_id=photo.id)
    assert await ActivityPhoto.all().count() == 0
    assert _stored_files(photo_dir) == []


async def test_photos_of_a_submitted_record_cannot_be_removed(photo_dir: Path) -> None:
    cast = await build_cast()
    activity = await _draft(cast)
    photo = await _add(cast, activity, image_bytes("PNG"))
    await service.submit_activity(actor=cast.leader, activity_id=activity.id)
    with pytest.raises(DomainError) as raised:
        await service.remove_photo(actor=cast.leader, photo_id=photo.id)
    assert raised.value.code is ActivityCode.NOT_EDITABLE
    assert await ActivityPhoto.filter(id=photo.id).exists()
    assert len(_stored_files(photo_dir)) == 1


async def test_photos_are_served_only_to_those_who_may_see_the_record() -> None:
    # GIVEN a photo on a draft
    cast = await build_cast()
    activity = await _draft(cast)
    photo = await _add(cast, activity, image_bytes("JPEG"))
    # THEN the author and the staff covering the cell get the file; others are told it is not there
    for viewer in (cast.leader, cast.staff, cast.bureau):
        path, content_type = await service.photo_for_viewer(actor=viewer, photo_id=photo.id)
        assert (path.name, content_type) == (photo.file_name, "image/jpeg")
        assert path.is_file()
    for outsider in (ANONYMOUS, cast.resident, cast.other_leader, cast.far_staff):
        with pytest.raises(NotFound):
            await service.photo_for_viewer(actor=outsider, photo_id=photo.id)
    with pytest.raises(NotFound):
        await service.photo_for_viewer(actor=cast.leader, photo_id=photo.id + 1000)
    # WHEN the record is verified (a visit: not public by default) THEN the public still gets nothing
    await service.submit_activity(actor=cast.leader, activity_id=activity.id)
    await service.verify_activity(actor=cast.staff, activity_id=activity.id)
    with pytest.raises(NotFound):
        await service.photo_for_viewer(actor=ANONYMOUS, photo_id=photo.id)
    # WHEN it is made public with its details THEN its photos are public too
    await service.set_activity_public(
        actor=cast.staff, activity_id=activity.id, public=True, details_public=True
    )
    path, _ = await service.photo_for_viewer(actor=ANONYMOUS, photo_id=photo.id)
    assert path.name == photo.file_name


async def test_photos_of_lists_each_records_photos_in_upload_order() -> None:
    cast = await build_cast()
    first, second = await _draft(cast), await _draft(cast)
    a = await _add(cast, first, image_bytes("PNG"))
    b = await _add(cast, first, image_bytes("JPEG"))
    grouped = await queries.photos_of([first.id, second.id])
    assert {k: [p.id for p in v] for k, v in grouped.items()} == {first.id: [a.id, b.id], second.id: []}
