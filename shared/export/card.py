"""The dataset card: README.md with the Hugging Face YAML header, written from the export.

The header is built with the hub's and `datasets`' own classes (DatasetCardData,
DatasetInfosDict), so `datasets.load_dataset(DIR)` reads its `configs` and the hub shows its
features and splits exactly as for a dataset pushed with `datasets` itself.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from datasets import DatasetInfo, Features, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCard, DatasetCardData

LICENSE = "apache-2.0"


@dataclass
class ConfigFiles:
    """One `configs:` entry: a name, its Arrow schema and the files of each split."""

    name: str
    schema: pa.Schema
    files: dict[str, str] = field(default_factory=dict)
    examples: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)


@dataclass
class RunFacts:
    """What the card states about how the data was made, from run.json and summary.json."""

    request: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    sense_counts: Counter[str] = field(default_factory=Counter)
    with_findings: int = 0
    records: int = 0
    skipped: int = 0
    reasoning_sources: Counter[str] = field(default_factory=Counter)
    pair_kinds: Counter[str] = field(default_factory=Counter)
    # Records per public evaluation split their seeds came from; sampled values scrubbed, by kind.
    benchmarks: Counter[str] = field(default_factory=Counter)
    scrubbed: Counter[str] = field(default_factory=Counter)


def read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def validity_rates(summary: dict[str, Any]) -> dict[str, float | None]:
    stages = summary.get("stages") or {}
    checked = stages.get("validator.checked", 0)
    failed = stages.get("validator.failed", 0)
    planned = summary.get("planned") or 0
    return {
        "drafts_valid_first_check": checked / (checked + failed) if checked + failed else None,
        "accepted_of_planned": (summary.get("accepted", 0) / planned) if planned else None,
    }


def build_card_data(configs: list[ConfigFiles], facts: RunFacts) -> DatasetCardData:
    total = sum(sum(c.examples.values()) for c in configs if c.name == "default")
    card = DatasetCardData(
        license=LICENSE,
        language=["en"],
        task_categories=["text-generation", "table-question-answering"],
        tags=["text-to-sql", "synthetic", "sql", "sqlsynth"],
        pretty_name="sqlsynth synthetic Text-to-SQL",
        size_categories=[_size_category(total)],
        configs=[
            {
                "config_name": c.name,
                "data_files": [{"split": s, "path": p} for s, p in c.files.items()],
                **({"default": True} if c.name == "default" else {}),
            }
            for c in configs
        ],
    )
    infos = DatasetInfosDict(
        {
            c.name: DatasetInfo(
                features=Features.from_arrow_schema(c.schema),
                splits=SplitDict(
                    {
                        s: SplitInfo(name=s, num_bytes=c.sizes.get(s, 0), num_examples=n)
                        for s, n in c.examples.items()
                    }
                ),
                download_size=sum(c.sizes.values()),
                dataset_size=sum(c.sizes.values()),
            )
            for c in configs
        }
    )
    infos.to_dataset_card_data(card)
    return card


def _size_category(total: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if total < limit:
            return label
    return "100K<n<1M"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def render_body(configs: list[ConfigFiles], facts: RunFacts) -> str:
    request, summary = facts.request, facts.summary
    rates = validity_rates(summary)
    spec = request.get("spec") or {}
    lines = [
        "# sqlsynth synthetic Text-to-SQL dataset",
        "",
        "Each record: a schema with rows (`schema`, DDL + INSERTs), a question, the SQL per "
        "dialect (SQLite, PostgreSQL, MySQL), an explanation, a reasoning trace when one was "
        "verified, and the gold result per dialect (`gold`: digest of the normalised rows, "
        "row count, whether order counts) so the dataset can score a model "
        "(`sqlsynth score PREDICTIONS --dataset DIR`).",
        "",
        "Splits are by base schema: no database appears in two splits.",
        "",
        "## Configs",
        "",
        "| config | " + " | ".join(f"{s}" for s in ("train", "validation", "test")) + " |",
        "|---|---:|---:|---:|",
    ]
    for config in configs:
        counts = [str(config.examples.get(s, 0)) for s in ("train", "validation", "test")]
        lines.append(f"| `{config.name}` | " + " | ".join(counts) + " |")
    lines += [
        "",
        "`default`: slim training records; `provenance`: checks, review, dedup, history and "
        "cost, linked by `id`; `sft`: chat messages; `dpo`: prompt / chosen / rejected "
        "(present when the run has preference pairs).",
        "",
        "## Generation",
        "",
        f"- run: `{request.get('run_id', 'unknown')}`; generator: "
        f"`{request.get('generator', 'unknown')}`; spec: `{spec.get('name', 'unknown')}`; "
        f"seed: {request.get('seed')}; engines: {', '.join(request.get('engines') or [])}; "
        f"validation level `{request.get('level')}`, policy `{request.get('policy')}`",
        f"- planned {summary.get('planned', 'n/a')}, accepted {summary.get('accepted', 'n/a')}, "
        f"duplicates {summary.get('duplicate', 'n/a')}, rejected {summary.get('rejected', 'n/a')}",
        f"- drafts valid at their first check: {_percent(rates['drafts_valid_first_check'])}; "
        f"accepted of planned: {_percent(rates['accepted_of_planned'])}; every exported "
        "record passed on every engine of the run with equal results",
    ]
    if facts.records:
        share = facts.with_findings / facts.records
        kinds = ", ".join(f"{k} {v}" for k, v in facts.sense_counts.most_common()) or "none"
        lines.append(f"- sense checks: {_percent(share)} of records carry a finding ({kinds})")
    if facts.records:
        traced = sum(facts.reasoning_sources.values())
        sources = ", ".join(f"{k} {v}" for k, v in facts.reasoning_sources.most_common())
        lines.append(
            f"- reasoning: {traced} of {facts.records} records ({sources or 'none'}); a trace is "
            "kept only when its SQL returned the gold result on every engine"
        )
    if facts.pair_kinds:
        kinds = ", ".join(f"{k} {v}" for k, v in facts.pair_kinds.most_common())
        lines.append(
            f"- preference pairs: {sum(facts.pair_kinds.values())} ({kinds}); every rejected "
            "SQL failed or returned a different result on every engine"
        )
    if facts.skipped:
        lines.append(f"- {facts.skipped} unreadable lines of dataset.jsonl were not exported")
    if facts.scrubbed:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(facts.scrubbed.items()))
        lines.append(
            f"- privacy: sampled values replaced by generated ones of the same kind ({kinds})"
        )
    lines += _contamination(facts)
    lines += [
        "",
        "## Licence",
        "",
        "Apache-2.0 (synthetic data generated by sqlsynth).",
        "",
    ]
    return "\n".join(lines)


def _contamination(facts: RunFacts) -> list[str]:
    if not facts.benchmarks:
        return []
    lines = ["", "## Contamination warning", ""]
    for name, count in sorted(facts.benchmarks.items()):
        lines.append(
            f"- {count} of {facts.records} records were generated from seeds of **{name}** "
            f"(its questions, queries or databases). Do not evaluate a model trained on this "
            f"dataset on {name}: the result would be contaminated."
        )
    return lines


def write_card(out_dir: Path, configs: list[ConfigFiles], facts: RunFacts) -> Path:
    data = build_card_data(configs, facts)
    card = DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{render_body(configs, facts)}")
    path = out_dir / "README.md"
    card.save(path)
    return path
