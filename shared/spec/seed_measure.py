"""Measuring seeds in the spec's vocabulary: every well-known property of every seed.

A seed is a SeedEvent line of `sqlsynth ingest` or a record of any dataset `load_dataset` reads.
Its SQL is measured by the feature extractor (docs/features.md) and mapped onto the spec's
well-known properties (docs/spec.md, "Spec from seeds", has the rules with their reasons):

- task_type from the statement: SELECT is analytics when it aggregates, retrieval otherwise;
  INSERT/UPDATE/DELETE/REPLACE/MERGE are manipulation; DDL (CREATE/ALTER/DROP/...) is
  excluded, as the spec excludes DDL tasks, and counted; other statements are excluded too.
- num_tables: distinct base tables, bucketed to the spec's 1..8.
- join_kind: the distinguishing join (full, right, left, cross, then inner); RIGHT and FULL
  joins are folded into left (not portable; the portable_joins constraint stays).
- features projected onto the coherence rules a blueprint must satisfy (LIMIT needs ORDER BY,
  GROUP BY needs an aggregate, HAVING needs GROUP BY, >= 2 tables need a join kind, 1 table
  none); each projection is counted as an adjustment.
- complexity by SENSE's levels (see `label_complexity`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlglot import exp

from proto.common import Engine, JoinKind, SqlFeature, TaskType
from shared.datasets import DatasetRecord, load_dataset
from shared.datasets.loader import peek_jsonl
from shared.ingest.seeds_io import read_seeds
from shared.spec.prompt_style import classify_prompt_style
from shared.spec.question_lead import lead_of
from shared.spec.rules import MAX_TABLES, NO_JOIN
from shared.sql.feature_parse import parse_sql, resolve_dialect
from shared.sql.features import QueryFeatures, analyze_query
from shared.sql.schema_facts import extract_schema_facts

MANIPULATION_STATEMENTS = frozenset({"insert", "update", "delete", "replace", "merge"})
DDL_STATEMENTS = frozenset({"create", "alter", "drop", "truncate", "rename", "comment"})
# SENSE: "hard ... answers that use multiple advanced features"; 3+ tables count as one.
ADVANCED = frozenset(
    {
        SqlFeature.CTE,
        SqlFeature.SET_OPERATION,
        SqlFeature.WINDOW,
        SqlFeature.SCALAR_SUBQUERY,
        SqlFeature.IN_SUBQUERY,
        SqlFeature.EXISTS_SUBQUERY,
        SqlFeature.DERIVED_TABLE,
        SqlFeature.HAVING,
    }
)
# A query at the easy level has none of these (and reads one table).
NOT_EASY = ADVANCED | {SqlFeature.AGGREGATE, SqlFeature.GROUP_BY}
# When a query has several join kinds, the first present names it: the rarer kind is what
# distinguishes the query (an inner join beside a left join is still "a left-join query").
JOIN_PRIORITY = (JoinKind.FULL, JoinKind.RIGHT, JoinKind.LEFT, JoinKind.CROSS, JoinKind.INNER)
PORTABLE_FOLD = {JoinKind.RIGHT: JoinKind.LEFT, JoinKind.FULL: JoinKind.LEFT}


@dataclass(frozen=True)
class SeedRow:
    """One seed, whatever file it came from."""

    sql: str
    # An Engine, or any dialect name sqlglot reads (e.g. "tsql" for an SDSS log).
    dialect: Engine | str | None = None
    question: str | None = None
    domain: str | None = None
    schema_ddl: str | None = None
    schema_dialect: Engine | None = None
    weight: int = 1


@dataclass(frozen=True)
class Measured:
    """A seed in the spec's vocabulary (features after projection onto the rules)."""

    task_type: str
    complexity: str
    num_tables: int
    join_kind: str
    features: frozenset[SqlFeature]
    prompt_style: str | None = None
    lead: str | None = None  # how the question opens (words.leads.Lead)
    # Conditions the top-level WHERE of a SELECT states (0, 1, 2 for two or more); None for
    # data changes. Spider's questions are short partly because most state none.
    filters: int | None = None
    domain: str | None = None
    columns: tuple[int, ...] = ()
    primary_keys: bool | None = None
    foreign_keys: bool | None = None
    weight: int = 1


@dataclass
class SeedMeasurements:
    """Every measured seed plus what was left out or adjusted, with counts (weighted)."""

    source: str
    kind: str
    rows: list[Measured] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)
    adjustments: Counter[str] = field(default_factory=Counter)
    raw_join_kinds: Counter[str] = field(default_factory=Counter)
    unreadable: int = 0

    @property
    def total(self) -> int:
        return sum(row.weight for row in self.rows)


