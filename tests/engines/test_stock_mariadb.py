"""Valid on MySQL means valid on a stock server: every accepted record of a real run, loaded from
its file alone (`sql_context_by_dialect["mysql"]`, `sql_by_dialect["mysql"]`) on a MariaDB
started with MySQL 8's default sql_mode and the nearest default collation and nothing else,
through a plain admin session: no sandbox, no session settings of ours."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomysql
import pymysql
import pytest

from proto.common import Engine
from shared.engines.provision import MYSQL_SQL_MODE, parse_mysql_dsn
from shared.engines.render import split_statements
from shared.runtime.local import (
    MARIADB_COLLATION,
    MARIADB_STOCK_SETTINGS,
    LocalStack,
    Server,
    server_dir,
    start_mariadb,
)
from tests.e2e.harness import make_request, run_to_completion, start_services

pytestmark = [pytest.mark.e2e, pytest.mark.engines, pytest.mark.slow]
ALL = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]
RECORDS = 60


@pytest.fixture(scope="module")
def stock_mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("stock-mariadb")
    server = start_mariadb(base, settings=MARIADB_STOCK_SETTINGS)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server_dir(base), ignore_errors=True)


async def run_record(cur: aiomysql.Cursor, number: int, record: dict[str, Any]) -> int | None:
    """Load the record's MySQL schema in a fresh database and run its MySQL SQL; the row count
    of a read (None for a write, which is rolled back)."""
    database = f"rec_{number}"
    await cur.execute(f"CREATE DATABASE {database}")  # the server's default charset/collation
    await cur.execute(f"USE {database}")
    for statement in split_statements(record["sql_context_by_dialect"]["mysql"], Engine.MYSQL):
        await cur.execute(statement)
    await cur.execute("START TRANSACTION")
    try:
        await cur.execute(record["sql_by_dialect"]["mysql"])
        rows = await cur.fetchall()
    finally:
        await cur.execute("ROLLBACK")
    return None if record["sql_task_type"] == "data manipulation" else len(rows)


def sandbox_row_count(record: dict[str, Any]) -> int | None:
    for check in record["validation"]["checks"]:
        if check["engine"] == "mysql":
            return check["row_count"]  # type: ignore[no-any-return]
    return None


async def test_every_accepted_record_runs_on_a_stock_mariadb(
    stack: LocalStack, stock_mariadb: Server, tmp_path: Path
) -> None:
    supervisor = start_services(stack, tmp_path, ALL)
    try:
        output = await run_to_completion(stack, supervisor, make_request(RECORDS), tmp_path)
    finally:
        supervisor.stop_all()
    records = output.records("dataset.jsonl")
    assert len(records) == RECORDS
    conn = await aiomysql.connect(**parse_mysql_dsn(stock_mariadb.dsn), autocommit=True)
    try:
        async with conn.cursor() as cur:
            await cur.execute("SELECT @@SESSION.sql_mode, @@collation_server")
            assert await cur.fetchone() == (MYSQL_SQL_MODE, MARIADB_COLLATION)
            failures, differ = [], []
            for number, record in enumerate(records):
                try:
                    count = await run_record(cur, number, record)
                except pymysql.err.MySQLError as exc:
                    failures.append((record["id"], record["sql_by_dialect"]["mysql"], str(exc)))
                    continue
                if count is not None and count != sandbox_row_count(record):
                    differ.append((record["id"], count, sandbox_row_count(record)))
    finally:
        conn.close()
    assert failures == []
    assert differ == []
