"""The yardstick for `sqlsynth validate --engines sqlite`: a plain sqlite3 loop over a dataset.

    python -m bench plain-sqlite [--data FILE]

What a user would script by hand: for each Gretel row, a fresh in-memory database, its
sql_context run as a script, the query run and fetched. No sandbox, no bounds, no parsing.
Run it and the command in turn, a few times each, and compare their user + system CPU
(`/usr/bin/time -v` on each run) for the ratio (bench/README.md):

    python -m bench plain-sqlite
    python -m services.cli validate --engines sqlite --json --no-progress FILE
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from pathlib import Path

DEFAULT_DATA = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/gretel/gretel_sample_1000.jsonl"
)


def run_plain_loop(rows: list[dict[str, str]]) -> int:
    """Rows whose context and query both run; each on its own in-memory database."""
    ran = 0
    for row in rows:
        connection = sqlite3.connect(":memory:")
        try:
            connection.executescript(row["sql_context"])
            connection.execute(row["sql"]).fetchall()
            ran += 1
        except sqlite3.Error:
            pass
        finally:
            connection.close()
    return ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench plain-sqlite")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    with args.data.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    started = time.perf_counter()
    ran = run_plain_loop(rows)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": len(rows), "ran": ran, "seconds": round(seconds, 3)}))
    return 0
