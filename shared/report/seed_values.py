"""The report's seed-values block: where fixture values came from, what the privacy scrub
replaced, and which records were built from a public benchmark's seeds (contamination)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from shared.datasets import DatasetRecord
from shared.report.html_parts import format_cell, render_section, render_table

BENCHMARK_PROPERTY = "seed_benchmark"


def summarise_seed_values(records: Iterable[DatasetRecord]) -> dict[str, Any] | None:
    """Counts over a sqlsynth run's records; None for datasets without value provenance."""
    columns: Counter[str] = Counter()
    scrubbed: Counter[str] = Counter()
    benchmarks: Counter[str] = Counter()
    traced = records_seen = 0
    for record in records:
        records_seen += 1
        sources = record.extra.get("value_sources")
        if isinstance(sources, dict) and sources:
            traced += 1
            for found in sources.values():
                columns.update(str(source) for source in found)
        counts = record.extra.get("scrubbed_values")
        if isinstance(counts, dict):
            scrubbed.update({str(k): int(v) for k, v in counts.items()})
        properties = record.extra.get("properties") or {}
        inner = properties.get("properties") if isinstance(properties, dict) else None
        benchmark = (inner or {}).get(BENCHMARK_PROPERTY) if isinstance(inner, dict) else None
        if benchmark:
            benchmarks[str(benchmark)] += 1
    if not traced and not benchmarks:
        return None
    return {
        "records": records_seen,
        "with_value_sources": traced,
        "column_sources": dict(columns.most_common()),
        "scrubbed": dict(sorted(scrubbed.items())),
        "contaminated": dict(sorted(benchmarks.items())),
    }


def contamination_lines(summary: dict[str, Any] | None) -> list[str]:
    """One warning line per benchmark the records were seeded from."""
    if not summary:
        return []
    return [
        f"{count} of {summary['records']} records were generated from {name} seeds: evaluating "
        f"a model trained on them on {name} is contaminated"
        for name, count in summary["contaminated"].items()
    ]


def render_seed_values(datasets: Sequence[dict[str, Any]]) -> str:
    parts: list[str] = []
    for dataset in datasets:
        summary = dataset.get("seed_values")
        if not summary:
            continue
        name = str(dataset["name"])
        warnings = "".join(
            f"<p class='warn'><strong>Contamination:</strong> {escape(line)}</p>"
            for line in contamination_lines(summary)
        )
        sources = [[k, format_cell(v, "int")] for k, v in summary["column_sources"].items()]
        scrubbed = [[k, format_cell(v, "int")] for k, v in summary["scrubbed"].items()]
        parts.append(
            f"<h3>{escape(name)}</h3>"
            + warnings
            + "<div class='grid'><div>"
            + render_table(["value source", "columns (all records)"], sources)
            + "</div><div>"
            + render_table(["scrubbed kind", "values replaced"], scrubbed or [["none", "0"]])
            + "</div></div>"
        )
    if not parts:
        return ""
    intro = (
        "Where each fixture column's values came from (database rows, seed rows, seed literals, "
        "schema comments, Faker, word lists, patterns, ranges, keys), how many sampled values "
        "the privacy scrub replaced with generated ones, and records seeded from a public "
        "evaluation split."
    )
    return render_section("seed-values", "Seed values and privacy", "".join(parts), intro)
