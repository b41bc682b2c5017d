"""End-to-end throughput of `sqlsynth run` (template engine, three engines) and where time goes.

`python -m bench pipeline [--count N] [--replicas validator=2]` runs two measurements:

1. the real thing: `execute_run` (private nats-server, PostgreSQL, MariaDB, one process per
   service), reporting accepted samples/s over the whole run and over the processing span
   (first planned → last accepted, i.e. without start-up), and per-stage latency (queue + work)
   from each record's history timestamps;
2. the stages called in one process without a broker, sequentially, to show each stage's own
   cost per sample (ms of wall time on an otherwise idle loop) — the CPU budget the services share.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from proto import RunRequest, subjects
from proto.common import Engine
from proto.sample import SampleEnvelope
from services.runner.run import RunConfig, execute_run
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.pipeline.dedup import ExactDedupStage, MemoryClaimStore
from shared.pipeline.emit import Emit
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.near_dedup import NearDedupStage, NearDuplicateJudge
from shared.pipeline.planner import RunPlanner, new_plan
from shared.pipeline.revise import ReviserStage
from shared.pipeline.routes import PipelineDriver, StageFn
from shared.pipeline.template_adapter import TemplateDraftEngine
from shared.pipeline.validate import ValidatorStage
from shared.runtime.local import LocalStack
from shared.similarity.embedders import load_embedder
from shared.similarity.index import SimilarityIndex
from shared.similarity.locks import MemoryScopeLock
from shared.spec import load_spec


def stage_latencies(dataset: Path) -> dict[str, dict[str, float]]:
    gaps: dict[str, list[float]] = defaultdict(list)
    for line in dataset.read_text().splitlines():
        history = json.loads(line)["history"]
        times = [datetime.fromisoformat(h["at"]) for h in history]
        for before, after, entry in zip(times, times[1:], history[1:], strict=False):
            gaps[f"{entry['stage']}.{entry['outcome']}"].append((after - before).total_seconds())
    return {
        name: {
            "n": len(values),
            "p50_ms": 1000 * statistics.median(values),
            "p90_ms": 1000 * sorted(values)[int(0.9 * (len(values) - 1))],
        }
        for name, values in gaps.items()
    }


def processing_span(dataset: Path) -> float:
    first, last = None, None
    for line in dataset.read_text().splitlines():
        history = json.loads(line)["history"]
        start, end = (
            datetime.fromisoformat(history[0]["at"]),
            datetime.fromisoformat(history[-1]["at"]),
        )
        first = start if first is None or start < first else first
        last = end if last is None or end > last else last
    return (last - first).total_seconds() if first and last else 0.0


async def measure_services(count: int, replicas: dict[str, int]) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    request = RunRequest(
        run_id=f"bench-{uuid.uuid4().hex[:8]}", count=count, spec=load_spec(None).to_document()
    )
    result = await execute_run(
        RunConfig(out_dir=out, request=request, replicas=replicas), lambda *_: None
    )
    span = processing_span(out / "dataset.jsonl")
    return {
        "count": count,
        "replicas": replicas,
        "elapsed_s": round(result.elapsed_s, 1),
        "accepted": result.status.accepted,
        "duplicate": result.status.duplicate,
        "rejected": result.status.rejected,
        "accepted_per_s_overall": round(result.status.accepted / result.elapsed_s, 1),
        "processing_span_s": round(span, 1),
        "accepted_per_s_processing": round(result.status.accepted / span, 1) if span else None,
        "stage_latency": stage_latencies(out / "dataset.jsonl"),
    }


async def measure_stages(count: int) -> dict[str, Any]:
    """Each stage's own time per sample, sequential, in one process (no broker, warm caches)."""
    with LocalStack.start(["postgres", "mysql"]) as stack:
        settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
        engines = await open_engines(settings, list(Engine))
        try:
            engine = TemplateDraftEngine()
            reviser = ReviserStage(engine)
            # The stage the dedup service runs: near-duplicates over an in-memory Qdrant index
            # with the default (distilled) embedder; the exact stage is timed beside it.
            embedder = load_embedder()
            index = SimilarityIndex.open(dim=embedder.dim, model=embedder.name)
            judge = NearDuplicateJudge(index, embedder, MemoryClaimStore(), MemoryScopeLock())
            dedup, exact = NearDedupStage(judge), ExactDedupStage(MemoryClaimStore())
            request = RunRequest(run_id="bench", count=2 * count, max_in_flight=2 * count)
            planner = RunPlanner(new_plan(request))
            started = time.perf_counter()
            emits = planner.advance(None)
            plan_ms = (time.perf_counter() - started) * 1000 / len(emits)
            totals: dict[str, float] = defaultdict(float)
            timing = {"on": False}

            def timed(name: str, fn: StageFn) -> StageFn:
                async def run(envelope: SampleEnvelope) -> Sequence[Emit]:
                    started = time.perf_counter()
                    out = await fn(envelope)
                    if timing["on"]:
                        totals[name] += time.perf_counter() - started
                    return out

                return run

            async def exact_then_near(envelope: SampleEnvelope) -> Sequence[Emit]:
                await timed("reviewed (exact dedup)", exact)(envelope.model_copy(deep=True))
                return await timed("reviewed", dedup)(envelope)

            # The services' routing table, run in this process: each subject to its stage.
            driver = PipelineDriver(
                {
                    subjects.SAMPLE_PLANNED: timed("planned", GeneratorStage(engine)),
                    subjects.SAMPLE_DRAFTED: timed(
                        "drafted", ValidatorStage(Validator(engines), set(engines))
                    ),
                    subjects.SAMPLE_CHECKED: timed("checked", reviser.review),
                    subjects.SAMPLE_FAILED: timed("failed", reviser.repair),
                    subjects.SAMPLE_REVIEWED: exact_then_near,
                }
            )
            # First half warms the schema caches (one build per fixture and engine); then timed.
            await driver.run(emits[:count])
            timing["on"] = True
            await driver.run(emits[count:])
            per_sample = {name: round(1000 * t / count, 2) for name, t in totals.items()}
            per_sample["planning"] = round(plan_ms, 2)
            await index.close()
            return {"count": count, "ms_per_sample_by_input_subject": per_sample}
        finally:
            for eng in engines.values():
                await eng.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench pipeline")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--replicas", action="append", default=[])
    parser.add_argument("--skip-stages", action="store_true")
    args = parser.parse_args(argv)
    replicas = {k: int(v) for k, _, v in (r.partition("=") for r in args.replicas)}
    results: dict[str, Any] = {"services": asyncio.run(measure_services(args.count, replicas))}
    if not args.skip_stages:
        results["stages"] = asyncio.run(measure_stages(min(args.count, 500)))
    print(json.dumps(results, indent=2))
    return 0
