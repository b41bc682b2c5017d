"""Record quality beside human data: `python -m bench quality [--count N] [--run NAME=PATH]`.

For a default template run generated in-process (`--count`, 0 to skip), any `sqlsynth run`
output (`--run default=/tmp/d` or `--run spider-seeded=/tmp/s/dataset.jsonl`), Spider dev and
the Gretel sample, it prints what issue 13's "done when" names:

- planned samples per accepted one (a run's summary.json);
- the share of records with an error-level sense finding (issue 12, `shared.sense`; generated
  records at the generator's severity, the others as a user's dataset), and per check;
- the share of queries valid on all three engines: a run's records' own checks, or with
  `--revalidate` every dataset file validated again on SQLite, PostgreSQL and MariaDB;
- queries over 3-5 tables, and with a non-inner join (all queries, and among joined ones);
- median words per question, by the planned style (generated records) and by the style the
  rule-based classifier reads (every source alike, `shared.spec.prompt_style`), with the
  classified style mix;
- the share of SELECTs returning one row and 2-20 rows (on SQLite over the record's own rows);
- distinct schemas per 1,000 records, distinct structural SQL patterns per 1,000 and their
  Shannon entropy.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.quality_items import Item, Source, human_sources, run_source, template_source
from proto.common import JoinKind, PromptStyle
from shared.sense.analyse import analyse_record
from shared.sense.findings import Origin, SenseReport
from shared.sense.record import SenseInput
from shared.sql.features import QueryFeatures, extract_query_features

ENGINES = ("mysql", "postgres", "sqlite")


@dataclass(frozen=True)
class Figures:
    name: str
    count: int
    planned_per_accepted: float | None
    # Share of records with at least one error-level sense finding, and per check (any level).
    sense_errors: float
    valid_all_engines: float | None
    tables_3_to_5: float | None
    non_inner_join: float | None
    non_inner_among_joined: float | None
    words: dict[str, float]  # "all" and each classified style
    planned_words: dict[str, float]  # each planned style (generated records)
    style_mix: dict[str, float]  # classified
    planned_is_classified: float | None
    schemas_per_1000: float
    one_row: float | None
    two_to_twenty: float | None
    entropy: float
    patterns_per_1000: float
    sense_checks: dict[str, float] = field(default_factory=dict)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench quality")
    parser.add_argument("--count", type=int, default=1000, help="in-process default samples")
    parser.add_argument("--run", action="append", default=[], help="NAME=run folder or JSONL")
    parser.add_argument(
        "--revalidate", action="store_true", help="validity of every file on three engines"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sources: list[Source] = [template_source(args.count)] if args.count > 0 else []
    for spec in args.run:
        name, _, path = spec.partition("=")
        sources.append(run_source(name, Path(path)))
    sources += human_sources()
    revalidated: dict[Path, float | None] = {}
    if args.revalidate:
        from bench.quality_engines import valid_on_all

        revalidated = valid_on_all([s.path for s in sources if s.path is not None])
    figures = [measure(s, revalidated.get(s.path) if s.path else None) for s in sources]
    if args.json:
        print(json.dumps([f.__dict__ for f in figures], indent=2))
    else:
        print(render_table(figures))
    return 0


def measure(source: Source, revalidated: float | None = None) -> Figures:
    items = source.items
    words = _medians(items, lambda i: i.classified)
    words["all"] = float(statistics.median(_words(i) for i in items))
    generated = [i for i in items if i.generated]
    planned = _medians(generated, lambda i: i.style)
    mix = Counter(i.classified for i in items)
    counts = [n for n in (result_size(i) for i in items) if n is not None]
    parsed = [f for f in (_features(i.sql) for i in items) if f is not None]
    joined = [f for f in parsed if f.num_joins > 0]
    patterns = Counter(f.pattern for f in parsed)
    patterns["<unparsed>"] += len(items) - len(parsed)
    if not patterns["<unparsed>"]:
        del patterns["<unparsed>"]
    total = sum(patterns.values())
    entropy = -sum(n / total * math.log2(n / total) for n in patterns.values())
    reports = [sense_report(i) for i in items]
    checks = Counter(c.value for r in reports for c in r.checks)
    return Figures(
        name=source.name,
        count=len(items),
        planned_per_accepted=source.planned_per_accepted,
        sense_errors=_share(sum(bool(r.errors) for r in reports), len(items)),
        valid_all_engines=(
            round(revalidated, 3) if revalidated is not None else _own_validity(items)
        ),
        tables_3_to_5=_ratio(sum(3 <= f.num_tables <= 5 for f in parsed), len(parsed)),
        non_inner_join=_ratio(sum(_non_inner(f) for f in parsed), len(parsed)),
        non_inner_among_joined=_ratio(sum(_non_inner(f) for f in joined), len(joined)),
        words=words,
        planned_words=planned,
        style_mix={s: _share(n, len(items)) for s, n in sorted(mix.items())},
        planned_is_classified=_ratio(
            sum(i.style == i.classified for i in generated), len(generated)
        ),
        schemas_per_1000=round(1000 * len({i.schema for i in items}) / len(items), 1),
        one_row=_ratio(sum(n == 1 for n in counts), len(counts)),
        two_to_twenty=_ratio(sum(2 <= n <= 20 for n in counts), len(counts)),
        entropy=round(entropy, 2),
        patterns_per_1000=round(1000 * len(patterns) / len(items), 1),
        sense_checks={c: _share(n, len(items)) for c, n in sorted(checks.items())},
    )


def _words(item: Item) -> int:
    return len(item.question.split())


def _medians(items: list[Item], key: Callable[[Item], str]) -> dict[str, float]:
    by: dict[str, list[int]] = {}
    for item in items:
        by.setdefault(key(item), []).append(_words(item))
    return {s: float(statistics.median(w)) for s, w in sorted(by.items())}


def _share(n: int, total: int) -> float:
    return round(n / total, 3)


def _ratio(n: int, total: int) -> float | None:
    return round(n / total, 3) if total else None


def _own_validity(items: list[Item]) -> float | None:
    """Records of a pipeline run carry their checks: the share that passed on all three."""
    checked = [i.engines_ok for i in items if i.engines_ok is not None]
    if not checked:
        return None
    return _share(sum(set(ENGINES) <= set(ok) for ok in checked), len(checked))


def _features(sql: str) -> QueryFeatures | None:
    try:
        return extract_query_features(sql)
    except ValueError:
        return None


def _non_inner(features: QueryFeatures) -> bool:
    return any(n > 0 for kind, n in features.joins.items() if kind is not JoinKind.INNER)


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


def render_table(figures: list[Figures]) -> str:
    def row(label: str, values: list[float | None]) -> list[str]:
        return [label, *(_num(v) for v in values)]

    styles = sorted({s for f in figures for s in f.words if s != "all"})
    planned = sorted({s for f in figures for s in f.planned_words})
    rows = [["samples", *(str(f.count) for f in figures)]]
    rows.append(row("planned per accepted", [f.planned_per_accepted for f in figures]))
    rows.append(
        row("**records with an error-level sense finding**", [f.sense_errors for f in figures])
    )
    rows.append(row("query valid on all three engines", [f.valid_all_engines for f in figures]))
    rows.append(row("queries over 3-5 tables", [f.tables_3_to_5 for f in figures]))
    rows.append(row("non-inner joins (LEFT/RIGHT/FULL/CROSS)", [f.non_inner_join for f in figures]))
    rows.append(row("... among joined queries", [f.non_inner_among_joined for f in figures]))
    rows.append(row("median words, all", [f.words.get("all") for f in figures]))
    rows += [
        row(f"median words, planned {s}", [f.planned_words.get(s) for f in figures])
        for s in planned
    ]
    rows += [
        row(f"median words, classified {s}", [f.words.get(s) for f in figures]) for s in styles
    ]
    rows += [
        row(f"style mix (classified), {s}", [f.style_mix.get(s, 0.0) for f in figures])
        for s in styles
    ]
    rows.append(row("planned style = classified", [f.planned_is_classified for f in figures]))
    rows.append(row("distinct schemas / 1,000", [f.schemas_per_1000 for f in figures]))
    rows.append(row("SELECTs returning 1 row", [f.one_row for f in figures]))
    rows.append(row("SELECTs returning 2-20 rows", [f.two_to_twenty for f in figures]))
    rows.append(row("pattern entropy (bits)", [f.entropy for f in figures]))
    rows.append(row("distinct patterns / 1,000", [f.patterns_per_1000 for f in figures]))
    checks = sorted({c for f in figures for c in f.sense_checks})
    rows += [row(f"sense: {c}", [f.sense_checks.get(c, 0.0) for f in figures]) for c in checks]
    head = ["figure", *(f.name for f in figures)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"