def label_complexity(features: Iterable[SqlFeature], num_tables: int) -> str:
    """SENSE's level. hard: two or more advanced features (CTE, set operation, window,
    any subquery, HAVING; reading 3+ tables counts as one); medium: one advanced feature, a
    join (2+ tables), an aggregate or GROUP BY; easy: one table, nothing of the above."""
    present = set(features)
    points = len(present & ADVANCED) + (1 if num_tables >= 3 else 0)
    if points >= 2:
        return "hard"
    if points == 1 or num_tables >= 2 or present & NOT_EASY:
        return "medium"
    return "easy"


def pick_join_kind(joins: dict[JoinKind, int]) -> JoinKind | None:
    return next((kind for kind in JOIN_PRIORITY if joins.get(kind, 0) > 0), None)


def project_features(features: frozenset[SqlFeature], adjust: Counter[str]) -> set[SqlFeature]:
    """Drop what the coherence rules forbid (limit without order by, ...), counting each."""
    kept = set(features)
    if SqlFeature.LIMIT in kept and SqlFeature.ORDER_BY not in kept:
        kept.discard(SqlFeature.LIMIT)
        adjust["limit_without_order_by: LIMIT not counted"] += 1
    if SqlFeature.GROUP_BY in kept and SqlFeature.AGGREGATE not in kept:
        kept.discard(SqlFeature.GROUP_BY)
        adjust["group_by_without_aggregate: GROUP BY not counted"] += 1
    if SqlFeature.HAVING in kept and SqlFeature.GROUP_BY not in kept:
        kept.discard(SqlFeature.HAVING)
        adjust["having_without_group_by: HAVING not counted"] += 1
    return kept


def measure_tables(features: QueryFeatures, adjust: Counter[str]) -> tuple[int, str]:
    """(num_tables bucketed to 1..MAX_TABLES, join_kind) obeying the num_tables/join rules."""
    tables = features.num_tables
    if tables < 1:
        adjust["no base table (e.g. SELECT 1): counted as 1 table"] += 1
        tables = 1
    elif tables > MAX_TABLES:
        adjust[f"more than {MAX_TABLES} tables: counted as {MAX_TABLES}"] += 1
        tables = MAX_TABLES
    kind = pick_join_kind(dict(features.joins))
    if kind in PORTABLE_FOLD:
        adjust[f"{kind.value} join: counted as left (not portable)"] += 1
        kind = PORTABLE_FOLD[kind]
    if tables == 1:
        if kind is not None:
            adjust["join within one table (self-join): counted as no join"] += 1
        return 1, NO_JOIN
    if kind is None:
        adjust["2+ tables without a JOIN (subquery or set operation): counted as inner"] += 1
        return tables, JoinKind.INNER.value
    return tables, kind.value


@dataclass(frozen=True)
class SchemaMeasure:
    columns: tuple[int, ...] = ()
    primary_keys: bool | None = None
    foreign_keys: bool | None = None


def measure_schema(row: SeedRow, tables: tuple[str, ...]) -> SchemaMeasure:
    """Column counts of the query's tables (all tables when none is in the schema) and
    whether the schema declares keys; empty without a readable schema."""
    if not row.schema_ddl:
        return SchemaMeasure()
    facts = extract_schema_facts(row.schema_ddl, row.schema_dialect or row.dialect or "sqlite")
    if not facts.tables:
        return SchemaMeasure()
    used = [t for t in tables if t in facts.columns] or list(facts.tables)
    columns = tuple(len(facts.columns[t]) for t in used)
    return SchemaMeasure(columns, facts.has_primary_key, facts.has_foreign_key)


def measure_row(row: SeedRow, seeds: SeedMeasurements) -> Measured | None:
    """The measured seed, or None after counting why it was left out."""
    analysis = analyze_query(row.sql, row.dialect or Engine.SQLITE)
    if analysis.features is None:
        seeds.excluded["SQL does not parse"] += row.weight
        return None
    features = analysis.features
    statement = features.statement_type
    if statement in DDL_STATEMENTS:
        seeds.excluded[f"data definition ({statement.upper()}): the spec excludes DDL"] += (
            row.weight
        )
        return None
    if statement != "select" and statement not in MANIPULATION_STATEMENTS:
        seeds.excluded[f"not a query or data change ({statement.upper()})"] += row.weight
        return None
    adjust: Counter[str] = Counter()
    kind = pick_join_kind(dict(features.joins))
    seeds.raw_join_kinds[kind.value if kind else NO_JOIN] += row.weight
    kept = project_features(features.features, adjust)
    tables, join = measure_tables(features, adjust)
    if statement == "select":
        analytic = SqlFeature.AGGREGATE in kept
        task = TaskType.ANALYTICS if analytic else TaskType.RETRIEVAL
    else:
        task = TaskType.MANIPULATION
    for name, count in adjust.items():
        seeds.adjustments[name] += count * row.weight
    schema = measure_schema(row, features.tables)
    style = classify_prompt_style(row.question) if row.question else None
    return Measured(
        task_type=task.value,
        complexity=label_complexity(kept, tables),
        num_tables=tables,
        join_kind=join,
        features=frozenset(kept),
        prompt_style=style.value if style else None,
        lead=lead_of(row.question).value if row.question else None,
        filters=stated_filters(row.sql, row.dialect) if statement == "select" else None,
        domain=row.domain,
        columns=schema.columns,
        primary_keys=schema.primary_keys,
        foreign_keys=schema.foreign_keys,
        weight=row.weight,
    )


