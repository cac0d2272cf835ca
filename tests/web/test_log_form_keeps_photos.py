"""记一笔 keeps the photos chosen when the form comes back with errors: they are held for the
one who chose them, shown as thumbnails that can be let go, and attached when the corrected form
is saved; never to anyone else's record, and never more than the record's limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain import storage
from domain.activities.models import Activity, ActivityPhoto
from domain.activities.photos import MAX_PHOTOS
from tests.factories_activities import Cast, build_cast, image_bytes
from tests.web.html import Element, parse
from tests.web.session import Browser, new_client, signed_in
from tests.web.test_activity_pages import mediation_form


@pytest.fixture(autouse=True)
def photo_folder(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield tmp_path
    storage.configure(previous)


def jpeg(name: str = "scene.jpg") -> tuple[str, tuple[str, bytes, str]]:
    return ("photos", (name, image_bytes("JPEG", (64, 48)), "image/jpeg"))


def held_tokens(doc: Element) -> list[str]:
    return [box.attrs["value"] for box in doc.find_all("input", name="held_photo") if "checked" in box.attrs]


async def refused_with_photo(client: httpx.AsyncClient) -> tuple[Cast, Browser, list[str]]:
    """A leader's 记一笔 with a photo and an empty title: refused, the photo held."""
    cast = await build_cast()
    browser = await signed_in(client, "leader.li")
    await browser.open("/me/log/new")
    response = await browser.submit("/me/log", mediation_form(cast, title=""), files=[jpeg()])
    assert response.status_code == 422
    doc = parse(response.text)
    assert doc.find(id="log-title-error").text == "标题须为 1–100 个字符"
    return cast, browser, held_tokens(doc)


async def test_a_photo_chosen_on_a_refused_form_is_kept_and_saved_with_the_corrected_record(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a leader whose form with a photo came back for an empty title
    cast, browser, tokens = await refused_with_photo(client)

    # THEN nothing was saved, the page says the photo is kept, and shows it
    assert await Activity.all().count() == 0
    assert len(tokens) == 1
    _, doc = await browser.open("/me/log/new")  # a fresh form holds nothing
    assert held_tokens(doc) == []
    thumbnail = await browser.client.get(f"/me/log/held/{tokens[0]}")
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/jpeg"

    # WHEN they fix the title and submit again without choosing the photo again
    response = await browser.submit("/me/log", mediation_form(cast, held_photo=tokens[0]))

    # THEN the record is saved with the photo, and the held copy is gone
    assert response.status_code == 303
    activity = await Activity.get()
    assert await ActivityPhoto.filter(activity_id=activity.id).count() == 1
    assert (await browser.client.get(f"/me/log/held/{tokens[0]}")).status_code == 404


async def test_the_refused_page_says_the_photo_is_kept(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    browser = await signed_in(client, "leader.li")
    await browser.open("/me/log/new")
    response = await browser.submit("/me/log", mediation_form(cast, date=""), files=[jpeg()])
    doc = parse(response.text)
    assert doc.find(class_="error-summary__lead").text == (
        "记录未保存，请按提示修改后重试。已选择的照片已为您保留，无需重新选择。"
    )
    assert doc.find("img", alt="已选择的照片 1").attrs["src"].startswith("/me/log/held/")


async def test_a_photo_let_go_is_not_attached(client: httpx.AsyncClient) -> None:
    # GIVEN a held photo, WHEN the leader unticks 保留 (the token is not sent) and saves
    cast, browser, _ = await refused_with_photo(client)
    response = await browser.submit("/me/log", mediation_form(cast))

    # THEN the record is saved without it
    assert response.status_code == 303
    assert await ActivityPhoto.all().count() == 0


async def test_nobody_else_sees_or_attaches_a_held_photo(client: httpx.AsyncClient) -> None:
    # GIVEN leader.li's held photo
    cast, _, tokens = await refused_with_photo(client)

    # WHEN another leader asks for it, or posts its token with their own record
    async with new_client() as other_client:
        await _other_leader_tries(cast, await signed_in(other_client, "leader.wang"), tokens[0])


async def _other_leader_tries(cast: Cast, other: Browser, token: str) -> None:
    assert (await other.client.get(f"/me/log/held/{token}")).status_code == 404
    await other.open("/me/log/new")
    form = mediation_form(cast, cell_id=str(cast.tree.micro_grids[2].id), held_photo=token)
    response = await other.submit("/me/log", form)

    # THEN their record is saved without it: the token names no photo of theirs
    assert response.status_code == 422
    assert (
        parse(response.text).find(class_="upload-errors").text
        == "已保留的照片：照片已过期或不存在，请重新选择"
    )
    assert await ActivityPhoto.all().count() == 0


async def test_no_more_photos_are_held_than_a_record_may_have(client: httpx.AsyncClient) -> None:
    # GIVEN a leader who chose one photo more than the limit on a form that is refused
    cast = await build_cast()
    browser = await signed_in(client, "leader.li")
    await browser.open("/me/log/new")
    files = [jpeg(f"p{n}.jpg") for n in range(MAX_PHOTOS + 1)]
    response = await browser.submit("/me/log", mediation_form(cast, title=""), files=files)

    # THEN the limit is held and the last one is refused by name
    doc = parse(response.text)
    tokens = held_tokens(doc)
    assert len(tokens) == MAX_PHOTOS
    assert doc.find(class_="upload-errors").text == f"p{MAX_PHOTOS}.jpg：每条活动记录最多 {MAX_PHOTOS} 张照片"
    assert not doc.find_all("input", name="photos")  # no room for more

    # WHEN they resubmit with the held ones and another new photo, THEN the limit still holds
    response = await browser.submit(
        "/me/log", mediation_form(cast, held_photo=tokens), files=[jpeg("late.jpg")]
    )
    assert response.status_code == 422
    assert (
        parse(response.text).find(class_="upload-errors").text
        == f"late.jpg：每条活动记录最多 {MAX_PHOTOS} 张照片"
    )
    assert await ActivityPhoto.all().count() == MAX_PHOTOS
