"""The records `python -m bench quality` measures: an in-process default template run, a
`sqlsynth run` output (its dataset and summary), Spider dev and the Gretel sample, read into
one shape (`Item`) with the figures each source carries of its own (`Source`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shared.datasets.spider import render_spider_ddl
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.pipeline.records import sql_context
from shared.spec.prompt_style import classify_prompt_style
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SPIDER_DEV = DATA / "spider" / "dev.json"
GRETEL = DATA / "gretel" / "gretel_sample_1000.jsonl"


@dataclass(frozen=True)
class Item:
    question: str
    sql: str
    style: str  # the planned style for generated records, the classifier's for the others
    schema: str  # a key naming the schema (id or a digest of the DDL)
    context: str | None  # DDL + INSERTs to run the SQL on, or None (no rows)
    ddl: str = ""  # the schema for the sense checks when `context` is None
    evidence: str = ""
    generated: bool = False
    # Engines the record's own validation ran and passed on (pipeline records), else None.
    engines_ok: tuple[str, ...] | None = None

    @property
    def classified(self) -> str:
        """The style the rule-based classifier reads, the same for every source."""
        return classified(self.question)


@dataclass
class Source:
    name: str
    items: list[Item]
    path: Path | None = None  # the dataset file, for revalidation
    # A pipeline run's summary.json: planned samples per accepted one.
    planned_per_accepted: float | None = None
    notes: dict[str, object] = field(default_factory=dict)


def classified(question: str) -> str:
    style = classify_prompt_style(question)
    return style.value if style else "unknown"


def template_source(count: int) -> Source:
    """A default-spec template run in-process (no pipeline: nothing repaired or rejected)."""
    return Source(f"template default, in-process ({count})", list(template_items(count)))


def template_items(count: int) -> Iterator[Item]:
    engine = TemplateEngine()
    for i, blueprint in enumerate(BlueprintSampler(default_spec(), seed=1).draw_many(count)):
        try:
            draft = engine.generate(blueprint, seed=i)
        except GenerationError:
            continue
        yield Item(
            draft.question,
            draft.sql,
            draft.prompt_style.value,
            draft.schema_id,
            sql_context(draft),
            evidence=draft.evidence,
            generated=True,
        )


def run_source(name: str, path: Path) -> Source:
    """A `sqlsynth run` output: its folder (dataset.jsonl and summary.json) or a dataset file."""
    dataset = path / "dataset.jsonl" if path.is_dir() else path
    source = Source(name, list(dataset_items(dataset)), path=dataset)
    summary = dataset.parent / "summary.json"
    if summary.is_file():
        figures = json.loads(summary.read_text())
        planned, accepted = figures.get("planned"), figures.get("accepted")
        if planned and accepted:
            source.planned_per_accepted = round(planned / accepted, 2)
        source.notes = {
            "planned": planned,
            "accepted": accepted,
            "rejection_reasons": figures.get("rejection_reasons", {}),
        }
    return source


def dataset_items(path: Path) -> Iterator[Item]:
    """Records with Gretel's field names (our dataset files and Gretel's own rows)."""
    with path.open() as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            question, context = row["sql_prompt"], row.get("sql_context") or ""
            style = row.get("prompt_style") or classified(question)
            ddl = "\n".join(s for s in context.split("\n") if not s.startswith("INSERT"))
            schema = hashlib.blake2b(ddl.encode(), digest_size=8).hexdigest()
            checks = (row.get("validation") or {}).get("checks")
            engines_ok = (
                tuple(sorted(c["engine"] for c in checks if c.get("ok")))
                if checks is not None
                else None
            )
            yield Item(
                question,
                row["sql"],
                style,
                schema,
                context or None,
                evidence=row.get("evidence") or "",
                generated="generator" in row,
                engines_ok=engines_ok,
            )


def spider_items(path: Path) -> Iterator[Item]:
    tables = {t["db_id"]: t for t in json.loads((path.parent / "tables.json").read_text())}
    for row in json.loads(path.read_text()):
        question, db = row["question"], row["db_id"]
        ddl = render_spider_ddl(tables[db])
        yield Item(question, row["query"], classified(question), db, None, ddl=ddl)


def human_sources() -> list[Source]:
    return [
        Source("Spider dev", list(spider_items(SPIDER_DEV)), path=SPIDER_DEV),
        Source("Gretel sample", list(dataset_items(GRETEL)), path=GRETEL),
    ]
