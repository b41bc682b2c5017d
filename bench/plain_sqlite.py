"""The yardstick for `sqlsynth validate --engines sqlite`: a plain sqlite3 loop over a dataset.

    python -m bench plain-sqlite [--data FILE]

What a user would script by hand: for each Gretel row, a fresh in-memory database, its
sql_context run as a script, the query run and fetched. No sandbox, no bounds, no parsing.
`--compare N` runs both as whole processes, in turn, N times each: this loop and
`sqlsynth validate --engines sqlite --level full` on the same file, and prints each one's
user + system CPU and wall seconds (medians) and the ratio validate / loop (#23's aim: 5x).
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
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


def time_process(command: list[str]) -> tuple[float, float]:
    """(user + system CPU seconds, wall seconds) of one child process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def compare(data: Path, runs: int) -> dict[str, object]:
    validate = [sys.executable, "-m", "services.cli", "validate", "--engines", "sqlite"]
    validate += ["--level", "full", "--json", "--no-progress", str(data)]
    loop = [sys.executable, "-m", "bench", "plain-sqlite", "--data", str(data)]
    times: dict[str, list[tuple[float, float]]] = {"validate": [], "plain_loop": []}
    for _ in range(runs):  # in turn, so both meet the same machine
        times["validate"].append(time_process(validate))
        times["plain_loop"].append(time_process(loop))
    medians = {
        name: {
            "cpu_s": round(statistics.median(c for c, _ in runs_), 3),
            "wall_s": round(statistics.median(w for _, w in runs_), 3),
        }
        for name, runs_ in times.items()
    }
    pairs = zip(times["validate"], times["plain_loop"], strict=True)
    ratios = [validated[0] / max(looped[0], 1e-9) for validated, looped in pairs]
    return {**medians, "cpu_ratio_median": round(statistics.median(ratios), 2), "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench plain-sqlite")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--compare", type=int, default=0, metavar="RUNS")
    args = parser.parse_args(argv)
    if args.compare:
        print(json.dumps(compare(args.data, args.compare)))
        return 0
    with args.data.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    started = time.perf_counter()
    ran = run_plain_loop(rows)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": len(rows), "ran": ran, "seconds": round(seconds, 3)}))
    return 0
