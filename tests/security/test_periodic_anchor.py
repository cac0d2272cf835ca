"""The server's periodic audit anchor (api/anchoring.py): written only when a chain moved since the
newest anchor, one for several workers asking at once, published to the log and to a file that
`linzhi audit verify --anchor` reads — and a cut of the newest rows is caught by it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.anchoring import anchor_every, anchor_once
from api.settings import ConfigurationError, Settings
from domain.access import Actor
from domain.audit import anchors
from domain.audit import keys as audit_keys
from domain.audit.keys import Keyring
from domain.audit.models import AuditEntry
from domain.audit.service import ANCHOR_ACTION, record, verify_chain

KEY = ("k1", "periodic-anchor-test-key-" + "x" * 24)
CLERK = Actor(user_id=7, display_name="li.clerk")

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture(autouse=True)
def keys() -> Iterator[None]:
    before = audit_keys.keyring()
    audit_keys.configure(Keyring.of([KEY]))
    yield
    audit_keys.configure(before)


async def _anchor_rows() -> int:
    return await AuditEntry.filter(action=ANCHOR_ACTION).count()


async def test_an_anchor_is_written_only_when_a_chain_moved() -> None:
    # an empty log: nothing to pin
    assert await anchors.periodic() is None
    await record(CLERK, "grid.update", "GridCell", 1, name="一")
    first = await anchors.periodic()
    assert first is not None
    # nothing written since: no second anchor (an idle server does not fill its log with them)
    assert await anchors.periodic() is None
    assert await _anchor_rows() == 1
    # a new row moves a head again
    await record(CLERK, "grid.update", "GridCell", 2, name="二")
    second = await anchors.periodic()
    assert second is not None
    assert second.seq > first.seq
    assert await _anchor_rows() == 2
    assert (await verify_chain()).ok


async def test_workers_anchoring_at_once_write_one_anchor() -> None:
    # GIVEN new rows
    await record(CLERK, "grid.update", "GridCell", 1, name="一")
    await record(CLERK, "grid.update", "GridCell", 2, name="二")
    # WHEN eight workers ask for the periodic anchor at the same moment (PostgreSQL: eight
    # connections; SQLite serialises them)
    made = await asyncio.gather(*(anchors.periodic() for _ in range(8)))
    # THEN one of them wrote it, under the chains' locks, and the chain still verifies
    assert len([a for a in made if a is not None]) == 1
    assert await _anchor_rows() == 1
    assert (await verify_chain()).ok


async def test_the_published_anchor_catches_a_cut_of_the_newest_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a row, and the periodic anchor that pins it, published to the log and a file
    rows = [await record(CLERK, "grid.update", "GridCell", 1, name=f"第{i}次") for i in range(3)]
    published = tmp_path / "anchors" / "audit-anchors.jsonl"
    with caplog.at_level(logging.INFO, logger="linzhi.audit"):
        anchor = await anchor_once(published)
    assert anchor is not None
    assert await anchor_once(published) is None  # nothing moved: nothing published
    [line] = published.read_text(encoding="utf-8").splitlines()
    assert anchors.parse(line) == anchor
    assert line in caplog.text
    assert await anchors.problem(anchors.parse(line)) is None
    # WHEN the anchor row and the newest row are deleted (the rest of the chain is consistent)
    await AuditEntry.filter(action=ANCHOR_ACTION).delete()
    await AuditEntry.filter(id=rows[-1].id).delete()
    assert (await verify_chain()).ok
    # THEN the published anchor names the cut
    assert "审计链被截断" in str(await anchors.problem(anchors.parse(line)))


async def test_the_server_loop_anchors_on_its_own_until_it_is_stopped(tmp_path: Path) -> None:
    # GIVEN a row, and the loop the server's lifespan runs (api/app.py), every 50 ms
    published = tmp_path / "audit-anchors.jsonl"
    await record(CLERK, "grid.update", "GridCell", 1, name="一")
    loop = asyncio.create_task(anchor_every(0.05, published))
    for _ in range(100):
        if published.exists():
            break
        await asyncio.sleep(0.02)
    # THEN it published one anchor (nothing moved after it), and nothing once it is cancelled
    await asyncio.sleep(0.15)
    assert len(published.read_text(encoding="utf-8").splitlines()) == 1
    await record(CLERK, "grid.update", "GridCell", 1, name="二")
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop
    await asyncio.sleep(0.15)
    assert len(published.read_text(encoding="utf-8").splitlines()) == 1


def test_the_interval_and_the_file_come_from_the_environment(tmp_path: Path) -> None:
    defaults = Settings.from_env({"LINZHI_DATA_DIR": str(tmp_path)})
    assert (defaults.audit_anchor_seconds, defaults.audit_anchor_file) == (
        900,
        tmp_path / "audit-anchors.jsonl",
    )
    off = Settings.from_env({"LINZHI_AUDIT_ANCHOR_MINUTES": "0", "LINZHI_AUDIT_ANCHOR_FILE": "off"})
    assert (off.audit_anchor_seconds, off.audit_anchor_file) == (0, None)
    other = Settings.from_env(
        {"LINZHI_AUDIT_ANCHOR_MINUTES": "1.5", "LINZHI_AUDIT_ANCHOR_FILE": "/srv/a.jsonl"}
    )
    assert (other.audit_anchor_seconds, other.audit_anchor_file) == (90, Path("/srv/a.jsonl"))
    for wrong in ("-1", "soon", "nan"):
        with pytest.raises(ConfigurationError, match="LINZHI_AUDIT_ANCHOR_MINUTES"):
            Settings.from_env({"LINZHI_AUDIT_ANCHOR_MINUTES": wrong})
