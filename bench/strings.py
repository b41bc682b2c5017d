"""`python -m bench strings`: what the screen's string bounds cost and what they protect against.

1. Worst-case searches the engines cannot interrupt: PostgreSQL strpos(), MariaDB LOCATE() and
   LIKE, SQLite instr(), haystack n and needle n/2 that almost matches everywhere, on private
   servers (the basis of MAX_SEARCH_WORK in shared/engines/strings.py).
2. The screen's bound check per statement on BIRD mini-dev's gold SQL, and how many real queries
   (BIRD mini-dev in three dialects, Gretel's 1,000) it refuses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from pathlib import Path

import aiomysql
import asyncpg
import sqlglot

from proto.common import Engine
from shared.engines.provision import parse_mysql_dsn
from shared.engines.sandbox import screen_query
from shared.engines.strings import MAX_SEARCH_WORK, find_string_problem, round_column_chars
from shared.runtime.local import THROWAWAY_STOP_GRACE_S, LocalStack
from shared.sql.dialects import sqlglot_dialect

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
BIRD = {
    Engine.SQLITE: "mini_dev_sqlite.json",
    Engine.POSTGRES: "mini_dev_postgresql.json",
    Engine.MYSQL: "mini_dev_mysql.json",
}


async def time_searches(stack: LocalStack, sizes: list[int]) -> list[dict[str, float]]:
    pg = await asyncpg.connect(stack.dsn("postgres"))
    my = await aiomysql.connect(**parse_mysql_dsn(str(stack.dsn("mysql"))), charset="utf8mb4")
    lite = sqlite3.connect(":memory:")
    rows = []
    try:
        for n in sizes:
            m = n // 2
            row: dict[str, float] = {"haystack": n, "needle": m, "work_M": (n - m) * m / 1e6}
            started = time.perf_counter()
            await pg.fetchval(f"SELECT strpos(repeat('a', {n}), 'b' || repeat('a', {m}))")
            row["pg_strpos_s"] = time.perf_counter() - started
            async with my.cursor() as cur:
                for name, sql in (
                    ("mariadb_locate_s", f"SELECT LOCATE(CONCAT('b', REPEAT('a', {m})), "
                     f"REPEAT('a', {n}))"),
                    ("mariadb_like_s", f"SELECT REPEAT('a', {n}) LIKE "
                     f"CONCAT('%', REPEAT('a', {m}), 'b%')"),
                ):  # fmt: skip
                    started = time.perf_counter()
                    await cur.execute(sql)
                    row[name] = time.perf_counter() - started
            started = time.perf_counter()
            lite.execute("SELECT instr(?, ?)", ("a" * n, "a" * m + "b")).fetchone()
            row["sqlite_instr_s"] = time.perf_counter() - started
            rows.append(row)
    finally:
        await pg.close()
        my.close()
        lite.close()
    return rows


def measure_screen(data: Path) -> dict[str, object]:
    trees, refused = [], {}
    for engine, name in BIRD.items():
        queries = [item["SQL"] for item in json.loads((data / "bird_minidev" / name).read_text())]
        trees += [(sqlglot.parse_one(q, read=sqlglot_dialect(engine)), engine) for q in queries]
        refused[f"bird_{engine.value}"] = count_refused(queries, engine)
    gretel = data / "gretel" / "gretel_sample_1000.jsonl"
    queries = [json.loads(line)["sql"] for line in gretel.read_text().splitlines() if line]
    for engine in Engine:
        refused[f"gretel_{engine.value}"] = count_refused(queries, engine)
    started = time.perf_counter()
    for tree, engine in trees:
        find_string_problem(tree, 256, dialect=sqlglot_dialect(engine))
    per_statement_ms = (time.perf_counter() - started) * 1000 / len(trees)
    return {"statements": len(trees), "bound_check_ms": per_statement_ms, "refused": refused}


def count_refused(queries: list[str], engine: Engine) -> str:
    # Fixture values of up to 2,000 characters (BIRD has long texts).
    column_chars = round_column_chars(2000)
    hits = 0
    for sql in queries:
        screened = screen_query(sql, engine, allow_writes=True, column_chars=column_chars)
        words = ("string", "count that", "width", "grows", "format")
        hits += bool(screened.message and any(w in screened.message for w in words))
    return f"{hits}/{len(queries)}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench strings")
    parser.add_argument("--sizes", default="4096,8192,16384,32768")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    stack = LocalStack.start(["postgres", "mysql"])
    stack.stop_grace_s = THROWAWAY_STOP_GRACE_S
    try:
        if stack.unavailable:
            print(f"servers did not start: {stack.unavailable}")
            return 1
        for row in asyncio.run(time_searches(stack, sizes)):
            print(json.dumps({k: round(v, 3) for k, v in row.items()}))
    finally:
        stack.stop()
    print(json.dumps({"max_search_work_M": MAX_SEARCH_WORK / 1e6, **measure_screen(args.data)}))
    return 0
