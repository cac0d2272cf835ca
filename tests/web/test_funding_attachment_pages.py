"""Attachments on the application's page and the reviewer's score sheet: the organiser uploads
(multipart, CSRF), sees, downloads and removes them; a refused file re-renders the page with the
message and keeps nothing; the download is an attachment with nosniff, and a 404 for whoever may
not read it; a blind panel's reviewer sees neutral names. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from domain import storage
from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.funding import applications, attachments
from domain.funding.models import Application, ApplicationAttachment, FundingRound
from domain.organisations.models import Organisation
from domain.review import service as review_service
from domain.review.models import Assignment, ConflictReason, MemberSource, PanelEntry
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.factories import Tree, build_tree
from tests.factories_files import pdf_bytes, png_bytes
from tests.factories_funding import CLERK, TODAY, app_input, open_round, organiser, registered_org, to_review
from tests.factories_review import Reviewer, make_reviewer
from tests.web.html import parse
from tests.web.session import Browser, signed_in

pytestmark = pytest.mark.usefixtures("funding_clerks")

REAL_NAME = "机构简介（演示公益服务中心）.pdf"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield storage.attachments_dir()
    storage.configure(previous)


def _stored(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@dataclass
class World:
    tree: Tree
    org: Organisation
    round: FundingRound
    draft: Application


async def _world(**round_overrides: object) -> World:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(**round_overrides)
    draft = await applications.create_application(
        actor=organiser(org), round_id=funding_round.id, data=app_input(tree, org)
    )
    return World(tree, org, funding_round, draft)


async def _organiser(client: httpx.AsyncClient, org: Organisation, username: str = "org.chen") -> Browser:
    user = await make_user(username)
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    return await signed_in(client, username)


async def _upload(
    browser: Browser, w: World, name: str, data: bytes, kind: str = "application/pdf"
) -> httpx.Response:
    await browser.open(f"/funding/applications/{w.draft.id}")
    url = f"/funding/applications/{w.draft.id}/attachments"
    return await browser.submit(url, files=[("file", (name, data, kind))])


async def test_an_organiser_uploads_downloads_and_removes_a_file(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    # GIVEN a draft and its organiser on its page, which offers the upload
    w = await _world()
    browser = await _organiser(client, w.org)
    _, doc = await browser.open(f"/funding/applications/{w.draft.id}")
    section = doc.find("section", id="attachments")
    assert "暂无附件" in section.text
    assert section.find("input", type="file", name="file")
    assert section.find("form", class_="attachment-upload").attrs["enctype"] == "multipart/form-data"
    # WHEN they upload a PDF
    pdf = pdf_bytes(pages=3)
    response = await _upload(browser, w, REAL_NAME, pdf)
    # THEN it is listed with its kind and size, and downloads as an attachment under its name
    assert response.status_code == 303
    _, doc = await browser.open(response.headers["location"])
    item = doc.find("section", id="attachments").find("li", class_="attachment-list__item")
    assert REAL_NAME in item.text
    assert "PDF 文档" in item.text
    assert "已上传附件" in doc.text
    link = item.find("a", class_="attachment-list__name").attrs["href"]
    download = await browser.client.get(link)
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == (
        f"attachment; filename=\"attachment.pdf\"; filename*=UTF-8''{quote(REAL_NAME)}"
    )
    # WHEN they remove it THEN the row and the file are gone
    form = item.find("form", class_="attachment-list__remove")
    response = await browser.submit(form.attrs["action"])
    assert response.status_code == 303
    assert not await ApplicationAttachment.exists()
    assert _stored(data_dir) == []
    assert (await browser.client.get(link)).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("说明.pdf", "这只是一段文字，不是 PDF。".encode(), "附件只能是 PDF 文件或 JPEG、PNG、WebP 图片"),
        ("加密.pdf", pdf_bytes(password="123456"), "不能上传加密或设有密码的 PDF"),
        ("脚本.pdf", pdf_bytes(javascript=True), "PDF 含有脚本或启动程序的动作"),
        ("大图.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024), "图片不能超过 5 MB"),
    ],
    ids=["text", "encrypted", "javascript", "oversize-image"],
)
async def test_a_refused_file_shows_the_page_again_with_the_message_and_keeps_nothing(
    client: httpx.AsyncClient, data_dir: Path, name: str, data: bytes, message: str
) -> None:
    w = await _world()
    browser = await _organiser(client, w.org)
    response = await _upload(browser, w, name, data)
    assert response.status_code == 422
    doc = parse(response.text)
    assert message in doc.find("p", id="attachment-file-error").text
    assert "未上传附件" in doc.find("div", class_="error-summary").text
    assert not await ApplicationAttachment.exists()
    assert _stored(data_dir) == []


async def test_no_file_chosen_is_said_and_a_body_over_the_limit_is_refused_unread(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    w = await _world()
    browser = await _organiser(client, w.org)
    await browser.open(f"/funding/applications/{w.draft.id}")
    url = f"/funding/applications/{w.draft.id}/attachments"
    response = await browser.submit(url, files=[("file", ("", b"", "application/octet-stream"))])
    assert response.status_code == 422
    assert "请选择要上传的文件" in parse(response.text).find("p", id="attachment-file-error").text
    response = await browser.submit(
        url, files=[("file", ("大.pdf", b"%PDF-" + b"0" * (12 * 1024 * 1024), "application/pdf"))]
    )
    assert response.status_code == 413
    assert not await ApplicationAttachment.exists()
    assert _stored(data_dir) == []


async def test_after_submission_the_page_lists_the_files_without_changing_them(
    client: httpx.AsyncClient,
) -> None:
    w = await _world()
    await attachments.add_attachment(
        actor=organiser(w.org), application_id=w.draft.id, data=png_bytes(), declared_name="现场.jpg"
    )
    await applications.submit(actor=organiser(w.org), application_id=w.draft.id, today=TODAY)
    browser = await _organiser(client, w.org)
    _, doc = await browser.open(f"/funding/applications/{w.draft.id}")
    section = doc.find("section", id="attachments")
    assert "现场.png" in section.text
    assert "图片" in section.text
    assert not section.find_all("form")
    assert "已提交的申报不能增删附件" in section.text


# --- who downloads ------------------------------------------------------------------------------


@dataclass
class OnPanel:
    w: World
    pdf: ApplicationAttachment
    assigned: Reviewer
    conflicted: Reviewer


async def _on_panel(*, blind: bool = False) -> OnPanel:
    w = await _world(blind=blind)
    pdf = await attachments.add_attachment(
        actor=organiser(w.org), application_id=w.draft.id, data=pdf_bytes(), declared_name=REAL_NAME
    )
    submitted = await applications.submit(actor=organiser(w.org), application_id=w.draft.id, today=TODAY)
    await to_review(w.round, [submitted])
    entry = await PanelEntry.get(panel_id=w.round.panel_id, subject_id=w.draft.id)
    reviewers = [await make_reviewer(CLERK, name) for name in ("expert.a", "expert.b")]
    for r in reviewers:
        await review_service.add_member(
            actor=CLERK, panel_id=w.round.panel_id, user_id=r.id, source=MemberSource.POOL
        )
        await review_service.assign_reviewer(actor=CLERK, entry_id=entry.id, reviewer_id=r.id, today=TODAY)
    assigned, conflicted = reviewers
    await review_service.declare_conflict(
        actor=conflicted.actor, entry_id=entry.id, reason=ConflictReason.OTHER, note="曾为该机构提供咨询"
    )
    return OnPanel(w, pdf, assigned, conflicted)


async def _download_status(client: httpx.AsyncClient, username: str | None, attachment_id: int) -> int:
    client.cookies.clear()
    if username is not None:
        await signed_in(client, username)
    return (await client.get(f"/funding/attachments/{attachment_id}")).status_code


async def test_the_file_is_a_404_for_whoever_may_not_read_it(client: httpx.AsyncClient) -> None:
    p = await _on_panel()
    await (await _organiser(client, p.w.org)).open("/account")
    other = await registered_org(p.w.tree, "另一家服务社")
    await _organiser(client, other, "org.other")
    await make_user("resident.wu", Role.RESIDENT)
    await make_user("bureau.zhou", Role.BUREAU_STAFF)
    statuses = {
        who: await _download_status(client, who, p.pdf.id)
        for who in ("org.chen", "org.other", "resident.wu", "bureau.zhou", "expert.a", "expert.b", None)
    }
    assert statuses == {
        "org.chen": 200,
        "org.other": 404,
        "resident.wu": 404,
        "bureau.zhou": 200,
        "expert.a": 200,
        "expert.b": 404,  # declared a conflict
        None: 404,
    }


async def test_a_blind_reviewer_gets_neutral_names_on_the_sheet_and_the_download(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    p = await _on_panel(blind=True)
    browser = await signed_in(client, "expert.a")
    assignment = await Assignment.get(reviewer_id=p.assigned.id, live=True)
    _, doc = await browser.open(f"/panels/assignments/{assignment.id}")
    files = doc.find("details", class_="sheet-files")
    assert "附件1.pdf" in files.text
    assert "演示公益服务中心" not in doc.text
    download = await browser.client.get(files.find("a").attrs["href"])
    assert download.status_code == 200
    assert quote("附件1.pdf") in download.headers["content-disposition"]
    assert "%E6%BC%94%E7%A4%BA" not in download.headers["content-disposition"]  # 演示
    # the conflicted reviewer's sheet is gone, and with it the list
    client.cookies.clear()
    other = await signed_in(client, "expert.b")
    cancelled = await Assignment.get(reviewer_id=p.conflicted.id)
    response, _ = await other.open(f"/panels/assignments/{cancelled.id}")
    assert response.status_code == 404
