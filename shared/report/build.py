"""Assemble the report document: every metric of every dataset under stable keys.

The document is the first dataset's metrics at the top level (so `doc["rows"]`,
`doc["complexity"]["joins"]` read the main dataset), each `--compare` dataset's metrics, with
the same keys, in `doc["compare"]`, and a `report` block saying how it was made. Keys are
documented in docs/report.md; `REPORT_VERSION` changes when a key changes meaning.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.datasets import DatasetFormat
from shared.report.distributions import compute_distributions, compute_feature_usage
from shared.report.embed import Embedder, default_embedder
from shared.report.facts import RecordFacts, measure_records
from shared.report.growth import compute_growth
from shared.report.load import LoadedDataset
from shared.report.metrics import (
    compute_complexity,
    compute_coverage,
    compute_histograms,
    compute_patterns,
    compute_shares,
)
from shared.report.seed_values import summarise_seed_values
from shared.report.similarity import (
    DEFAULT_MAX_PAIRS,
    hybrid_similarity,
    mean_pairwise_cosine,
    vendi_score,
)
from shared.report.spec_compare import SpecTargets, compare_to_spec
from shared.report.validity import validity_from_records
from shared.report.waterfall import compute_waterfall
from shared.sense.summary import summarise_sense
from shared.spec import Spec

REPORT_VERSION = 1


@dataclass
class ReportOptions:
    embedder: Embedder = field(default_factory=default_embedder)
    max_pairs: int = DEFAULT_MAX_PAIRS
    seed: int = 0
    label_map: Mapping[str, str] = field(default_factory=dict)


def measure_dataset(
    dataset: LoadedDataset,
    options: ReportOptions,
    *,
    targets: SpecTargets | None = None,
    validity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """All metrics of one dataset. `validity` (from a revalidation) replaces the records' own."""
    started = time.perf_counter()
    facts = measure_records(
        dataset.records, options.label_map, own_format=dataset.format == DatasetFormat.SQLSYNTH
    )
    parsed = [f for f in facts if f.features is not None]
    metrics: dict[str, Any] = {
        "name": dataset.name,
        "path": str(dataset.path),
        "format": dataset.format,
        "rows": len(facts),
        "malformed": len(dataset.errors),
        "parsed": len(parsed),
        "parse_errors": len(facts) - len(parsed),
        "with_schema": sum(1 for f in facts if f.schema is not None),
        "with_question": sum(1 for f in facts if _question(f)),
        "validity": validity if validity is not None else validity_from_records(facts),
        "sense": summarise_sense(dataset.records).to_json(),
        "shares": compute_shares(facts),
        "complexity": compute_complexity(facts),
        "histograms": compute_histograms(facts),
        "patterns": compute_patterns(facts),
        "coverage": compute_coverage(facts),
        **_diversity(facts, parsed, options),
        "feature_usage": compute_feature_usage(facts),
        "distributions": compute_distributions(facts),
        "spec": compare_to_spec(targets, facts) if targets is not None else None,
        "run": compute_waterfall(dataset.run, dataset.records) if dataset.run else None,
        "growth": _growth(dataset),
        "seed_values": summarise_seed_values(dataset.records),
    }
    metrics["elapsed_s"] = round(time.perf_counter() - started, 3)
    return metrics


def _growth(dataset: LoadedDataset) -> dict[str, Any] | None:
    run = dataset.run
    if run is None:
        return None
    return compute_growth(run.folder, run.summary, dataset.records, run.rejected, run.duplicates)


def _question(fact: RecordFacts) -> str:
    return (fact.record.question or "").strip()


def _diversity(
    facts: Sequence[RecordFacts], parsed: Sequence[RecordFacts], options: ReportOptions
) -> dict[str, Any]:
    """Turing's question cosine; SQL-Factory's Vendi scores and hybrid similarity."""
    embedder = options.embedder
    questions = [q for q in (_question(f) for f in facts) if q]
    question_vectors = embedder.embed(questions)
    sql_texts = [f.record.sql for f in parsed]
    sql_vectors = embedder.embed(sql_texts)
    hybrid = hybrid_similarity(
        sql_texts,
        [f.tree for f in parsed],
        sql_vectors,
        max_pairs=options.max_pairs,
        seed=options.seed,
    )
    return {
        "embedding": embedder.name,
        "question_mean_cosine": mean_pairwise_cosine(question_vectors),
        "vendi": {
            "sql": vendi_score(sql_vectors),
            "question": vendi_score(question_vectors),
            "embedding": embedder.name,
            "sql_n": len(sql_texts),
            "question_n": len(questions),
        },
        "hybrid_similarity": {**hybrid.to_json(), "seed": options.seed},
    }


def build_report(
    datasets: Sequence[LoadedDataset],
    *,
    spec: Spec | None = None,
    options: ReportOptions | None = None,
    validity: Sequence[dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """The whole document: datasets[0] at the top level, the rest under `compare`."""
    if not datasets:
        raise ValueError("a report needs at least one dataset")
    options = options or ReportOptions()
    started = time.perf_counter()
    targets = SpecTargets(spec) if spec is not None else None
    revalidated = list(validity) if validity is not None else [None] * len(datasets)
    measured = [
        measure_dataset(dataset, options, targets=targets, validity=checked)
        for dataset, checked in zip(datasets, revalidated, strict=True)
    ]
    primary, *others = measured
    return {
        "report": {
            "version": REPORT_VERSION,
            "datasets": [m["name"] for m in measured],
            "spec": spec.name if spec is not None else None,
            "embedding": options.embedder.name,
            "max_pairs": options.max_pairs,
            "seed": options.seed,
            "elapsed_s": round(time.perf_counter() - started, 3),
        },
        **primary,
        "compare": others,
    }


def list_datasets(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The main dataset's metrics followed by the compared ones (for renderers)."""
    main = {k: v for k, v in document.items() if k not in ("report", "compare")}
    return [main, *document.get("compare", [])]
