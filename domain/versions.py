"""Table versions: a number per table that every committed write to it moves on (issue 16).

The result cache of the compiled read path (`api/result_cache.py`, docs/compiler.md "Result
cache") keys a public answer by the versions of the tables its statement reads: a write makes the
next read miss, and nothing else has to remember to invalidate anything.

The versions are kept by the database itself, so that no write path can forget them (the ORM,
raw SQL, the command line, a bulk load, a migration's data fix):

- PostgreSQL: a statement-level AFTER INSERT/UPDATE/DELETE/TRUNCATE trigger on every versioned
  table adds the table to the transaction's list (a transaction-local setting, no lock), and the
  first time in a transaction queues a deferred constraint trigger which, at COMMIT, bumps every
  listed table in one `UPDATE ... WHERE name = ANY(...)`. The bump commits with the data (a
  reader sees both or neither), the row locks are taken in the index's order (two writers never
  deadlock on them) and held only while committing (writers to one table do not queue behind
  each other's whole transactions).
- SQLite: row-level AFTER triggers bump the row directly (SQLite has one writer at a time).

A row named `EPOCH` holds a random number set whenever the versions are (re)installed: a database
rebuilt from scratch, or emptied by a tool that bypasses the triggers, starts from a new epoch, so
a shared cache (Redis) never mistakes its old entries for current ones.
"""

from __future__ import annotations

import secrets
from typing import Any

from domain import sql

TABLE = "table_version"
EPOCH = "EPOCH"

# Tables the compiled read path may read: every write to them bumps their version. A table left
# out here makes any statement that names it uncacheable (the cache counts it and steps aside).
VERSIONED: tuple[str, ...] = (
    "activity",
    "activity_month_count",
    "activity_photo",
    "agency_placement",
    "attendance",
    "calendar_day",
    "certificate",
    "cohort",
    "enrolment",
    "funding_agreement",
    "funding_application",
    "funding_application_event",
    "funding_attachment",
    "funding_budget_line",
    "funding_evaluation",
    "funding_milestone_report",
    "funding_need",
    "funding_reclaim",
    "funding_round",
    "funding_tranche",
    "grid_cell",
    "micro_leader",
    "organisation",
    "organisation_annual_report",
    "organisation_member",
    "organisation_rating",
    "organisation_sanction",
    "person",
    "review_assignment",
    "review_conflict",
    "review_entry",
    "review_expert",
    "review_expert_affiliation",
    "review_objection",
    "review_panel",
    "review_panel_member",
    "review_score",
    "review_sheet",
    "social_work_station",
    "social_worker",
    "supervisee",
    "supervision_record",
    "training_session",
)
# Written on most requests and never read by the compiled path: a trigger would only cost.
UNVERSIONED: frozenset[str] = frozenset(
    {
        "app_user",
        "api_token",
        "audit_log",
        "certificate_sequence",
        "rate_counter",
        "role_assignment",
        "user_session",
    }
)

_POSTGRES_FUNCTIONS = [
    # The statement trigger: remember the table for this transaction; queue the commit-time bump once.
    """CREATE OR REPLACE FUNCTION linzhi_touch_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE touched text := coalesce(current_setting('linzhi.touched_tables', true), '');
BEGIN
  IF touched = '' THEN
    INSERT INTO table_version_commit (txid) VALUES (txid_current());
  END IF;
  IF position(',' || TG_TABLE_NAME || ',' IN touched) = 0 THEN
    PERFORM set_config('linzhi.touched_tables',
      CASE WHEN touched = '' THEN ',' ELSE touched END || TG_TABLE_NAME || ',', true);
  END IF;
  RETURN NULL;
END $$""",
    # The deferred trigger, at COMMIT: one UPDATE for every table the transaction wrote.
    """CREATE OR REPLACE FUNCTION linzhi_bump_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE table_version SET version = version + 1
  WHERE name = ANY(string_to_array(trim(BOTH ',' FROM
    current_setting('linzhi.touched_tables', true)), ','));
  PERFORM set_config('linzhi.touched_tables', '', true);
  DELETE FROM table_version_commit WHERE txid = NEW.txid;
  RETURN NULL;
END $$""",
]


def _postgres_statements(tables: list[str]) -> list[str]:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {TABLE} (name VARCHAR(63) PRIMARY KEY, version BIGINT NOT NULL)",
        "CREATE UNLOGGED TABLE IF NOT EXISTS table_version_commit (txid BIGINT NOT NULL)",
        *_POSTGRES_FUNCTIONS,
        "DROP TRIGGER IF EXISTS linzhi_bump_versions ON table_version_commit",
        "CREATE CONSTRAINT TRIGGER linzhi_bump_versions AFTER INSERT ON table_version_commit "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION linzhi_bump_versions()",
    ]
    for table in tables:
        statements += [
            f'DROP TRIGGER IF EXISTS linzhi_version ON "{table}"',
            f'CREATE TRIGGER linzhi_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION linzhi_touch_version()",
        ]
    return statements


def _sqlite_statements(tables: list[str]) -> list[str]:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {TABLE} (name VARCHAR(63) PRIMARY KEY, version BIGINT NOT NULL)"
    ]
    for table in tables:
        for event in ("INSERT", "UPDATE", "DELETE"):
            trigger = f"linzhi_version_{table}_{event.lower()}"
            statements.append(
                f'CREATE TRIGGER IF NOT EXISTS "{trigger}" AFTER {event} ON "{table}" BEGIN '
                f"UPDATE {TABLE} SET version = version + 1 WHERE name = '{table}'; END"
            )
    return statements


async def install(client: Any = None) -> None:
    """Create (or re-create) the versions table, its rows and triggers for every versioned table
    that exists, and start a new epoch. Idempotent: migrations call it whenever tables are added.
    `client`: a Tortoise connection (a migration's), else the default one."""
    dialect = str(client.capabilities.dialect) if client is not None else sql.dialect()
    tables = sorted(set(VERSIONED) & await _existing(client, dialect))
    statements = _postgres_statements(tables) if dialect == "postgres" else _sqlite_statements(tables)
    rows = ", ".join(f"('{table}', 0)" for table in tables)
    if rows:
        statements.append(f"INSERT INTO {TABLE} (name, version) VALUES {rows} ON CONFLICT (name) DO NOTHING")
    statements.append(new_epoch_statement())
    for statement in statements:
        await _execute(client, statement)


def new_epoch_statement() -> str:
    epoch = secrets.randbits(62)
    return (
        f"INSERT INTO {TABLE} (name, version) VALUES ('{EPOCH}', {epoch}) "
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version"
    )


async def new_epoch() -> None:
    """Forget every cached answer (a new epoch): after a tool wrote past the triggers."""
    await sql.fetch_all(new_epoch_statement() + " RETURNING version")


_TABLES_QUERY = {
    "postgres": "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
}


async def _existing(client: Any, dialect: str) -> set[str]:
    query = _TABLES_QUERY["postgres" if dialect == "postgres" else "sqlite"]
    if client is None:
        rows = await sql.fetch_all(query)
    else:
        _, rows = await client.execute_query(query)
    return {str(row["name"]) for row in rows}


async def _execute(client: Any, statement: str) -> None:
    if client is None:
        from tortoise import connections

        await connections.get("default").execute_script(statement)
    else:
        await client.execute_script(statement)


VERSIONS_STATEMENT = f"SELECT name, version FROM {TABLE}"


async def read() -> dict[str, int]:
    """Every table's version (and the epoch): one small statement."""
    rows = await sql.fetch_all(VERSIONS_STATEMENT)
    return {str(row["name"]): int(row["version"]) for row in rows}
