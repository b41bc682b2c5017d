"""The innermost SELECT: joins, filters and subqueries, then rows, groups or totals.

`build_core` returns a Level: the SELECT, its output Fields, the expressions that break ties
in its ORDER BY, and its meaning. Outer levels (CTE, derived table, set operation) are added by
`compose.py` on top of a Level.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from proto.common import JoinKind, SqlFeature
from shared.generation.template.evaluation.eval_types import Fragile, walk
from shared.generation.template.instance.rowstore import Row
from shared.generation.template.query.base import (
    Base,
    choose_filters,
    describe_join,
    pinned_tables,
    table_fields,
)
from shared.generation.template.query.chances import CHANCES
from shared.generation.template.query.context import SUBQUERY_FEATURES, Ctx
from shared.generation.template.query.core_measures import (
    add_having,
    bridges,
    case_metric,
    counts_rows,
    states_condition,
)
from shared.generation.template.query.fields import Field, Names, prefer_real
from shared.generation.template.query.outputs import (
    case_bucket,
    count_metric,
    distinct_metric,
    distinct_targets,
    group_dims,
    group_window,
    grouped_labels,
    key_exprs,
    relabel,
    row_outputs,
    row_window,
    value_metric,
)
from shared.generation.template.query.predicates import Candidate
from shared.generation.template.query.subqueries import subquery_predicates
from shared.generation.template.query.tidy import (
    changes_rows,
    drop_idle_filters,
    idle_tables,
    listed_columns,
    pinned_columns,
)
from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.sql import ir
from shared.generation.template.words.meaning import Meaning, Metric


@dataclass
class Level:
    select: ir.Select
    fields: list[Field]
    grain: str  # rows, groups, totals
    ties: list[ir.Expr]  # ORDER BY tie-breakers valid in this SELECT
    meaning: Meaning
    # Fields of the FROM sources, with rows, for filters an outer step adds (set operations).
    source_fields: list[Field] = field(default_factory=list)
    source_rows: list[Row] = field(default_factory=list)
    metric: Field | None = None  # the main aggregate (for ORDER BY and HAVING)
    window: Field | None = None
    grain_table: str = ""  # the table with one source row per row of its own (Base.grain)


# Planned features that state a condition of their own in the question.
CONDITION_FEATURES = SUBQUERY_FEATURES | {SqlFeature.HAVING}


@dataclass(frozen=True)
class CoreSpec:
    grain: str
    window: bool = False
    case: bool = False
    distinct: bool = False
    expose_keys: bool = False  # output the keys (an outer level orders and joins on them)
    window_kind: str = "any"  # rank: a ranking window (an outer level filters on it)
    totalled: bool = False  # rows an outer level counts and totals (a CTE's rows)


def subject_meaning(ctx: Ctx, base: Base) -> Meaning:
    t = ctx.store.table(base.subject)
    meaning = Meaning(subject=t.plural, subject_one=t.noun)
    meaning.tables = list(base.tables) + [d.table for d in base.detached]
    for step in base.tree.steps[1:]:
        meaning.joins.append(describe_join(ctx, base, step))
        other = ctx.store.table(step.table)
        kind = base.kinds.get(step.table)
        if kind is JoinKind.CROSS:
            meaning.relations.append(f"paired with every {other.noun}")
            meaning.paired = (other.noun, other.plural)
        elif kind is JoinKind.LEFT and step.downward and step.anchor == base.tree.root:
            meaning.relations.append(f"including {t.plural} without any {other.plural}")
        elif step.table != base.subject:
            meaning.relations.append(f"with their {other.noun}")
    return meaning


def build_core(ctx: Ctx, base: Base, witness: Row, spec: CoreSpec) -> Level:
    # Group keys come first, so no filter pins the column the rows are grouped by.
    dims = group_dims(ctx, base) if spec.grain == "groups" else None
    avoid = {f.label for f in dims[1]} | grouped_labels(ctx, base, dims[0]) if dims else set()
    # One stated filter: joined tables, subqueries and HAVING add their own conditions, and
    # every condition costs the question a phrase (issue 13: questions of about 20 words).
    # (The lenient last attempts take as many as before, so no planned feature is lost.)
    # A spec measured on seeds plans how many (Spider states none in most questions).
    count = 1 if ctx.strict else ctx.count(1, 1, 2)
    if ctx.strict and ctx.filters is not None:
        count = ctx.filters
    elif ctx.strict and spec.grain != "rows" and ctx.features & CONDITION_FEATURES:
        # A breakdown or total whose plan brings a condition of its own (a subquery, a HAVING)
        # states no plain filter besides: "the number of games with base price below the
        # average by genre" says enough, another "whose age rating is 'T'" only lengthens it.
        count = 0
    # Only listed rows may be pinned to one: a count or a total over one row ("the number of
    # usage records with session code 'SES-7244'") is always 1 or the row's own value.
    pins = spec.grain == "rows" and not spec.totalled
    preds = _core_filters(ctx, base, witness, count, avoid, pins)
    if spec.distinct and not spec.window and not _distinct_left(ctx, base, dims):
        # The filters pinned every column a distinct count could read ("the number of
        # distinct tiers of givers with no tier" is 0): draw filters that spare them.
        spared = avoid | {f.label for f in distinct_targets(ctx, base, dims[0] if dims else None)}
        preds = _core_filters(ctx, base, witness, count, spared, pins)
    subs = witnessed_subqueries(ctx, base, witness, [p for p, _ in preds])
    meaning = subject_meaning(ctx, base)
    where = ir.conjoin([p for p, _ in preds] + [p for p, _ in subs])
    names = Names()
    probe = ir.Select(items=(), source=base.source, joins=base.joins(), where=where)
    if spec.grain == "rows":
        level = _rows(ctx, base, witness, spec, probe, names, meaning)
    else:
        level = _groups(ctx, base, witness, spec, probe, names, meaning, dims)
    pairs = _witnessed_filters(ctx, base, witness, level, preds, subs, avoid, pins)
    level.select = replace(level.select, where=ir.conjoin([p for p, _ in pairs]))
    meaning.filters = [c for _, c in pairs]
    if spec.grain != "rows" and ctx.wants(SqlFeature.HAVING):
        add_having(ctx, level, [f for f in level.fields if f.role in ("count", "metric")])
    level.source_fields = [
        relabel(ctx, base, f) for t in base.filterable for f in table_fields(ctx, t, base.alias[t])
    ]
    level.source_rows = base.rows
    level.grain_table = base.grain
    return level


def _core_filters(
    ctx: Ctx, base: Base, witness: Row, count: int, avoid: set[str], pins: bool
) -> list[Candidate]:
    """The stated filters, with the columns they pin noted on the base."""
    preds = choose_filters(ctx, base, witness, count, avoid, pins=pins) if count else []
    if base.partner is not None and len(preds) < 2:
        # A cross product is only readable when both sides are narrowed.
        more = choose_filters(ctx, base, witness, 3, avoid | {c.label for _, c in preds})
        preds += more[: 2 - len(preds)]
    base.pinned = pinned_columns([p for p, _ in preds])
    base.listed = listed_columns([p for p, _ in preds])
    base.filtered = {n for n in walk(p for p, _ in preds) if isinstance(n, ir.Col)}
    return preds


def _distinct_left(
    ctx: Ctx, base: Base, dims: tuple[list[ir.Expr], list[Field], str, str] | None
) -> bool:
    """Whether a column a distinct count could read is left unpinned (or none ever was)."""
    targets = distinct_targets(ctx, base, dims[0] if dims else None)
    return not targets or any(f.expr not in base.pinned | base.listed for f in targets)


def witnessed_subqueries(
    ctx: Ctx, base: Base, witness: Row, preds: list[ir.Expr], required: bool = True
) -> list[Candidate]:
    """Subquery predicates each of which removes rows the others keep (an EXISTS that every
    joined row satisfies says nothing, an IN over a joined parent that repeats a filter on it
    says it twice); drawn again a few times before giving up (or, not `required`, taking the
    last draw)."""
    keys = [ir.Col(base.alias[t], k) for t in base.tables for k in ctx.store.row_key(t)]
    probe = ir.Select(
        items=tuple(ir.Item(k, f"k{i}") for i, k in enumerate(keys)),
        source=base.source,
        joins=base.joins(),
    )
    for _ in range(6):
        subs = subquery_predicates(ctx, base, witness)
        mine = [p for p, _ in subs]
        if not ctx.strict or all(
            changes_rows(ctx.store, probe, [*preds, *(q for q in mine if q is not p)], p)
            for p in mine
        ):
            return subs
    if not required:
        return subs
    raise Fragile("no subquery predicate that removes rows")


def _witnessed_filters(
    ctx: Ctx,
    base: Base,
    witness: Row,
    level: Level,
    preds: list[Candidate],
    subs: list[Candidate],
    avoid: set[str],
    pins: bool,
) -> list[Candidate]:
    """The level's filters once every joined table contributes (a filter on a table nothing
    else reads) and every filter changes the result (idle ones dropped)."""
    shown = {f.label for f in level.fields}
    # Keys exposed for an outer level's tie-breaks do not make a table contribute.
    items = tuple(
        i for i, f in zip(level.select.items, level.fields, strict=True) if f.role != "key"
    )
    select = replace(level.select, items=items)
    extra: list[Candidate] = []
    # A COUNT(*) reads the subject's rows ("the number of loans by branch year opened"): the
    # subject contributes its rows, as the sense check unused_join also judges; a filter stated
    # only to make it read cost the question a phrase (issue 13).
    linking = bridges(base) | ({base.subject} if counts_rows(select) else set())
    for table in idle_tables(select, base.alias):
        if table in linking:
            continue
        if table not in base.filterable:
            if not ctx.strict:
                continue
            raise Fragile(f"the LEFT-joined table {table} contributes nothing")
        used = avoid | shown | {c.label for _, c in [*preds, *extra]}
        now = [p for p, _ in [*preds, *subs, *extra]]
        found = next(
            (
                c
                for c in choose_filters(ctx, base, witness, 3, used, tables=(table,), pins=pins)
                if changes_rows(ctx.store, select, now, c[0])
            ),
            None,
        )
        if found is None:
            if not ctx.strict:
                continue
            raise Fragile(f"no filter makes {table} contribute")
        extra.append(found)
    keep = {p for p, _ in [*subs, *extra]}
    pairs = drop_idle_filters(ctx.store, level.select, [*preds, *subs, *extra], keep, ctx.strict)
    idle = idle_tables(replace(select, where=ir.conjoin([p for p, _ in pairs])), base.alias)
    if ctx.strict and set(idle) - linking:
        raise Fragile("a joined table contributes nothing once idle filters are dropped")
    return pairs


def _rows(
    ctx: Ctx,
    base: Base,
    witness: Row,
    spec: CoreSpec,
    probe: ir.Select,
    names: Names,
    meaning: Meaning,
) -> Level:
    fields = row_outputs(ctx, base, names)
    keys = key_exprs(base, ctx)
    if spec.distinct:
        fields = _distinct_fields(ctx, base, fields, names)
        meaning.distinct = True
    window = None
    if spec.window:
        exact = spec.window_kind == "rank" or spec.distinct
        window = row_window(ctx, base, names, keys, exact=exact)
        fields.append(window)
        meaning.details.append(window.label)
    if spec.case:
        bucket = _row_case(ctx, base, names)
        if bucket is None:
            raise Fragile("no column to bucket with CASE")
        fields.append(bucket)
        meaning.details.append(bucket.label)
    if spec.expose_keys:
        fields += _key_fields(ctx, base, names, fields)
    meaning.shown = [f.label for f in fields if f.role not in ("rank", "share", "bucket", "key")]
    # A LEFT-joined child's column is blank for a row without children: "(if any)".
    outer = {t for t, kind in base.kinds.items() if kind is JoinKind.LEFT}
    meaning.optional = [f.label for f in fields if f.table in outer and f.label in meaning.shown]
    # The first output names the subject's rows (its label column): "Which products ...?"
    label = ctx.store.table(base.subject).label_column
    first = fields[0].expr if fields else None
    meaning.named = (
        isinstance(first, ir.Col) and fields[0].table == base.subject and first.name == label
    )

    select = replace(
        probe, items=tuple(ir.Item(f.expr, f.name) for f in fields), distinct=spec.distinct
    )
    ties = [] if spec.distinct else keys
    return Level(select, fields, "rows", ties, meaning, window=window)


def _distinct_fields(ctx: Ctx, base: Base, fields: list[Field], names: Names) -> list[Field]:
    """Columns that repeat across rows (categories, parents' names), so DISTINCT matters."""
    subject = base.subject
    # A LEFT-joined child's name is its own row's (one per child): DISTINCT would only fold
    # the blanks of rows without children ("the distinct trip codes (if any) of routes").
    outer = {t for t, kind in base.kinds.items() if kind is JoinKind.LEFT}
    repeat = [
        f
        for f in fields
        if f.role in ("category", "date")
        or (f.table != subject and f.table not in outer and f.role in ("label", "name"))
    ]
    if not repeat:
        cats = [
            relabel(ctx, base, f)
            for t in base.filterable
            for f in table_fields(ctx, t, base.alias[t])
            if f.role == "category" and f.expr not in base.pinned
        ]
        repeat = [
            replace(c, name=names.take(c.name, f"{c.table}_{c.name}"))
            for c in prefer_real(cats)[:1]
        ]
    repeat = repeat or fields[:1]
    return repeat + _idle_table_fields(ctx, base, repeat, names)


# What a table shows in DISTINCT rows when nothing else of it is listed, best first: a
# category repeats, a name or an amount tells the rows apart.
_SHOWN_FOR_TABLE = (("category",), ("label", "name"), ("measure", "date"))


def _idle_table_fields(ctx: Ctx, base: Base, shown: list[Field], names: Names) -> list[Field]:
    """One column of each joined table the DISTINCT rows would not read: a table joined and
    then folded away by DISTINCT is idle ("the distinct venue names of pairings of players and
    venues" reads no player; "the distinct route names" of routes LEFT JOIN route stops reads
    no stop), as the sense check unused_join judges. Bridges contribute their link."""
    used = {f.table for f in shown}
    out: list[Field] = []
    for table in base.tables:
        if table in used or table in bridges(base):
            continue
        fields = [
            f
            for f in table_fields(ctx, table, base.alias[table])
            if f.expr not in base.pinned and not f.filler
        ]
        for roles in _SHOWN_FOR_TABLE:
            found = [f for f in fields if f.role in roles]
            if found:
                f = relabel(ctx, base, ctx.rng.choice(found))
                out.append(replace(f, name=names.take(f.name, f"{f.table}_{f.name}")))
                break
    return out


def _key_fields(ctx: Ctx, base: Base, names: Names, shown: list[Field]) -> list[Field]:
    out = []
    for table in base.tables:
        t = ctx.store.table(table)
        nullable = base.kinds.get(table) is JoinKind.LEFT
        for key in ctx.store.row_key(table):
            name = names.take(f"{t.noun}_{key}", f"{table}_{key}")
            out.append(
                Field(
                    ir.Col(base.alias[table], key),
                    name,
                    f"{t.noun} id",
                    t.column(key).type,
                    "key",
                    table,
                    nullable,
                )
            )
    return out


def _row_case(ctx: Ctx, base: Base, names: Names) -> Field | None:
    one_row = pinned_tables(ctx, base)
    fields = [
        relabel(ctx, base, f)
        for t in base.filterable
        if t not in one_row
        for f in table_fields(ctx, t, base.alias[t])
        # A band of a column a filter cuts restates the filter; the lenient attempts allow it
        # (a table whose one bucketable column is filtered would otherwise get no CASE).
        if f.expr not in base.filtered or not ctx.strict
        if (f.numeric and f.role in ("measure", "category")) or f.role == "date"
    ]
    fields = prefer_real([f for f in fields if not f.nullable])
    if not fields:
        return None
    f = ctx.rng.choice(fields)
    values: list[Row] = [(v,) for v in ctx.store.values(f.table or "", _col_name(f))]
    bucket = case_bucket(ctx, [replace(f, name=f.name)], values, names)
    return bucket


def _col_name(f: Field) -> str:
    assert isinstance(f.expr, ir.Col)
    return f.expr.name


def _groups(
    ctx: Ctx,
    base: Base,
    witness: Row,
    spec: CoreSpec,
    probe: ir.Select,
    names: Names,
    meaning: Meaning,
    grouping: tuple[list[ir.Expr], list[Field], str, str] | None,
) -> Level:
    grouped = grouping is not None
    dims: list[ir.Expr] = []
    shown: list[Field] = []
    if grouping is not None:
        dims, shown, one, _many = grouping
        shown = [
            Field(
                f.expr,
                names.take(f.name, f"{f.table}_{f.name}"),
                f.label,
                f.ctype,
                f.role,
                f.table,
                f.nullable,
                f.approx,
                f.kind,
            )
            for f in shown
        ]
        meaning.per = [one]
    metrics: list[tuple[Field, Metric]] = [count_metric(ctx, base, names)]
    extra = value_metric(ctx, base, names, dims)
    # A second measure costs the question a phrase (issue 13: about 20 words): most groups
    # carry their count alone, totals their count and one value half the time, and none
    # when the plan already brings one (a distinct count, a CASE count): a person asks for
    # two figures at once, rarely three or four.
    # (A planned HAVING keeps the chance: it needs a measure that varies between groups, and
    # a CASE count is no group condition, nor is a count that is equal in every group.)
    planned_second = (spec.case or (spec.distinct and not spec.window)) and not ctx.wants(
        SqlFeature.HAVING
    )
    chance = CHANCES.extra_measure_grouped if grouped else CHANCES.extra_measure_totals
    if extra and not planned_second and ctx.rng.random() < chance:
        metrics.append(extra)
    # MariaDB 10.11 returns no rows for a wrapped, filtered SELECT that has both COUNT(DISTINCT)
    # and a window function; with a window, DISTINCT goes on the SELECT instead.
    select_distinct = spec.distinct and spec.window
    if spec.distinct and not select_distinct:
        found = distinct_metric(ctx, base, names, dims)
        if found is None:
            raise Fragile("nothing to count distinctly")
        metrics.append(found)
    meaning.distinct = spec.distinct
    if spec.case:
        metrics.append(case_metric(ctx, base, witness, names, dims))
    ctx.rng.shuffle(metrics)
    fields = shown + [f for f, _ in metrics]
    meaning.metrics = [m for _, m in metrics]
    meaning.kind = "groups" if grouped else "totals"
    # The main measure (order, rank, "the X with the most") is one that states no condition
    # of its own: "most guest checks with opening date before 2018-10-01 first" says it twice.
    plain = sorted((f for f, _ in metrics), key=states_condition)
    main = next((f for f in plain if f.role == "count" or not f.nullable), plain[0])
    window = None
    if spec.window:
        window = group_window(ctx, main, names)
        fields.append(window)
        meaning.details.append(window.label)
        if window.role == "rank":
            meaning.ranked = (window.label, main.label)
    if spec.expose_keys and grouped:
        key = dims[0]
        if not any(f.expr == key for f in fields):
            fields.append(Field(key, names.take("group_key"), "key", ColumnType.INTEGER, "key"))
    select = replace(
        probe,
        items=tuple(ir.Item(f.expr, f.name) for f in fields),
        group_by=tuple(dims),
        distinct=select_distinct,
    )
    return Level(select, fields, spec.grain, list(dims), meaning, metric=main, window=window)
