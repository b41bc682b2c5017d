"""Near-duplicate removal: embedding throughput, Qdrant lookups, the judge, and the evidence for τ.

`python -m bench similarity [--sizes 10000,100000] [--queries 300] [--drafts 1500] [--quick]`

1. embedding throughput of the full model (all-MiniLM-L6-v2, PyTorch) and the distilled static
   model (model2vec), on Spider dev's questions: batched, and one text at a time;
2. Qdrant lookup latency (p50/p99) with N stored samples, local mode: the k x 20 = 100 nearest
   SQL vectors with their payloads, (a) N spread over 100 schemas (one collection per run and
   schema, the local layout), (b) N in one schema, (c) one collection with payload filters (the
   server layout, which local mode evaluates in Python: measured at the smallest N only);
3. the judge on template drafts (the offline generator, 36 domains): per-sample latency, verdicts
   by layer, and the saturation signal (duplicate rate, mean similarity) as the pool grows;
4. precision/recall of the question layer on Spider dev paraphrases for both models, and the
   distilled model's threshold calibrated against the full model at τ = 0.9.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from proto import RunRequest, subjects
from shared.pipeline.dedup import MemoryClaimStore
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.near_dedup import NearDedupConfig, NearDuplicateJudge, candidate_of
from shared.pipeline.planner import RunPlanner, new_plan
from shared.pipeline.template_adapter import TemplateDraftEngine
from shared.similarity.calibration import (
    FULL_THRESHOLD,
    QUESTION_THRESHOLDS,
    LabelledRow,
    calibrate_threshold,
    pair_cosines,
    paraphrase_pairs,
    precision_recall,
)
from shared.similarity.embedders import FULL, STATIC, Embedder, load_embedder
from shared.similarity.index import IndexedSample, ScopeLayout, SimilarityIndex
from shared.similarity.locks import MemoryScopeLock
from shared.similarity.saturation import SaturationTracker, saturation_advice
from shared.spec import load_spec

SPIDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "spider" / "dev.json"


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
    }


def spider_rows() -> list[LabelledRow]:
    rows = json.loads(SPIDER.read_text())
    return [LabelledRow(r["db_id"], r["query"], r["question"]) for r in rows]


def measure_embedding(models: dict[str, Embedder], texts: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, model in models.items():
        model.embed(texts[:32])  # warm-up
        started = time.perf_counter()
        model.embed(texts)
        batched = len(texts) / (time.perf_counter() - started)
        singles = []
        for text in texts[:100]:
            started = time.perf_counter()
            model.embed([text])
            singles.append(time.perf_counter() - started)
        out[name] = {
            "dim": model.dim,
            "batched_texts_per_s": round(batched, 1),
            "single_text": percentiles(singles),
        }
    return out


async def fill(
    index: SimilarityIndex, vectors: np.ndarray, scopes: int, run_id: str = "bench"
) -> float:
    started = time.perf_counter()
    batch = []
    for i, vector in enumerate(vectors):
        sample = IndexedSample(
            sample_id=f"s{i}",
            run_id=run_id,
            scope=f"schema{i % scopes}",
            sql=f"SELECT c{i % 97}, COUNT(*) FROM t{i % scopes} WHERE c{i % 13} > {i} GROUP BY 1",
            question=f"How many rows of t{i % scopes} have c{i % 13} above {i}?",
        )
        batch.append((sample, vector, vector))
        if len(batch) == 2000:
            await index.add_many(batch)
            batch = []
    if batch:
        await index.add_many(batch)
    return time.perf_counter() - started


async def lookups(
    index: SimilarityIndex, queries: np.ndarray, scopes: int, limit: int
) -> list[float]:
    times = []
    for i, vector in enumerate(queries):
        started = time.perf_counter()
        found = await index.nearest("sql", vector, "bench", f"schema{i % scopes}", limit)
        times.append(time.perf_counter() - started)
        assert found, "a lookup in a filled schema found nothing"
    return times


async def measure_qdrant(sizes: list[int], queries: int, dim: int) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    out: dict[str, Any] = {}
    limit = 5 * 20  # k x 20 (SQL-Factory)
    for size in sizes:
        vectors = rng.standard_normal((size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        probe = vectors[rng.integers(0, size, queries)]
        for label, scopes in (("100_schemas", 100), ("1_schema", 1)):
            index = SimilarityIndex.open(dim=dim, model="bench")
            fill_s = await fill(index, vectors, scopes)
            out[f"{size}/{label}"] = {
                "stored": size,
                "per_schema": size // scopes,
                "insert_per_s": round(size / fill_s, 1),
                "lookup": percentiles(await lookups(index, probe, scopes, limit)),
            }
            await index.close()
        if size == min(sizes):
            # Local mode warns that payload indexes do nothing there: that is what is measured.
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
            plain = SimilarityIndex.open(dim=dim, model="bench")
            index = SimilarityIndex(plain.client, dim, "bench", ScopeLayout.FILTER)
            await fill(index, vectors, 100)
            few = probe[: max(10, queries // 10)]
            out[f"{size}/100_schemas/payload_filter"] = {
                "stored": size,
                "lookup": percentiles(await lookups(index, few, 100, limit)),
            }
            await index.close()
    return out


async def measure_persisted_upsert(dim: int, count: int = 300) -> dict[str, float]:
    import tempfile

    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as folder:
        index = SimilarityIndex.open(dim=dim, model="bench", path=Path(folder))
        times = []
        for i in range(count):
            vector = rng.standard_normal(dim).astype(np.float32)
            vector /= np.linalg.norm(vector)
            started = time.perf_counter()
            await index.add(IndexedSample(f"p{i}", "bench", f"schema{i % 10}", "SELECT 1"), vector)
            times.append(time.perf_counter() - started)
        await index.close()
    return percentiles(times)


async def template_drafts(count: int) -> list[Any]:
    generator = GeneratorStage(TemplateDraftEngine())
    request = RunRequest(
        run_id=f"bench-{uuid.uuid4().hex[:6]}",
        count=count,
        max_in_flight=count,
        spec=load_spec(None).to_document(),
    )
    drafts = []
    for emit in RunPlanner(new_plan(request)).advance(None):
        for out in await generator(emit.envelope):
            if out.subject == subjects.SAMPLE_DRAFTED:
                drafts.append(out.envelope)
    return drafts


async def measure_judge(embedder: Embedder, drafts: list[Any], step: int) -> dict[str, Any]:
    index = SimilarityIndex.open(dim=embedder.dim, model=embedder.name)
    tracker = SaturationTracker()
    judge = NearDuplicateJudge(
        index, embedder, MemoryClaimStore(), MemoryScopeLock(), NearDedupConfig(), tracker
    )
    times: list[float] = []
    layers: Counter[str] = Counter()
    curve: list[dict[str, float]] = []
    steps: dict[str, list[float]] = {}
    run_id = drafts[0].run_id if drafts else ""
    for number, envelope in enumerate(drafts, start=1):
        started = time.perf_counter()
        judgement = await judge.judge(candidate_of(envelope))
        times.append(time.perf_counter() - started)
        layers[judgement.layer or "accepted"] += 1
        for name, seconds in judgement.timings.items():
            steps.setdefault(name, []).append(seconds)
        if number % step == 0:
            window = tracker.run_stats(run_id)
            curve.append(
                {
                    "judged": number,
                    "window_duplicate_rate": round(window.duplicate_rate, 3),
                    "window_mean_sql_similarity": round(window.mean_sql_similarity, 3),
                    "window_mean_question_similarity": round(window.mean_question_similarity, 3),
                }
            )
    await index.close()
    advice = saturation_advice(tracker.stats(run_id))
    return {
        "model": embedder.name,
        "samples": len(drafts),
        "per_sample": percentiles(times),
        "per_step_mean_ms": {k: round(1000 * statistics.mean(v), 3) for k, v in steps.items()},
        "verdicts": dict(layers),
        "saturation_curve": curve,
        "advice": {"stop": advice.stop, "reasons": list(advice.reasons)},
    }


def measure_precision_recall(models: dict[str, Embedder]) -> dict[str, Any]:
    rows = spider_rows()
    pairs = paraphrase_pairs(rows)
    questions = [row.question for row in rows]
    cosines = {}
    out: dict[str, Any] = {"positives": len(pairs.positives), "negatives": len(pairs.negatives)}
    for name, model in models.items():
        vectors = model.embed(questions)
        positive = pair_cosines(vectors, pairs.positives)
        negative = pair_cosines(vectors, pairs.negatives)
        cosines[name] = np.concatenate([positive, negative])
        table = {}
        for tau in (0.8, 0.85, 0.88, 0.9, 0.91, 0.92, 0.95):
            figures = precision_recall(positive, negative, tau)
            table[str(tau)] = {
                "precision": round(figures.precision, 3),
                "recall": round(figures.recall, 3),
                "f1": round(figures.f1, 3),
                "tp": figures.true_positives,
                "fp": figures.false_positives,
            }
        out[name] = {"threshold": QUESTION_THRESHOLDS[name], "by_tau": table}
    if FULL in cosines and STATIC in cosines:
        calibration = calibrate_threshold(cosines[FULL], FULL_THRESHOLD, cosines[STATIC])
        out["calibration"] = {
            "static_threshold": calibration.threshold,
            "full_flagged_pairs": calibration.reference_flagged,
            "agreement_precision": round(calibration.agreement.precision, 3),
            "agreement_recall": round(calibration.agreement.recall, 3),
            "agreement_f1": round(calibration.agreement.f1, 3),
        }
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    static = load_embedder(STATIC)
    models: dict[str, Embedder] = {STATIC: static}
    if not args.quick:
        models[FULL] = load_embedder(FULL)
    questions = [row.question for row in spider_rows()]
    report: dict[str, Any] = {"embedding": measure_embedding(models, questions)}
    report["qdrant_local"] = await measure_qdrant(args.sizes, args.queries, static.dim)
    report["qdrant_local_persisted_upsert"] = await measure_persisted_upsert(static.dim)
    drafts = await template_drafts(args.drafts)
    report["judge"] = await measure_judge(static, drafts, step=max(1, len(drafts) // 6))
    report["question_layer"] = measure_precision_recall(models)
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench similarity")
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10_000, 100_000]
    )
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--drafts", type=int, default=1500)
    parser.add_argument("--quick", action="store_true", help="static model only")
    parser.add_argument("--out", type=Path, help="also write the JSON report here")
    args = parser.parse_args(argv)
    report = asyncio.run(run(args))
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
