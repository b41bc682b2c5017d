"""CPU per sample of the validator stage alone, on the same drafts, with every check on.

    python -m bench stage-cpu [--count 150] [--warmup 20] [--seed 7]

The drafts are those `sqlsynth run` would validate first: a default-spec run's planned
blueprints (seed `--seed`) drafted by the template engine, in this process. Then the
validator stage (`ValidatorStage`, as the validator service runs it: three engines, level full,
portable policy, sense checks in their worker process) checks them one after another against a
private PostgreSQL and MariaDB. After `--warmup` drafts (imports, the sense worker and the
SQLite workers started), the CPU of each process is read from /proc around the measured
drafts: this process (the validator's own work), its sense worker, its SQLite workers, the
PostgreSQL and MariaDB servers. CPU time, unlike wall time, barely moves with the other jobs
of a shared machine, so a before/after pair on the same drafts shows a change to the stage.

It also prints the stage's outcomes (checked, or failed by error class): the same drafts must
get the same verdicts before and after a speed change.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections import Counter
from pathlib import Path

from bench.cpu import descendants, process_table
from proto import RunRequest, subjects
from proto.common import Engine
from proto.sample import SampleEnvelope
from shared.engines.fixture import fixture_from_draft
from shared.engines.registry import EngineSettings, close_engines, open_engines
from shared.engines.validator import Validator
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.planner import RunPlanner, new_plan
from shared.pipeline.template_adapter import TemplateDraftEngine
from shared.pipeline.validate import ValidatorStage
from shared.runtime.local import LocalStack


async def draft_envelopes(count: int, seed: int) -> list[SampleEnvelope]:
    request = RunRequest(run_id="stage-cpu", count=count, seed=seed, max_in_flight=count)
    planner = RunPlanner(new_plan(request))
    generator = GeneratorStage(TemplateDraftEngine())
    drafted: list[SampleEnvelope] = []
    for emit in planner.advance(None)[:count]:
        for out in await generator(emit.envelope):
            if out.subject == subjects.SAMPLE_DRAFTED:
                drafted.append(out.envelope)
    return drafted


def envelope_fixture_key(envelope: SampleEnvelope) -> str:
    return fixture_from_draft(envelope.draft).key if envelope.draft else ""


def cpu_by_process(stack: LocalStack) -> dict[str, float]:
    """CPU seconds: this process, its children by kind, and each server's process tree."""
    table = process_table()
    me = os.getpid()
    cpu = {"validator (main process)": table[me][1]}
    for pid in descendants(me, table):
        if pid == me:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        kind = "sqlite workers" if b"sqlite_worker" in cmdline else "sense worker"
        if b"postgres" in cmdline or b"mariadb" in cmdline or b"mysqld" in cmdline:
            continue  # the servers' trees are counted below
        cpu[kind] = cpu.get(kind, 0.0) + table[pid][1]
    for name, server in stack.servers.items():
        root = server.proc.pid
        cpu[f"server: {name}"] = sum(table[p][1] for p in descendants(root, table))
    return cpu


async def measure(count: int, warmup: int, seed: int) -> dict[str, object]:
    envelopes = await draft_envelopes(count + warmup, seed)
    with LocalStack.start(["postgres", "mysql"]) as stack:
        settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
        engines = await open_engines(settings, list(Engine))
        stage = ValidatorStage(Validator(engines), set(engines))
        try:
            for envelope in envelopes[:warmup]:
                await stage(envelope)
            measured = envelopes[warmup:]
            before = cpu_by_process(stack)
            outcomes: Counter[str] = Counter()
            for envelope in measured:
                for emit in await stage(envelope):
                    feedback = emit.envelope.feedback
                    cause = feedback[0].error_class.value if feedback else ""
                    outcomes[f"{emit.outcome.value} {cause}".strip()] += 1
            after = cpu_by_process(stack)
            # Built against reused per engine over the whole run (warm-up included): how
            # often a record found its schema's fixture already built in this process.
            fixtures = {
                engine.value: {
                    "built": runner.fixtures.stats.created,
                    "reused": runner.fixtures.stats.reused,
                    "failed": runner.fixtures.stats.failed,
                    "distinct": len({envelope_fixture_key(e) for e in envelopes}),
                }
                for engine, runner in engines.items()
            }
        finally:
            stage.close()
            await close_engines(engines)
    per_sample = {
        name: round(1000 * (after[name] - before.get(name, 0.0)) / max(len(measured), 1), 2)
        for name in after
    }
    return {
        "drafts": len(measured),
        "cpu_ms_per_draft": per_sample,
        "total_cpu_ms_per_draft": round(sum(per_sample.values()), 2),
        "outcomes": dict(sorted(outcomes.items())),
        "fixtures": fixtures,
        "load_average": os.getloadavg(),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench stage-cpu")
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.count, args.warmup, args.seed)), indent=2))
    return 0
