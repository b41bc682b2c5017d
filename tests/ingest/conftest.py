"""Real logs for the ingest tests: private PostgreSQL and MariaDB instances started with their
query logging on, fed real queries (multi-line, parameterised, failing, slow, with personal
data), then stopped so every line is on disk."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiomysql
import asyncpg
import pytest

from shared.engines.provision import parse_mysql_dsn
from shared.runtime.local import (
    ServerUnavailable,
    server_dir,
    start_mariadb,
    start_postgres,
)

EMAILS = ["ann.lee@example.com", "bo.chan@mail.example.org", "cy@corp.example.net"]
PHONES = ["+1 (555) 010-2030", "+44 20 7946 0958", "555-0199"]
CARD = "4111 1111 1111 1111"
REPEATS = 5
MULTI_LINE = """SELECT c.name,
       SUM(o.amount) AS total
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
WHERE o.amount > 10
GROUP BY c.name
ORDER BY total DESC"""


@dataclass(frozen=True)
class PgLogs:
    stderr: Path
    csvlog: Path
    jsonlog: Path


@dataclass(frozen=True)
class MariaLogs:
    general: Path
    slow: Path


def private_base(prefix: str) -> Path:
    # Database servers run as their own user when we are root: the base must be traversable.
    base = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(base, 0o755)
    return base


async def feed_postgres(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE customers (id integer PRIMARY KEY, email text, phone text, name text,"
            " created_at timestamp)"
        )
        await conn.execute(
            "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES"
            " customers (id), amount numeric(10, 2), card text)"
        )
        for i, (email, phone) in enumerate(zip(EMAILS, PHONES, strict=True), start=1):
            await conn.execute(
                f"INSERT INTO customers VALUES ({i}, '{email}', '{phone}', 'name {i}',"
                f" '2024-01-0{i} 10:00:00')"
            )
            await conn.execute(f"INSERT INTO orders VALUES ({i}, {i}, {i * 15}.50, '{CARD}')")
        for i in range(REPEATS):  # one shape, five executions (simple query protocol)
            await conn.execute(f"SELECT name FROM customers WHERE id = {i}")
        await conn.execute(MULTI_LINE)
        await conn.fetch("SELECT id, name\nFROM customers\nWHERE email = $1", EMAILS[0])
        await conn.execute("SELECT pg_sleep(0.2)")
        for bad in ("SELECT * FROM missing_table", "SELECT 1 / 0", "SELEC 1"):
            with pytest.raises(asyncpg.PostgresError):
                await conn.execute(bad)
        # Without log_statement the duration line carries the text itself.
        await conn.execute("SET log_statement = 'none'")
        await conn.execute("SELECT count(*) FROM orders WHERE amount > 20")
    finally:
        await conn.close()


async def feed_mariadb(dsn: str) -> None:
    conn = await aiomysql.connect(**parse_mysql_dsn(dsn), autocommit=True)
    try:
        async with conn.cursor() as cur:
            await cur.execute("CREATE DATABASE shop")
            await cur.execute("USE shop")
            await cur.execute(
                "CREATE TABLE customers (id int PRIMARY KEY, email varchar(100), name varchar(50))"
            )
            await cur.execute(
                "CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount decimal(10,2),"
                " FOREIGN KEY (customer_id) REFERENCES customers (id))"
            )
            for i, email in enumerate(EMAILS, start=1):
                await cur.execute(f"INSERT INTO customers VALUES ({i}, '{email}', 'name {i}')")
                await cur.execute(f"INSERT INTO orders VALUES ({i}, {i}, {i * 15}.5)")
            for i in range(REPEATS):
                await cur.execute(f"SELECT name FROM customers WHERE id = {i}")
            await cur.execute(MULTI_LINE)
            await cur.execute("SELECT id FROM customers WHERE email = %s", (EMAILS[1],))
            await cur.execute("SELECT SLEEP(0.2)")
            with pytest.raises(aiomysql.Error):
                await cur.execute("SELECT * FROM missing_table")
    finally:
        conn.close()


@pytest.fixture(scope="session")
def pg_logs() -> Iterator[PgLogs]:
    base = private_base("sqlsynth-ingest-pg-")
    logging = {
        "logging_collector": "on",
        "log_directory": "log",
        "log_filename": "server.log",
        "log_destination": "stderr,csvlog,jsonlog",
        "log_statement": "all",
        "log_min_duration_statement": "0",
    }
    args = [item for key, value in logging.items() for item in ("-c", f"{key}={value}")]
    try:
        server = start_postgres(base, extra_args=args)
    except ServerUnavailable as exc:
        pytest.fail(f"PostgreSQL is needed for the real-log tests: {exc}")
    try:
        asyncio.run(feed_postgres(server.dsn))
    finally:
        server.stop()
    log_dir = server_dir(base) / "pg" / "log"
    yield PgLogs(log_dir / "server.log", log_dir / "server.csv", log_dir / "server.json")
    shutil.rmtree(server_dir(base), ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def maria_logs() -> Iterator[MariaLogs]:
    base = private_base("sqlsynth-ingest-maria-")
    # Relative names land in the data dir, which the server's own user can write.
    args = [
        "--general-log",
        "--general-log-file=general.log",
        "--slow-query-log",
        "--slow-query-log-file=slow.log",
        "--long-query-time=0",
    ]
    try:
        server = start_mariadb(base, extra_args=args)
    except ServerUnavailable as exc:
        pytest.fail(f"MariaDB is needed for the real-log tests: {exc}")
    try:
        asyncio.run(feed_mariadb(server.dsn))
    finally:
        server.stop()
    data = server_dir(base) / "mariadb"
    yield MariaLogs(data / "general.log", data / "slow.log")
    shutil.rmtree(server_dir(base), ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
