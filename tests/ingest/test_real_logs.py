"""PostgreSQL (stderr, csvlog, jsonlog) and MariaDB (general, slow) logs written by real
servers, ingested end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from proto.common import Engine
from proto.seed import SeedEvent
from shared.ingest.detect import LogFormat, detect_format
from shared.ingest.seeds import ingest_files
from shared.ingest.shape import shape_id
from tests.ingest.conftest import CARD, EMAILS, MULTI_LINE, PHONES, REPEATS, MariaLogs, PgLogs

pytestmark = pytest.mark.engines


def by_sql(seeds: list[SeedEvent], fragment: str) -> SeedEvent:
    found = [seed for seed in seeds if fragment in seed.sql]
    assert found, f"no seed contains {fragment!r}: {[s.sql for s in seeds]}"
    return found[0]


def assert_no_personal_data(seeds: list[SeedEvent]) -> None:
    text = "\n".join(seed.model_dump_json() for seed in seeds)
    for value in [*EMAILS, *PHONES, CARD]:
        assert value not in text


@pytest.mark.parametrize(
    ("attr", "fmt"),
    [
        ("stderr", LogFormat.PG_STDERR),
        ("csvlog", LogFormat.PG_CSV),
        ("jsonlog", LogFormat.PG_JSON),
    ],
)
def test_postgres_log_formats(pg_logs: PgLogs, attr: str, fmt: LogFormat) -> None:
    path: Path = getattr(pg_logs, attr)
    assert detect_format(path) is fmt
    result = ingest_files([path])
    seeds = result.seeds
    assert result.stats.issue_count == 0, result.stats.issues
    assert all(seed.dialect is Engine.POSTGRES for seed in seeds)
    # The same shape executed five times is one seed counted five times.
    repeated = by_sql(seeds, "SELECT name FROM customers WHERE id =")
    assert repeated.count == REPEATS
    # The multi-line statement comes back whole, line breaks included.
    assert by_sql(seeds, "SUM(o.amount) AS total").sql == MULTI_LINE
    # A parameterised execute gets its logged parameter back, then scrubbed.
    bound = by_sql(seeds, "WHERE email =")
    assert "$1" not in bound.sql and "'<email>'" in bound.sql
    slow = by_sql(seeds, "pg_sleep")
    assert slow.duration_ms is not None and slow.duration_ms >= 200
    # Failed statements carry their error; the syntax error is counted, not a seed.
    assert "missing_table" in (by_sql(seeds, "missing_table").error or "")
    assert by_sql(seeds, "1 / 0").error == "division by zero"
    assert result.stats.skipped.get("selec") == 1
    # log_statement=none: the text comes with the duration line.
    counted = by_sql(seeds, "count(*) FROM orders")
    assert counted.duration_ms is not None
    assert all(seed.position and seed.position.startswith("line ") for seed in seeds)
    assert_no_personal_data(seeds)
    # The log's CREATE TABLEs are kept as schema evidence.
    assert any("CREATE TABLE orders" in ddl for ddl in result.ddl)


def test_postgres_formats_agree(pg_logs: PgLogs) -> None:
    ids = [
        {seed.seed_id for seed in ingest_files([path]).seeds}
        for path in (pg_logs.stderr, pg_logs.csvlog, pg_logs.jsonlog)
    ]
    assert ids[0] == ids[1] == ids[2]


def test_postgres_and_mariadb_share_shapes(pg_logs: PgLogs, maria_logs: MariaLogs) -> None:
    pg_ids = {seed.seed_id for seed in ingest_files([pg_logs.stderr]).seeds}
    assert shape_id(MULTI_LINE, "postgres") in pg_ids
    maria_ids = {seed.seed_id for seed in ingest_files([maria_logs.slow]).seeds}
    assert shape_id(MULTI_LINE, "mysql") in maria_ids


def test_mariadb_general_log(maria_logs: MariaLogs) -> None:
    assert detect_format(maria_logs.general) is LogFormat.MYSQL_GENERAL
    result = ingest_files([maria_logs.general])
    seeds = result.seeds
    assert result.stats.issue_count == 0, result.stats.issues
    assert all(seed.dialect is Engine.MYSQL for seed in seeds)
    assert by_sql(seeds, "SELECT name FROM customers WHERE id =").count == REPEATS
    assert by_sql(seeds, "SUM(o.amount) AS total").sql == MULTI_LINE
    # USE shop switched the thread's database.
    assert by_sql(seeds, "SUM(o.amount)").db_id == "shop"
    assert "'<email>'" in by_sql(seeds, "WHERE email =").sql
    assert_no_personal_data(seeds)


def test_mariadb_slow_log(maria_logs: MariaLogs) -> None:
    assert detect_format(maria_logs.slow) is LogFormat.MYSQL_SLOW
    result = ingest_files([maria_logs.slow])
    seeds = result.seeds
    assert result.stats.issue_count == 0, result.stats.issues
    repeated = by_sql(seeds, "SELECT name FROM customers WHERE id =")
    assert repeated.count == REPEATS
    assert by_sql(seeds, "SUM(o.amount) AS total").sql == MULTI_LINE
    # Every customer has an order above 10: one row each (Rows_sent).
    assert by_sql(seeds, "SUM(o.amount)").rows == len(EMAILS)
    slow = by_sql(seeds, "SLEEP(0.2)")
    assert slow.duration_ms is not None and slow.duration_ms >= 200
    assert by_sql(seeds, "SUM(o.amount)").db_id == "shop"
    assert_no_personal_data(seeds)
