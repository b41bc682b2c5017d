"""Explore/expand (SQL-Factory) and evolution (EvolSQL): what each way of making samples yields.

`python -m bench growth [--cycles 8] [--size 25] [--evolved RUN_DIR/evolved]`

1. The managed loop (`shared.evolution.grow`, template engine, SQLite/PostgreSQL/MariaDB of a
   private stack) against the same number of cycles spent exploring only: accepted samples, the
   pipeline's pass rate (validity), distinct structural patterns per 1,000 accepted (diversity),
   LLM calls and CPU seconds per accepted sample (cost), per mode.
2. With `--evolved DIR` (an `sqlsynth evolve` output beside its source run): the same diversity
   and validity figures for the parents and each evolution round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from proto.common import Engine
from proto.run import RunRequest
from proto.sample import SampleEnvelope
from shared.engines.registry import EngineSettings, close_engines, open_engines
from shared.evolution.grow import GrowConfig, GrowReport, grow, pattern_of
from shared.evolution.manage import Mode
from shared.evolution.outputs import evolution_rounds
from shared.evolution.stages import build_driver
from shared.pipeline.dedup import MemoryClaimStore
from shared.runtime.local import LocalStack
from shared.spec import load_spec
from shared.sql.features import analyze_query


def per_thousand(distinct: int, total: int) -> float | None:
    return round(1000 * distinct / total, 1) if total else None


def describe_mode(report: GrowReport, mode: Mode) -> dict[str, Any]:
    accepted: list[SampleEnvelope] = report.accepted[mode]
    drafted = report.drafted[mode]
    patterns = {pattern_of(e) for e in accepted}
    calls = sum(e.cost.calls for e in accepted)
    return {
        "cycles": sum(1 for e in report.evaluations if e.mode is mode),
        "drafted": drafted,
        "accepted": len(accepted),
        "pass_rate": round(len(accepted) / drafted, 3) if drafted else None,
        "distinct_patterns": len(patterns),
        "patterns_per_1000": per_thousand(len(patterns), len(accepted)),
        "llm_calls": calls,
        "cpu_ms_per_accepted": round(1000 * report.cpu_s[mode] / len(accepted), 1)
        if accepted
        else None,
    }


def describe(report: GrowReport) -> dict[str, Any]:
    everything = [e for mode in Mode for e in report.accepted[mode]]
    patterns = {pattern_of(e) for e in everything}
    return {
        "modes": [e.mode.value for e in report.evaluations],
        "accepted": len(everything),
        "share_expanded": round(len(report.accepted[Mode.EXPAND]) / len(everything), 3)
        if everything
        else None,
        "patterns_per_1000": per_thousand(len(patterns), len(everything)),
        "by_mode": {mode.value: describe_mode(report, mode) for mode in Mode},
    }


async def measure_loop(cycles: int, size: int) -> dict[str, Any]:
    with LocalStack.start(["postgres", "mysql"]) as stack:
        settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
        engines = await open_engines(settings, list(Engine))
        results: dict[str, Any] = {}
        try:
            for name, expand in (("managed", True), ("explore_only", False)):
                driver, validator = build_driver(engines, MemoryClaimStore(), generate=True)
                request = RunRequest(
                    run_id=f"growth-{name}",
                    count=size,
                    seed=5,
                    spec=load_spec(None).to_document(),
                    max_in_flight=4 * size,
                )
                try:
                    config = GrowConfig(cycles=cycles, cycle_size=size, expand=expand)
                    results[name] = describe(await grow(driver, request, config))
                finally:
                    validator.close()
        finally:
            await close_engines(engines)
        return results


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def measure_evolved(evolved: Path) -> dict[str, Any]:
    summary = json.loads((evolved / "summary.json").read_text())
    parents = _read(Path(summary["source"]) / "dataset.jsonl")
    records = _read(evolved / "dataset.jsonl")

    def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
        found = [analyze_query(r["sql"]).features for r in rows]
        patterns = {f.pattern_hash for f in found if f is not None}
        return {"records": len(rows), "patterns_per_1000": per_thousand(len(patterns), len(rows))}

    out: dict[str, Any] = {"parents": figures(parents)}
    rounds = evolution_rounds(records)
    for r in summary["rounds"]:
        depth = r["round"]
        rows = [x for x in records if rounds[x["id"]] == depth]
        out[f"round_{depth}"] = {**figures(rows), "pass_rate": r["pipeline_pass_rate"]}
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench growth")
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--size", type=int, default=25)
    parser.add_argument("--evolved", type=Path)
    parser.add_argument("--skip-loop", action="store_true")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    if not args.skip_loop:
        results["loop"] = asyncio.run(measure_loop(args.cycles, args.size))
    if args.evolved is not None:
        results["evolution"] = measure_evolved(args.evolved)
    print(json.dumps(results, indent=2))
    return 0
