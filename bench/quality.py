"""Record quality beside human data: `python -m bench quality [--count 1000] [--run NAME=PATH]`.

For a default template run (generated in-process from the default spec), any dataset JSONL a
`sqlsynth run` wrote (`--run spider-seeded=/tmp/x/dataset.jsonl`), Spider dev and the Gretel
sample, it prints: median words per question by prompt style (the planned style for generated
records, the classifier's for the others), distinct schemas per 1,000 samples, the share of
SELECTs returning one row and 2-20 rows (on SQLite, where the record carries rows), and the
Shannon entropy of the structural SQL patterns with the distinct patterns per 1,000, and the
sense checks' finding rates (issue 12, `shared.sense`): generated records at the generator's
severity, the others as a user's dataset.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sqlite3
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from proto.common import PromptStyle
from shared.datasets.spider import render_spider_ddl
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.pipeline.records import sql_context
from shared.sense.analyse import analyse_record
from shared.sense.findings import Origin, SenseReport
from shared.sense.record import SenseInput
from shared.spec.prompt_style import classify_prompt_style
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec
from shared.sql.features import structural_pattern

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SPIDER_DEV = DATA / "spider" / "dev.json"
GRETEL = DATA / "gretel" / "gretel_sample_1000.jsonl"


@dataclass(frozen=True)
class Item:
    question: str
    sql: str
    style: str
    schema: str  # a key naming the schema (id or a digest of the DDL)
    context: str | None  # DDL + INSERTs to run the SQL on, or None (no rows)
    ddl: str = ""  # the schema for the sense checks when `context` is None
    evidence: str = ""
    generated: bool = False


@dataclass(frozen=True)
class Figures:
    name: str
    count: int
    words: dict[str, float]
    schemas_per_1000: float
    one_row: float | None
    two_to_twenty: float | None
    entropy: float
    patterns_per_1000: float
    # Share of records with at least one error-level sense finding, and per check (any level).
    sense_errors: float
    sense_checks: dict[str, float]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench quality")
    parser.add_argument("--count", type=int, default=1000, help="default-run samples")
    parser.add_argument("--run", action="append", default=[], help="NAME=dataset.jsonl")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sources: list[tuple[str, list[Item]]] = [
        (f"template default ({args.count})", list(template_items(args.count)))
    ]
    for spec in args.run:
        name, _, path = spec.partition("=")
        sources.append((name, list(dataset_items(Path(path)))))
    sources.append(("Spider dev", list(spider_items(SPIDER_DEV))))
    sources.append(("Gretel sample", list(dataset_items(GRETEL))))
    figures = [measure(name, items) for name, items in sources]
    if args.json:
        print(json.dumps([f.__dict__ for f in figures], indent=2))
    else:
        print(render_table(figures))
    return 0


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


def dataset_items(path: Path) -> Iterator[Item]:
    """Records with Gretel's field names (our dataset files and Gretel's own rows)."""
    with path.open() as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            question, context = row["sql_prompt"], row.get("sql_context") or ""
            style = row.get("prompt_style") or _classified(question)
            ddl = "\n".join(s for s in context.split("\n") if not s.startswith("INSERT"))
            schema = hashlib.blake2b(ddl.encode(), digest_size=8).hexdigest()
            generated = "generator" in row
            yield Item(
                question,
                row["sql"],
                style,
                schema,
                context or None,
                evidence=row.get("evidence") or "",
                generated=generated,
            )


def spider_items(path: Path) -> Iterator[Item]:
    tables = {t["db_id"]: t for t in json.loads((path.parent / "tables.json").read_text())}
    for row in json.loads(path.read_text()):
        question, db = row["question"], row["db_id"]
        ddl = render_spider_ddl(tables[db])
        yield Item(question, row["query"], _classified(question), db, None, ddl=ddl)


def _classified(question: str) -> str:
    style = classify_prompt_style(question)
    return style.value if style else "unknown"


def measure(name: str, items: list[Item]) -> Figures:
    by_style: dict[str, list[int]] = {}
    for item in items:
        by_style.setdefault(item.style, []).append(len(item.question.split()))
    words = {s: float(statistics.median(w)) for s, w in sorted(by_style.items())}
    words["all"] = float(statistics.median(len(i.question.split()) for i in items))
    counts = [n for n in (result_size(i) for i in items) if n is not None]
    patterns = Counter(_pattern(i.sql) for i in items)
    total = sum(patterns.values())
    entropy = -sum(n / total * math.log2(n / total) for n in patterns.values())
    reports = [sense_report(i) for i in items]
    checks = Counter(c.value for r in reports for c in r.checks)
    return Figures(
        name=name,
        count=len(items),
        words=words,
        schemas_per_1000=round(1000 * len({i.schema for i in items}) / len(items), 1),
        one_row=round(sum(n == 1 for n in counts) / len(counts), 3) if counts else None,
        two_to_twenty=(
            round(sum(2 <= n <= 20 for n in counts) / len(counts), 3) if counts else None
        ),
        entropy=round(entropy, 2),
        patterns_per_1000=round(1000 * len(patterns) / len(items), 1),
        sense_errors=round(sum(bool(r.errors) for r in reports) / len(items), 3),
        sense_checks={c: round(n / len(items), 3) for c, n in sorted(checks.items())},
    )


def sense_report(item: Item) -> SenseReport:
    """Issue 12's checks on one record: generated records are held to the generator's bar."""
    return analyse_record(
        SenseInput(
            question=item.question,
            sql=item.sql,
            schema_ddl=item.context or item.ddl,
            evidence=item.evidence,
            origin=Origin.GENERATED if item.generated else Origin.USER,
            planned_style=_style(item.style) if item.generated else None,
        )
    )


def _style(value: str) -> PromptStyle | None:
    try:
        return PromptStyle(value)
    except ValueError:
        return None


def result_size(item: Item) -> int | None:
    """Rows a SELECT returns on SQLite over the record's own rows (None: no rows, not a
    SELECT, or it does not run there)."""
    if item.context is None or not item.sql.lstrip().upper().startswith(("SELECT", "WITH")):
        return None
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(item.context)
        return len(connection.execute(item.sql).fetchall())
    except sqlite3.Error:
        return None
    finally:
        connection.close()


def _pattern(sql: str) -> str:
    try:
        return structural_pattern(sql)
    except ValueError:
        return "<unparsed>"


def render_table(figures: list[Figures]) -> str:
    styles = sorted({s for f in figures for s in f.words if s != "all"})
    head = ["figure", *(f.name for f in figures)]
    rows = [["samples", *(str(f.count) for f in figures)]]
    rows.append(["median words, all", *(_num(f.words.get("all")) for f in figures)])
    rows += [[f"median words, {s}", *(_num(f.words.get(s)) for f in figures)] for s in styles]
    rows.append(["distinct schemas / 1,000", *(_num(f.schemas_per_1000) for f in figures)])
    rows.append(["SELECTs returning 1 row", *(_num(f.one_row) for f in figures)])
    rows.append(["SELECTs returning 2-20 rows", *(_num(f.two_to_twenty) for f in figures)])
    rows.append(["pattern entropy (bits)", *(_num(f.entropy) for f in figures)])
    rows.append(["distinct patterns / 1,000", *(_num(f.patterns_per_1000) for f in figures)])
    rows.append(
        ["records with an error-level sense finding", *(_num(f.sense_errors) for f in figures)]
    )
    checks = sorted({c for f in figures for c in f.sense_checks})
    rows += [[f"sense: {c}", *(_num(f.sense_checks.get(c, 0.0)) for f in figures)] for c in checks]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"
