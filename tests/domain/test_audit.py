"""The audit log: parallel hash chains that report the first edited, deleted or relinked row, never
fork under concurrent writers, and commit or roll back with the change they describe.

Most tests write about one object, so every row lands in one chain (numbered 1..n like `seq`)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from domain.access import Actor, Grant, Role
from domain.audit import service as audit
from domain.audit.models import AuditEntry
from domain.audit.service import GENESIS, record, verify_chain
from domain.people.models import Person

pytestmark = pytest.mark.usefixtures("db")

CLERK = Actor(
    user_id=7, display_name="li.clerk", grants=(Grant(Role.BUREAU_STAFF),), request_id="req-1", ip="10.0.0.8"
)


async def _record_many(n: int) -> list[AuditEntry]:
    """n changes to one cell: one chain, in order."""
    return [await record(CLERK, "grid.update", "GridCell", 1, name=f"第{i}次修改") for i in range(1, n + 1)]


async def _chain() -> list[AuditEntry]:
    return await AuditEntry.all().order_by("seq")


def _is_postgres() -> bool:
    return str(connections.get("default").capabilities.dialect) == "postgres"


async def test_records_form_a_chain_from_genesis() -> None:
    # GIVEN an empty log
    assert (await verify_chain()).ok
    # WHEN three changes to one cell are recorded
    await _record_many(3)
    # THEN they are numbered 1..3 in the cell's chain, each linking to the hash of the one before
    rows = await _chain()
    assert [row.chain_seq for row in rows] == [1, 2, 3]
    assert rows[0].seq < rows[1].seq < rows[2].seq
    assert {row.chain for row in rows} == {audit.chain_of("GridCell", "1", CLERK)}
    assert [row.prev_hash for row in rows] == [GENESIS, rows[0].hash, rows[1].hash]
    assert len({row.hash for row in rows}) == 3
    assert (rows[0].actor_user_id, rows[0].actor_label, rows[0].request_id, rows[0].ip) == (
        7,
        "li.clerk",
        "req-1",
        "10.0.0.8",
    )
    assert (rows[2].action, rows[2].object_type, rows[2].object_id) == ("grid.update", "GridCell", "1")
    assert rows[2].summary == {"name": "第3次修改"}


async def test_changes_to_other_objects_start_chains_of_their_own() -> None:
    # WHEN forty cells change once each, and one of them twice
    for i in range(40):
        await record(CLERK, "grid.update", "GridCell", i)
    await record(CLERK, "grid.update", "GridCell", 0)
    # THEN the rows are spread over the chains, each chain numbered from 1 and starting at genesis
    rows = await _chain()
    by_chain: dict[int, list[AuditEntry]] = {}
    for row in rows:
        by_chain.setdefault(row.chain, []).append(row)
    assert len(by_chain) > audit.CHAINS // 2
    for chain_rows in by_chain.values():
        assert [row.chain_seq for row in chain_rows] == list(range(1, len(chain_rows) + 1))
        assert chain_rows[0].prev_hash == GENESIS
    # ... the second change of cell 0 follows its first in the same chain, and all verify
    first, again = [row for row in rows if row.object_id == "0"]
    assert again.chain == first.chain
    assert again.chain_seq > first.chain_seq
    assert (await verify_chain()).checked == 41


async def test_an_intact_chain_verifies() -> None:
    # GIVEN recorded changes whose summaries hold nested, non-ASCII and non-JSON values
    await _record_many(4)
    await record(
        CLERK, "role.grant", "User", 9, role=Role.GRID_STAFF, cell=None, changes={"名称": ["旧", "新"]}
    )
    # WHEN the chain is verified (after a round trip through the database)
    report = await verify_chain()
    # THEN every row checks out
    assert report.ok
    assert (report.checked, report.first_broken_seq, report.reason) == (5, None, None)


@pytest.mark.parametrize(
    "tampering",
    [
        pytest.param({"summary": {"name": "第2网格（已改）"}}, id="summary"),
        pytest.param({"action": "grid.view"}, id="action"),
        pytest.param({"actor_label": "someone.else"}, id="actor"),
        pytest.param({"object_id": "99"}, id="object"),
    ],
)
async def test_an_edited_row_is_the_first_broken_link(tampering: dict[str, Any]) -> None:
    # GIVEN a chain of five rows
    rows = await _record_many(5)
    # WHEN someone edits row 2 directly in the database
    await AuditEntry.filter(seq=rows[1].seq).update(**tampering)
    # THEN verification stops at row 2 and says it was modified
    report = await verify_chain()
    assert not report.ok
    assert report.first_broken_seq == rows[1].seq
    assert report.checked == 1
    assert report.reason is not None
    assert "被修改" in report.reason


@pytest.mark.parametrize("deleted", [1, 3])
async def test_a_deleted_row_is_reported_missing(deleted: int) -> None:
    # GIVEN a chain of five rows
    rows = await _record_many(5)
    # WHEN one of them is deleted
    await AuditEntry.filter(seq=rows[deleted - 1].seq).delete()
    # THEN verification stops at the row after it, naming the chain and the missing number
    report = await verify_chain()
    assert report.first_broken_seq == rows[deleted].seq
    assert report.reason == f"第 {rows[0].chain} 号链：第 {deleted}（链内序号） 条记录缺失（被删除）"


async def test_a_rewritten_link_breaks_the_chain() -> None:
    # GIVEN a chain of five rows
    rows = await _record_many(5)
    # WHEN row 3's link to its predecessor is rewritten
    await AuditEntry.filter(seq=rows[2].seq).update(prev_hash="f" * 64)
    # THEN verification stops at row 3: it no longer follows row 2
    report = await verify_chain()
    assert (report.first_broken_seq, report.checked) == (rows[2].seq, 2)
    assert report.reason == f"第 {rows[0].chain} 号链：与上一条记录的哈希不衔接"


async def test_an_edit_covered_by_a_recomputed_hash_breaks_the_next_link() -> None:
    # GIVEN a chain of five rows
    rows = await _record_many(5)
    # WHEN row 2 is edited and its own hash recomputed to match
    row = await AuditEntry.get(seq=rows[1].seq)
    row.summary = {"name": "篡改"}
    row.hash = audit.compute_hash(row)
    await row.save(update_fields=["summary", "hash"])
    # THEN row 3 no longer links to it
    report = await verify_chain()
    reason = f"第 {rows[0].chain} 号链：与上一条记录的哈希不衔接"
    assert (report.first_broken_seq, report.reason) == (rows[2].seq, reason)


async def test_verification_walks_batch_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a chain longer than several verification batches
    monkeypatch.setattr(audit, "VERIFY_BATCH", 2)
    rows = await _record_many(7)
    assert (await verify_chain()).checked == 7
    # WHEN the first row of the third batch is deleted
    await AuditEntry.filter(seq=rows[4].seq).delete()
    # THEN the gap is found across the batch boundary (at the row after it)
    report = await verify_chain()
    assert (report.first_broken_seq, report.checked) == (rows[5].seq, 4)


def _numbered_per_chain(rows: list[AuditEntry]) -> bool:
    by_chain: dict[int, list[int]] = {}
    for row in rows:
        by_chain.setdefault(row.chain, []).append(row.chain_seq)
    return all(sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in by_chain.values())


async def test_concurrent_writers_do_not_fork_a_chain() -> None:
    # GIVEN thirty writers changing one cell, each in its own transaction, all started at once
    inside = peak = 0

    async def writer(i: int) -> None:
        nonlocal inside, peak
        async with in_transaction():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)  # let the other transactions begin before this one appends
            await record(CLERK, "grid.update", "GridCell", 1, attempt=i)
            inside -= 1

    # WHEN they all append to the cell's chain
    await asyncio.gather(*(writer(i) for i in range(30)))
    # THEN the transactions really overlapped on PostgreSQL's pool (SQLite serialises them) ...
    if _is_postgres():
        assert peak > 1
    else:
        assert peak == 1
    # ... and still produced one unbroken chain numbered 1..30 with every writer in it
    rows = await _chain()
    assert {row.chain for row in rows} == {audit.chain_of("GridCell", "1", CLERK)}
    assert sorted(row.chain_seq for row in rows) == list(range(1, 31))
    assert sorted(row.summary["attempt"] for row in rows) == list(range(30))
    assert (await verify_chain()).checked == 30


async def test_a_writer_on_another_chain_does_not_wait_for_an_open_transaction() -> None:
    # GIVEN a transaction that appended to cell 1's chain and has not committed yet
    other = next(
        i
        for i in range(2, 100)
        if audit.chain_of("GridCell", str(i), CLERK) != audit.chain_of("GridCell", "1", CLERK)
    )
    recorded = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> None:
        async with in_transaction():
            await record(CLERK, "grid.update", "GridCell", 1)
            recorded.set()
            await release.wait()

    holder = asyncio.create_task(slow())
    await recorded.wait()
    # WHEN another cell's change is recorded meanwhile
    try:
        await asyncio.wait_for(record(CLERK, "grid.update", "GridCell", other), timeout=2)
        finished = True
    except TimeoutError:
        finished = False
    finally:
        release.set()
        await holder
    # THEN on PostgreSQL it commits at once (the chains have their own locks), where SQLite
    # serialises every writer
    assert finished is _is_postgres()
    assert (await verify_chain()).ok


async def test_many_concurrent_writers_and_anchors_leave_chains_that_verify() -> None:
    # GIVEN sixty writers on sixty cells (every fifth records two rows in its transaction), and
    # three anchors taken while they write
    async def writer(i: int) -> None:
        async with in_transaction():
            await asyncio.sleep(0.002 * (i % 7))
            await record(CLERK, "grid.update", "GridCell", i)
            if i % 5 == 0:
                await record(CLERK, "grid.create", "GridCell", 1000 + i)

    async def anchor(delay: float) -> None:
        await asyncio.sleep(delay)
        await audit.write_anchor(CLERK)

    # WHEN they all run at once
    await asyncio.gather(*(writer(i) for i in range(60)), *(anchor(0.005 * n) for n in range(3)))
    # THEN every chain is numbered without gaps, a transaction's rows share a chain ...
    rows = await _chain()
    assert len(rows) == 60 + 12 + 3
    assert _numbered_per_chain(rows)
    chain_of_row = {row.object_id: row.chain for row in rows}
    assert all(chain_of_row[str(i)] == chain_of_row[str(1000 + i)] for i in range(0, 60, 5))
    assert len({row.chain for row in rows}) > audit.CHAINS // 2
    # ... and the whole log verifies, anchors included
    report = await verify_chain()
    assert (report.ok, report.checked) == (True, 75)


async def test_concurrent_writers_that_roll_back_leave_no_gap() -> None:
    # GIVEN thirty concurrent writers, every third of which fails after recording
    async def writer(i: int) -> None:
        async with in_transaction():
            await asyncio.sleep(0.005)
            await record(CLERK, "grid.update", "GridCell", i)
            if i % 3 == 0:
                raise RuntimeError("change failed")

    # WHEN they all run
    results = await asyncio.gather(*(writer(i) for i in range(30)), return_exceptions=True)
    # THEN only the twenty that committed are in the log, each chain numbered without gaps
    assert sum(isinstance(result, RuntimeError) for result in results) == 10
    rows = await _chain()
    assert len(rows) == 20
    assert _numbered_per_chain(rows)
    assert all(int(row.object_id or 0) % 3 for row in rows)
    assert (await verify_chain()).checked == 20


async def test_the_audit_row_commits_with_its_change() -> None:
    # WHEN a change and its audit row are written in one transaction
    async with in_transaction():
        person = await Person.create(name="周建国")
        await record(CLERK, "user.create", "Person", person.id)
    # THEN both are there
    assert await Person.filter(id=person.id).exists()
    assert await AuditEntry.filter(action="user.create", object_id=str(person.id)).count() == 1


async def test_a_failed_change_leaves_no_audit_row() -> None:
    # GIVEN one recorded change
    await record(CLERK, "grid.update", "GridCell", 1)

    # WHEN a later change fails after its audit row was written
    async def failing_change() -> None:
        async with in_transaction():
            await Person.create(name="周建国")
            await record(CLERK, "user.create", "Person", 1)
            raise RuntimeError("change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    # THEN neither the change nor its audit row remain, and the next record continues the chain
    assert not await Person.exists()
    assert [row.action for row in await _chain()] == ["grid.update"]
    await record(CLERK, "grid.update", "GridCell", 1)
    assert [row.chain_seq for row in await _chain()] == [1, 2]
    assert (await verify_chain()).ok


async def test_an_action_without_a_chinese_label_is_refused() -> None:
    # The audit page names every action in Chinese: an action nobody labelled is a bug, not a row.
    with pytest.raises(ValueError, match="no label"):
        await record(CLERK, "grid.teleport", "GridCell", 1)
    with pytest.raises(ValueError, match="no label"):
        await record(CLERK, "grid.update", "Spaceship", 1)
    assert await AuditEntry.all().count() == 0


def test_a_domain_registers_its_own_labels_and_cannot_rename_anothers() -> None:
    import domain.organisations  # noqa: F401  (registers its labels on import)
    from domain.audit import labels

    assert labels.ACTIONS["organisation.register"] == "登记社会组织"
    assert labels.OBJECT_TYPES["Organisation"] == "社会组织"
    labels.register({"organisation.register": "登记社会组织"}, {})  # the same label again: harmless
    with pytest.raises(ValueError, match="already"):
        labels.register({"activity.verify": "别的名字"}, {})
    assert labels.ACTIONS["activity.verify"] == "核实活动记录"
