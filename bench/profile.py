"""Where a CLI command's CPU goes: cProfile on a CPU clock, shares grouped by area.

    python -m bench profile [--top 25] [--out FILE.prof] -- validate --engines sqlite FILE

Runs `sqlsynth ARGS` (services.cli's main) in this process under cProfile with
time.process_time as its clock, so waiting for the machine's other jobs is not counted, then
prints the command's CPU seconds, the own time of each area (sqlglot, each module of
shared/engines, asyncio, imports, ...) and the functions with the most cumulative time.
Worker processes (SQLite's workers, servers) are not in the profile: their CPU is printed
apart (getrusage of reaped children). cProfile's per-call cost inflates code made of many
small Python calls, so compare shares between runs of the same profiler, not with plain timings.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from collections import Counter

# (prefix of the file path after site-packages or the checkout, area); first match wins.
AREAS: tuple[tuple[str, str], ...] = (
    ("sqlglot", "sqlglot"),
    ("sqlglotc", "sqlglot"),
    ("shared/engines/", "shared/engines/"),
    ("shared/", "shared (other)"),
    ("services/", "services"),
    ("proto/", "proto"),
    ("pydantic", "pydantic"),
    ("asyncio/", "asyncio"),
    ("<frozen importlib", "imports"),
    ("importlib", "imports"),
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", help="also write the raw profile (pstats) here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then sqlsynth's arguments")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    profiler = cProfile.Profile(time.process_time)
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    code: object = 0
    profiler.enable()
    try:
        # Imported under the profiler: the command's imports are part of its cost.
        from services.cli.main import cli

        cli(args=command, prog_name="sqlsynth")
    except SystemExit as exit_:
        code = exit_.code
    finally:
        profiler.disable()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started_wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    if args.out:
        stats.dump_stats(args.out)
    print_report(stats, cpu, wall, children.ru_utime + children.ru_stime, args.top)
    return int(code) if isinstance(code, int) else 1


def print_report(stats: pstats.Stats, cpu: float, wall: float, children: float, top: int) -> None:
    raw = stats.stats  # type: ignore[attr-defined]
    own: Counter[str] = Counter()
    for (path, _, _), (_, _, tottime, _, _) in raw.items():
        own[area_of(path)] += tottime
    profiled = sum(own.values()) or 1.0
    err = sys.stderr
    print(
        f"command CPU {cpu:.2f} s (wall {wall:.2f} s); reaped child processes {children:.2f} s",
        file=err,
    )
    print("own time by area (share of the profiled CPU):", file=err)
    for area, seconds in own.most_common():
        print(f"  {area:<40} {seconds:7.2f} s  {100 * seconds / profiled:5.1f}%", file=err)
    print(f"top {top} by cumulative time:", file=err)
    stats.sort_stats("cumulative").print_stats(top)


def area_of(path: str) -> str:
    """The area a function's file belongs to; engines modules by name."""
    if "site-packages/" in path:
        tail = path.split("site-packages/", 1)[1]
    elif path.startswith("/work/"):
        tail = path.split("/", 3)[-1]  # /work/<checkout>/shared/... -> shared/...
    else:
        tail = path
    for prefix, area in AREAS:
        index = tail.find(prefix)
        if index >= 0:
            if area == "shared/engines/":
                return tail[index:]
            return area
    if path.startswith("~") or path.startswith("<built-in"):
        return "builtins (C calls)"
    return "other: " + tail.rsplit("/", 1)[-1]