def stated_filters(sql: str, dialect: Engine | str | None) -> int | None:
    """Conjuncts of the outermost SELECT's WHERE (of the first branch of a set operation),
    capped at 2; None when the SQL does not parse."""
    try:
        statement = parse_sql(sql, resolve_dialect(dialect or Engine.SQLITE)).statements[0]
    except Exception:  # sqlglot raises more than its documented errors on odd input
        return None
    select = statement
    while isinstance(select, exp.SetOperation):
        select = select.this
    where = select.args.get("where") if isinstance(select, exp.Select) else None
    if where is None:
        return 0
    return min(2, len(list(where.this.flatten())) if isinstance(where.this, exp.And) else 1)


def is_seeds_file(path: Path) -> bool:
    """A seeds JSONL of `sqlsynth ingest` (its lines are SeedEvents) rather than a dataset."""
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json"):
        return False
    try:
        first = peek_jsonl(path)
    except (OSError, UnicodeDecodeError):
        return False
    return first.get("kind") == "seed" and "seed_id" in first


def _record_row(record: DatasetRecord) -> SeedRow:
    domain = record.extra.get("domain")
    return SeedRow(
        sql=record.sql,
        dialect=record.sql_dialect,
        question=record.question,
        domain=domain if isinstance(domain, str) and domain.strip() else None,
        schema_ddl=record.schema_ddl,
        schema_dialect=record.schema_dialect,
    )


def read_seed_rows(
    path: Path, *, format: str = "auto", weight_by_count: bool = False, dialect: str | None = None
) -> tuple[str, Iterator[SeedRow], list[str]]:
    """(kind, rows, problems): a seeds JSONL (one row per statement shape; with
    `weight_by_count` each weighs as often as it was seen) or any dataset file. `dialect` is
    the SQL dialect of seeds that do not name theirs (ingest leaves non-engine ones unnamed)."""
    if format in ("auto", "seeds") and is_seeds_file(path):
        seeds, issues = read_seeds(path)
        rows = (
            SeedRow(
                sql=seed.sql,
                dialect=seed.dialect or dialect,
                question=seed.question,
                schema_ddl=seed.schema_ddl,
                # Ingest renders the schemas it infers in portable SQL.
                schema_dialect=seed.dialect,
                weight=seed.count if weight_by_count else 1,
            )
            for seed in seeds
        )
        return "seeds", rows, [f"{i.position}: {i.message}" for i in issues]
    reader = load_dataset(path, format="auto" if format == "seeds" else format)
    problems: list[str] = []

    def iterate() -> Iterator[SeedRow]:
        for record in reader:
            row = _record_row(record)
            yield replace(row, dialect=dialect) if dialect else row
        problems.extend(f"{e.position}: {e.message}" for e in reader.errors)

    return reader.format.value, iterate(), problems


def measure_seeds(
    path: str | Path,
    *,
    format: str = "auto",
    weight_by_count: bool = False,
    dialect: str | None = None,
) -> SeedMeasurements:
    """Measure every seed of a file (DatasetError / OSError when it cannot be read at all)."""
    source = Path(path)
    kind, rows, problems = read_seed_rows(
        source, format=format, weight_by_count=weight_by_count, dialect=dialect
    )
    seeds = SeedMeasurements(source=str(source), kind=kind)
    for row in rows:
        measured = measure_row(row, seeds)
        if measured is not None:
            seeds.rows.append(measured)
    seeds.unreadable = len(problems)
    return seeds


def read_value(row: Measured, name: str) -> str | int | bool | None:
    """A measured seed's value of a well-known property (None: not measured for this seed)."""
    if name.startswith("uses_"):
        return any(f"uses_{f.value}" == name for f in row.features)
    value = getattr(row, name, None)
    return value if isinstance(value, str | int | bool) else None


def measured_shares(seeds: SeedMeasurements, name: str) -> dict[str | int | bool, float]:
    """The measured distribution of a property over the seeds that have a value for it."""
    counts: Counter[str | int | bool] = Counter()
    for row in seeds.rows:
        value = read_value(row, name)
        if value is not None:
            counts[value] += row.weight
    total = sum(counts.values())
    return {value: n / total for value, n in counts.most_common()} if total else {}
