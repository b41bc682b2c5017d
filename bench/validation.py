"""Validation throughput (records/s) per engine and for all three, schema cache on and off.

    python -m bench validation [--data FILE] [--limit N] [--concurrency 16] [--repeat 3]

Each configuration opens fresh engines, validates every record at level full with the portable
policy (what `sqlsynth validate` does), and closes them. Cache "on" is EngineSettings' default
size; "off" is size 1, the smallest EngineSettings accepts: with many records in flight the one
slot is always taken by another record, so every fixture use builds the fixture again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from proto.common import Engine, Level, Policy
from shared.datasets import load_dataset
from shared.datasets.check import check_records, summarise
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.errors import EngineUnavailable
from shared.runtime.servers import servers_for
from shared.runtime.signals import cancel_on_terminate
from shared.sql.dialects import parse_engine_list

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "gretel" / "gretel_sample_1000.jsonl"
ENGINE_SETS = ["sqlite", "postgres", "mysql", "sqlite,postgres,mysql"]
CACHE_OFF_SIZE = 1


@dataclass
class Measurement:
    engines: str
    cache: str
    cache_size: int
    records: int
    seconds: float
    records_per_s: float
    query_valid_any: float | None
    fixtures_created: int
    fixtures_reused: int
    # Records an engine failed on mid-run (e.g. a server crashed): such a figure is not valid.
    errors: int = 0


def describe_machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal"):
                memory_kb = int(line.split()[1])
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores visible",
        "memory": f"{memory_kb / 1024 / 1024:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgres": server_version(["/usr/lib/postgresql/15/bin/postgres", "--version"]),
        "mariadb": server_version(["mariadbd", "--version"]),
        # The machine may be shared: the load says how far to trust the figures.
        "load average (1/5/15 min)": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def server_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=10)
    except OSError:
        return "not installed"
    return out.stdout.strip() or out.stderr.strip()


async def measure(
    records: list[Any],
    engines: list[Engine],
    settings: EngineSettings,
    cache: str,
    concurrency: int,
) -> Measurement:
    opened = await open_engines(settings, engines)
    try:
        validator = Validator(opened)
        started = time.perf_counter()
        results = await check_records(
            validator,
            records,
            engines,
            level=Level.FULL,
            policy=Policy.PORTABLE,
            concurrency=concurrency,
        )
        seconds = time.perf_counter() - started
        stats = [engine.fixtures.stats for engine in opened.values()]
    finally:
        for engine in opened.values():
            await engine.close()
    summary = summarise(results, engines, Level.FULL)
    return Measurement(
        engines="+".join(e.value for e in engines),
        cache=cache,
        cache_size=settings.schema_cache_size,
        records=len(results),
        seconds=round(seconds, 2),
        records_per_s=round(len(results) / seconds, 1),
        query_valid_any=summary["query_valid"]["any"],
        fixtures_created=sum(s.created + s.failed for s in stats),
        fixtures_reused=sum(s.reused for s in stats),
        errors=summary["errors"],
    )


async def run_all(
    records: list[Any],
    dsns: dict[Engine, str],
    engine_sets: list[str],
    concurrency: int,
    repeat: int,
    warmup: bool = True,
) -> list[Measurement]:
    base = EngineSettings(postgres_dsn=dsns.get(Engine.POSTGRES), mysql_dsn=dsns.get(Engine.MYSQL))
    caches = {"on": base.schema_cache_size, "off": CACHE_OFF_SIZE}
    measurements: list[Measurement] = []
    if warmup:
        # One unmeasured pass on every engine: the process-wide caches (sqlglot renderings of
        # each DDL, driver statement caches) are then warm for on and off alike.
        every = sorted({e for s in engine_sets for e in parse_engine_list(s)})
        warm = await measure(records, every, base, "warm-up", concurrency)
        print(json.dumps(asdict(warm)), file=sys.stderr, flush=True)
    for _ in range(repeat):
        for engine_set in engine_sets:
            engines = parse_engine_list(engine_set)
            # On and off back to back, so both see the same machine load.
            for cache, size in caches.items():
                settings = base.model_copy(update={"schema_cache_size": size})
                try:
                    result = await measure(records, engines, settings, cache, concurrency)
                except EngineUnavailable as exc:
                    # A server died: report what was measured before, do not guess the rest.
                    print(f"stopping: {exc}", file=sys.stderr, flush=True)
                    return measurements
                print(json.dumps(asdict(result)), file=sys.stderr, flush=True)
                measurements.append(result)
    return measurements


async def run_cancellable(*args: Any, **kwargs: Any) -> list[Measurement]:
    async with cancel_on_terminate():
        return await run_all(*args, **kwargs)


def render_markdown(measurements: list[Measurement]) -> str:
    """Every measurement, then per engine set the median records/s and on/off ratio."""
    lines = [
        "| engines | schema cache | seconds | records/s | query valid (any) "
        "| fixtures built | fixtures reused | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        valid = f"{100 * m.query_valid_any:.1f}%" if m.query_valid_any is not None else "n/a"
        lines.append(
            f"| {m.engines} | {m.cache} (size {m.cache_size}) | {m.seconds} "
            f"| {m.records_per_s} | {valid} | {m.fixtures_created} | {m.fixtures_reused} "
            f"| {m.errors} |"
        )
    lines += [
        "",
        "| engines | records/s, cache on (median) | records/s, cache off (median) "
        "| on/off ratio (median of pairs) |",
        "|---|---:|---:|---:|",
    ]
    # run_all measures on then off back to back: consecutive entries form a pair. A pair with
    # errors (an engine failed mid-run) says nothing about throughput and is left out.
    pairs: dict[str, list[tuple[Measurement, Measurement]]] = {}
    for on, off in zip(measurements[::2], measurements[1::2], strict=False):
        if on.engines == off.engines and not on.errors and not off.errors:
            pairs.setdefault(on.engines, []).append((on, off))
    for engines, runs in pairs.items():
        ratios = [on.records_per_s / off.records_per_s for on, off in runs if off.records_per_s]
        lines.append(
            f"| {engines} | {statistics.median(on.records_per_s for on, _ in runs):.1f} "
            f"| {statistics.median(off.records_per_s for _, off in runs):.1f} "
            f"| {statistics.median(ratios):.2f}× |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench validation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-warmup", action="store_true", help="skip the unmeasured first pass")
    parser.add_argument(
        "--engine-sets",
        nargs="+",
        default=ENGINE_SETS,
        help="each a comma-separated set, e.g. sqlite postgres sqlite,mysql",
    )
    parser.add_argument("--postgres-dsn", default=os.environ.get("SQLSYNTH_POSTGRES_DSN"))
    parser.add_argument("--mysql-dsn", default=os.environ.get("SQLSYNTH_MYSQL_DSN"))
    parser.add_argument("--json-out", type=Path, help="also write the measurements here")
    args = parser.parse_args(argv)

    load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    reader = load_dataset(args.data)
    records = list(reader)[: args.limit] if args.limit else list(reader)
    needed = sorted({e for s in args.engine_sets for e in parse_engine_list(s)})
    configured = {Engine.POSTGRES: args.postgres_dsn, Engine.MYSQL: args.mysql_dsn}
    with servers_for(needed, configured) as servers:
        if servers.unavailable:
            print(f"unavailable engines: {servers.unavailable}", file=sys.stderr)
            return 3
        measurements = asyncio.run(
            run_cancellable(
                records,
                servers.dsns,
                args.engine_sets,
                args.concurrency,
                args.repeat,
                warmup=not args.no_warmup,
            )
        )
    machine = describe_machine()
    machine["load average at start"] = load_at_start
    print(f"data: {args.data} ({len(records)} records, {len(reader.errors)} malformed)")
    warm = "no warm-up" if args.no_warmup else "after one unmeasured warm-up pass"
    print(
        f"concurrency {args.concurrency}, level full, policy portable, repeat {args.repeat}, {warm}"
    )
    for key, value in machine.items():
        print(f"{key}: {value}")
    print()
    print(render_markdown(measurements))
    if args.json_out:
        payload = {"machine": machine, "measurements": [asdict(m) for m in measurements]}
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")
    return 0
