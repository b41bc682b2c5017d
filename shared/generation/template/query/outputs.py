"""What a query level shows: listed columns, group keys, aggregates, CASE buckets, windows.

Every choice returns Fields (SQL plus words). Aggregates follow the portability rules: AVG is
ROUND(AVG(x), 2); sums under a LEFT JOIN are COALESCE(SUM(x), 0) so they sort; counts under a
LEFT JOIN count the child key, so a parent without children counts 0.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from proto.common import JoinKind
from shared.generation.template.evaluation.eval_types import Fragile
from shared.generation.template.query.base import (
    Base,
    fan_out_parents,
    said_label,
    table_fields,
)
from shared.generation.template.query.chances import CHANCES
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.fields import (
    Field,
    Names,
    prefer_real,
    real_first,
)
from shared.generation.template.query.predicates import nice_below
from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.sql import ir
from shared.generation.template.words.meaning import Metric
from shared.generation.template.words.phrases import plural, with_article

SHOWN_ROLES = ("label", "category", "date", "measure", "name")


def relabel(ctx: Ctx, base: Base, f: Field) -> Field:
    """Fields of tables other than the subject carry their table's noun ("store region"),
    worded as filters word them (`base.said_label`)."""
    if f.table is None or f.table == base.subject:
        return f
    return replace(f, label=said_label(ctx, f.table, f.label))


def named(f: Field, names: Names, ctx: Ctx) -> Field:
    noun = ctx.store.table(f.table).noun if f.table else ""
    name = names.take(f.name, f"{noun}_{f.name}")
    return replace(f, name=name)


def label_field(ctx: Ctx, base: Base, table: str) -> Field | None:
    t = ctx.store.table(table)
    fields = table_fields(ctx, table, base.alias[table])
    if t.label_column:
        return next(f for f in fields if f.name == t.label_column)
    # A junction row is named by its parents; a filler column ("record status") names nothing.
    cats = [f for f in fields if f.role in ("category", "name") and not f.filler]
    return cats[0] if cats else None


def row_outputs(ctx: Ctx, base: Base, names: Names) -> list[Field]:
    """The subject's label and a few attributes, plus one naming column per joined table."""
    subject = base.subject
    out: list[Field] = []
    first = label_field(ctx, base, subject)
    if first:
        out.append(first)
    if first is not None and first.expr in base.pinned:
        first = None
    extra = [
        f
        for f in table_fields(ctx, subject, base.alias[subject])
        if f.role in SHOWN_ROLES
        and (first is None or f.name != first.name)
        and f.expr not in base.pinned
    ]
    ctx.rng.shuffle(extra)
    # A bookkeeping column is no attribute a person asks of a row that has a name to show.
    extra = [f for f in extra if not f.filler] if out else real_first(extra)
    # A person asks for one or two things of a row: each joined table already adds its name.
    joined = len(base.tables) - 1
    wanted = ctx.count(ctx.rng.choice([0, 1]), 1, 2)  # an easy ask is often for one field
    out += extra[: max(0, wanted - joined)]
    # A table between two others (a bridge) contributes its link, not a name: only the ends
    # of the join tree add theirs ("the name, store and customer of orders", not every hop).
    tips = tree_tips(base)
    for table in base.tables:
        if table == subject or (tips and table not in tips and table != base.grain):
            continue
        # A table without a name (a match's player stats) shows an amount or a date of its
        # own, or it is joined for nothing ("match codes and venues" over player stats).
        f = label_field(ctx, base, table) or _own_value(ctx, base, table)
        if f is not None and f.expr not in base.pinned:
            out.append(f)
    if not out:
        # A junction row (order line: order id, product id, price) is shown by its own
        # values, not by the ids of its links ("show their orders and products" lists ids).
        fields = [f for f in table_fields(ctx, subject, base.alias[subject]) if f.role != "key"]
        plain = [f for f in fields if f.role != "fk" and f.expr not in base.pinned]
        out = real_first(plain or fields)[:2]
    return [named(relabel(ctx, base, f), names, ctx) for f in out[:5]]


def _own_value(ctx: Ctx, base: Base, table: str) -> Field | None:
    values = [
        f
        for f in table_fields(ctx, table, base.alias[table])
        if f.role in ("measure", "date") and not f.filler and f.expr not in base.pinned
    ]
    return ctx.rng.choice(values) if values else None


def tree_tips(base: Base) -> set[str]:
    """Joined tables at the end of a join path (in one ON clause, not the subject or the
    grain): each must add something of its own, while a table between two others adds the
    link (`core_measures.bridges`)."""
    anchors = {s.anchor for s in base.tree.steps[1:] if s.anchor is not None}
    ends = {s.table for s in base.tree.steps[1:] if s.table not in anchors}
    return ends - {base.grain, base.subject}


def key_exprs(base: Base, ctx: Ctx) -> list[ir.Expr]:
    """Row keys of the joined tables (`RowStore.row_key`): the tie-breakers of a row-level
    ORDER BY."""
    subject = base.subject
    order = [subject] + [t for t in base.tables if t != subject]
    return [ir.Col(base.alias[t], c) for t in order for c in ctx.store.row_key(t)]


def group_dims(ctx: Ctx, base: Base) -> tuple[list[ir.Expr], list[Field], str, str]:
    """GROUP BY expressions, the shown group fields, and the group's (singular, plural) noun.

    A group is an entity (GROUP BY its key and label) or a category column."""
    options: list[tuple[list[ir.Expr], list[Field], str, str]] = []
    # Categories of filler columns ("record status") only when nothing else can group.
    spare: list[tuple[list[ir.Expr], list[Field], str, str]] = []
    # Groupings on a tip of the join tree first: the grouping is then what the tip adds, and
    # no filter has to be stated only to make it read ("order lines per customer city").
    tips = tree_tips(base)
    on_tips: list[tuple[list[ir.Expr], list[Field], str, str]] = []
    for table in base.filterable:
        t = ctx.store.table(table)
        alias = base.alias[table]
        fields = table_fields(ctx, table, alias)
        mine = on_tips if table in tips else options
        if t.label_column and table != base.subject:
            lab = next(f for f in fields if f.name == t.label_column)
            keys = [ir.Col(alias, c) for c in ctx.store.row_key(table) if c != t.label_column]
            mine.append(([*keys, lab.expr], [lab], t.noun, t.plural))
        for f in fields:
            if f.role == "category" and not f.nullable:
                (spare if f.filler else mine).append(([f.expr], [f], f.label, f"{f.label} values"))
    options = on_tips or options
    if not options:
        options = _subject_groupings(ctx, base, spare)
    exprs, shown, one, many = ctx.rng.choice(options)
    said = [relabel(ctx, base, f) for f in shown]
    if len(shown) == 1 and one == shown[0].label:
        # A joined table's category is said with its owner here too ("per studio year
        # founded"), as its column and any filter on it are.
        one, many = said[0].label, f"{said[0].label} values"
    return exprs, said, one, many


Grouping = tuple[list[ir.Expr], list[Field], str, str]


def grouped_labels(ctx: Ctx, base: Base, exprs: list[ir.Expr]) -> set[str]:
    """Labels of the columns a grouping reads, a band's column included: no filter may pin
    them (a band over rows one filter already put on one side of its cut is one group)."""
    cols = {e for e in exprs if isinstance(e, ir.Col)}
    for e in exprs:
        if isinstance(e, ir.Case):
            cols |= {c.left for c, _ in e.whens if isinstance(c, ir.Cmp)}  # type: ignore[misc]
    return {
        relabel(ctx, base, f).label
        for t in base.filterable
        for f in table_fields(ctx, t, base.alias[t])
        if f.expr in cols
    }


def _subject_groupings(ctx: Ctx, base: Base, filler: list[Grouping]) -> list[Grouping]:
    """Groupings of a subject with no category and no joined entity to group by.

    Grouping the subject by its own key makes groups of one row ("count trips by trip" is 1
    everywhere) unless a LEFT-joined child gives each group its rows. So the subject is grouped
    by a column whose values repeat (a year, a rating, a date), else by a band of a number or
    a date; by a `filler` category (record status) or date only when no real column can; by
    its own key only with such a child, or as the last resort of a lenient attempt (a seed
    table of a key and a name alone), so every plan stays realisable."""
    t = ctx.store.table(base.subject)
    alias = base.alias[base.subject]
    fields = table_fields(ctx, base.subject, alias)
    label = next((f for f in fields if f.name == t.label_column), None)
    own: list[Grouping] = []
    if label is not None:
        keys = [ir.Col(alias, c) for c in ctx.store.row_key(t.name) if c != t.label_column]
        own.append(([*keys, label.expr], [label], t.noun, t.plural))
    if own and _left_child(base) is not None:
        return own
    # Real columns first (repeated values, then a band), filler ones only after them.
    for part in ([f for f in fields if not f.filler], [f for f in fields if f.filler]):
        if part and part[0].filler and filler:
            return filler
        repeated = [f for f in part if _repeats(ctx, base.subject, f)]
        if repeated:
            return [([f.expr], [f], f.label, f"{f.label} values") for f in repeated]
        for f in part:
            if f.role in ("measure", "date") and not f.nullable and isinstance(f.expr, ir.Col):
                values = [(v,) for v in ctx.store.values(base.subject, f.expr.name)]
                band = case_bucket(ctx, [f], values, Names())
                if band is not None:
                    return [([band.expr], [band], band.label, f"{band.label} values")]
    if filler:
        return filler
    if own and not ctx.strict:
        return own
    raise Fragile("no column to group by")  # this draw cannot group: draw again


def _repeats(ctx: Ctx, table: str, f: Field) -> bool:
    """A plain column whose values repeat in the rows, so its groups hold several rows
    (decimal amounts are left out: nobody groups by a price)."""
    if f.nullable or f.role not in ("date", "measure", "name", "other"):
        return False
    if f.ctype is ColumnType.DECIMAL or not isinstance(f.expr, ir.Col):
        return False
    distinct = len(ctx.store.values(table, f.expr.name))
    return 2 <= distinct <= ctx.store.row_count(table) // 2


def _measure_fields(ctx: Ctx, base: Base) -> list[Field]:
    out = []
    # MAX and MIN read any joined table; SUM and AVG only the grain's (value_metric), or a
    # parent's value would be added once per child row.
    for table in base.tables:
        for f in table_fields(ctx, table, base.alias[table]):
            if f.role == "measure" or (f.role == "date" and ctx.rng.random() < CHANCES.date_metric):
                out.append(relabel(ctx, base, f))
    return prefer_real(out)


def _left_child(base: Base) -> str | None:
    lefts = [s for s in base.tree.steps[1:] if base.kinds.get(s.table) is JoinKind.LEFT]
    return lefts[0].table if lefts else None


def count_metric(ctx: Ctx, base: Base, names: Names) -> tuple[Field, Metric]:
    child = _left_child(base)
    counted = child or base.subject
    t = ctx.store.table(counted)
    arg: ir.Expr = (
        ir.Col(base.alias[counted], ctx.store.row_key(counted)[0]) if child else ir.Star()
    )
    # A tree still fanning out (a lenient attempt: base._unfan found no leaf to move) repeats
    # each counted row once per row of the other child: count the rows' keys once each.
    fanned = bool(fan_out_parents(base.tree)) and len(ctx.store.row_key(counted)) == 1
    if fanned:
        arg = ir.Col(base.alias[counted], ctx.store.row_key(counted)[0])
    label = f"number of {t.plural}"
    f = Field(
        ir.Agg("COUNT", arg, distinct=fanned),
        names.take(f"{t.noun}_count"),
        label,
        ColumnType.INTEGER,
        "count",
    )
    return f, Metric(label, "count")


def value_metric(
    ctx: Ctx, base: Base, names: Names, grouped_by: list[ir.Expr] | None = None
) -> tuple[Field, Metric] | None:
    # A column of a table with one row per group is the same in every row of the group: its
    # highest or total per group is the value itself ("the highest floor area per store").
    fixed = one_row_per_group(ctx, base, grouped_by)
    # A column the WHERE pins has one value (or none): "the total final grade of enrollments
    # with no final grade" is NULL, "the highest price of items priced 5" is 5.
    measures = [
        m for m in _measure_fields(ctx, base) if m.table not in fixed and m.expr not in base.pinned
    ]
    if not measures:
        return None
    m = ctx.rng.choice(measures)
    left = base.kinds.get(m.table or "") is JoinKind.LEFT
    if m.ctype is ColumnType.DATE:
        func = ctx.rng.choice(["MAX", "MIN"])
        word = "latest" if func == "MAX" else "earliest"
        f = Field(
            ir.Agg(func, m.expr),
            names.take(f"{word}_{m.name}"),
            f"{word} {m.label}",
            m.ctype,
            "metric",
            nullable=left,
        )
        return f, Metric(f.label, word)
    funcs = ["SUM", "SUM", "AVG", "MAX", "MIN"]
    if m.table != base.grain or fan_out_parents(base.tree):
        funcs = ["MAX", "MIN"]
    elif m.kind == "percent":
        funcs = ["AVG", "MAX", "MIN"]  # a sum of percentages means nothing
    func = ctx.rng.choice(funcs)
    word = {"SUM": "total", "AVG": "average", "MAX": "highest", "MIN": "lowest"}[func]
    expr: ir.Expr = ir.Agg(func, m.expr)
    if func == "AVG":
        expr = ir.Func("ROUND", (expr, ir.Lit(2)))
    if func == "SUM" and left:
        expr = ir.Func("COALESCE", (expr, ir.Lit(0)))
    approx = (func in ("SUM", "AVG") and m.ctype is ColumnType.DECIMAL) or func == "AVG"
    ctype = ColumnType.DECIMAL if func == "AVG" else m.ctype
    f = Field(
        expr,
        names.take(f"{word}_{m.name}"),
        _aggregate_label(word, m.label),
        ctype,
        "metric",
        nullable=left and func != "SUM",
        approx=approx,
    )
    return f, Metric(f.label, word)


def _aggregate_label(word: str, label: str) -> str:
    """'total unit price'; a label that starts with the word already ("total cost") reads
    'sum of total cost', not 'total total cost'."""
    if label.split(" ", 1)[0] != word:
        return f"{word} {label}"
    return f"sum of {label}" if word == "total" else f"{word} of the {label} values"


def distinct_targets(ctx: Ctx, base: Base, grouped_by: list[ir.Expr] | None = None) -> list[Field]:
    """The columns whose distinct values a count could read, before any filter pins one."""
    fixed = one_row_per_group(ctx, base, grouped_by)
    return [
        relabel(ctx, base, f)
        for t in base.tables
        if t not in fixed
        for f in table_fields(ctx, t, base.alias[t])
        if f.role in ("category", "name", "label")
        # The rows' own names are about as many as the rows: "the number of distinct full
        # names" of operators is their count. Another table's names count something else.
        and (f.role == "category" or t != base.grain)
        and f.expr not in (grouped_by or [])
    ]


def one_row_per_group(ctx: Ctx, base: Base, grouped_by: list[ir.Expr] | None) -> set[str]:
    """Tables with one row per group: the one grouped by its key, and its parents (grouped per
    guest check, "the number of distinct servers" or "payment methods" is 1 in every group)."""
    keys = set(grouped_by or [])
    fixed = {
        t
        for t in base.tables
        if ctx.store.row_key(t)
        and all(ir.Col(base.alias[t], k) in keys for k in ctx.store.row_key(t))
    }
    edges = [s.edge for s in base.tree.steps if s.edge is not None]
    grew = True
    while grew:
        grew = False
        for e in edges:
            if e.child in fixed and e.parent not in fixed:
                fixed.add(e.parent)
                grew = True
    return fixed


def linked_targets(ctx: Ctx, base: Base, grouped_by: list[ir.Expr] | None = None) -> list[Field]:
    """Foreign keys to a table not joined, read as that table's rows ("the number of distinct
    car models" of fleet cars): what a table without a category still lets a count read. A
    table referenced twice (home and away team) is left out: "distinct teams" would be vague."""
    out: list[Field] = []
    fixed = one_row_per_group(ctx, base, grouped_by)
    for t in base.tables:
        if t in fixed:
            continue
        fks = ctx.store.table(t).foreign_keys
        refs = [fk.ref_table for fk in fks]
        for fk in fks:
            ref = ctx.store.table(fk.ref_table)
            expr = ir.Col(base.alias[t], fk.column)
            if fk.ref_table in base.tables or refs.count(fk.ref_table) > 1:
                continue
            if expr not in (grouped_by or []):
                out.append(Field(expr, ref.name, ref.noun, ColumnType.INTEGER, "fk", t))
    return out


def distinct_metric(
    ctx: Ctx, base: Base, names: Names, grouped_by: list[ir.Expr] | None = None
) -> tuple[Field, Metric] | None:
    # A pinned column (`= 'a'`, `IS NULL`) has one distinct value: counting them says nothing.
    # Nor one a filter keeps to a list ("distinct services with service 'A' or 'B'").
    fixed = base.pinned | base.listed
    fields = [f for f in distinct_targets(ctx, base, grouped_by) if f.expr not in fixed]
    # A bookkeeping column (record status) has one value in nearly every group: its distinct
    # count is 1 throughout and asks nothing. It is counted only by the lenient attempts.
    real = [f for f in fields if not f.filler]
    # Without a category or name to count, the rows' links to another table are counted.
    fields = real or linked_targets(ctx, base, grouped_by) or ([] if ctx.strict else fields)
    if not fields:
        return None
    m = ctx.rng.choice(prefer_real(fields))
    label = f"number of distinct {plural(m.label)}"
    f = Field(
        ir.Agg("COUNT", m.expr, distinct=True),
        names.take(f"distinct_{m.name}_count"),
        label,
        ColumnType.INTEGER,
        "count",
    )
    return f, Metric(label, "distinct")


def case_bucket(
    ctx: Ctx, source: list[Field], rows: list[tuple[Any, ...]], names: Names
) -> Field | None:
    """CASE WHEN x >= t THEN 'High' ELSE 'Low' END over a numeric or date field."""
    usable = [
        (i, f)
        for i, f in enumerate(source)
        if (f.numeric or f.ctype is ColumnType.DATE)
        and f.role not in ("key", "fk")
        and not f.approx
    ]
    usable = [u for u in usable if not u[1].filler] or usable
    if not usable or not rows:
        return None
    i, f = ctx.rng.choice(usable)
    values = sorted({r[i] for r in rows if r[i] is not None})
    if not values:
        return None
    mid = values[len(values) // 2]
    cut: str | int | float
    if f.ctype is ColumnType.DATE:
        cut = str(mid)[:8] + "01"
        high, low = ctx.rng.choice([("Recent", "Earlier"), ("New", "Old")])
    else:
        cut = nice_below(float(mid), f.ctype is ColumnType.INTEGER) if float(mid) > 0 else mid
        if f.ctype is ColumnType.INTEGER:
            cut = int(cut)
        high, low = ctx.rng.choice([("High", "Low"), ("Large", "Small"), ("Above", "Below")])
    cond = ir.Cmp(">=", f.expr, ir.Lit(cut))
    # The question names the band alone ("per price band"); what its two labels mean goes to
    # the record's evidence, as BIRD states a definition beside its question (issue 13).
    label = f"{f.label} band"
    since = "on or after" if f.ctype is ColumnType.DATE else "of"
    more = "" if f.ctype is ColumnType.DATE else " or more"
    ctx.definitions[label] = (
        f"{label} is '{high}' for {with_article(f.label)} {since} {cut}{more}, else '{low}'"
    )
    expr = ir.Case(((cond, ir.Lit(high)),), ir.Lit(low))
    return Field(expr, names.take(f"{f.name}_band"), label, ColumnType.TEXT, "bucket")


def row_window(
    ctx: Ctx, base: Base, names: Names, keys: list[ir.Expr], exact: bool = False
) -> Field:
    """A window over listed rows: rank within a category, category total, running total, the
    previous row's value, rows per category, or a row number. Windows read only tables no
    LEFT JOIN can blank (NULLs would sort differently per engine), and orders end with the
    primary keys, so ROW_NUMBER and LAG are stable. `exact` asks for an integer window."""
    # No window reads a filler column: a rank by record status or a running total by creation
    # date is no question a person asks, and a row number is always there instead.
    preserved = [
        relabel(ctx, base, f)
        for t in base.filterable
        for f in table_fields(ctx, t, base.alias[t])
        if not f.nullable and not f.filler
    ]
    measures = [f for f in preserved if f.role == "measure"]
    ranked = measures + [
        f for f in preserved if f.role == "date" or (f.role == "category" and f.numeric)
    ]
    dates = [f for f in preserved if f.role == "date"]
    cats = [f for f in preserved if f.role == "category" and f.expr not in base.pinned]
    ties = tuple(ir.Order(k) for k in keys)
    kinds = ["number"] + (["rank"] * 3 if ranked else []) + (["count"] if cats else [])
    if measures and not exact:
        kinds += ["total", "total"] + (["running", "previous"] if dates else [])
    kind = ctx.rng.choice(kinds)
    part = ctx.rng.choice(cats) if cats and kind in ("rank", "total", "count") else None
    partition = (part.expr,) if part else ()
    within = f" within each {part.label}" if part else ""
    if kind == "number":
        win = ir.Win("ROW_NUMBER", None, (), ties)
        return Field(
            win, names.take("row_number"), "row number in id order", ColumnType.INTEGER, "rank"
        )
    if kind == "count":
        assert part is not None
        win = ir.Win("COUNT", ir.Star(), partition, ())
        label = f"number of rows with the same {part.label}"
        return Field(win, names.take(f"{part.name}_rows"), label, ColumnType.INTEGER, "rank")
    if kind == "rank":
        r = ctx.rng.choice(ranked)
        func = ctx.rng.choice(["RANK", "DENSE_RANK", "ROW_NUMBER"])
        order = (ir.Order(r.expr, desc=True), *(ties if func == "ROW_NUMBER" else ()))
        win = ir.Win(func, None, partition, order)
        # A rank reads highest first; only a date needs saying which end comes first.
        first = " (latest first)" if r.ctype is ColumnType.DATE else ""
        label = f"rank by {r.label}{first}{within}"
        return Field(win, names.take(f"{r.name}_rank"), label, ColumnType.INTEGER, "rank")
    m = ctx.rng.choice(measures)
    approx = m.ctype is ColumnType.DECIMAL
    if kind == "total":
        win = ir.Win("SUM", m.expr, partition, ())
        label = f"total {m.label}{within}" if part else f"overall total {m.label}"
        name = names.take(f"{part.name if part else 'overall'}_total_{m.name}")
        return Field(win, name, label, m.ctype, "share", approx=approx)
    d = ctx.rng.choice(dates)
    order = (ir.Order(d.expr), *ties)
    if kind == "running":
        win = ir.Win("SUM", m.expr, (), order)
        label = f"running total of {m.label} by {d.label}"
        return Field(win, names.take(f"running_{m.name}"), label, m.ctype, "share", approx=approx)
    win = ir.Win("LAG", m.expr, (), order)
    label = f"{m.label} of the previous row by {d.label}"
    return Field(win, names.take(f"previous_{m.name}"), label, m.ctype, "share", nullable=True)


def group_window(ctx: Ctx, metric: Field, names: Names) -> Field:
    """A window over groups: rank by a metric, or the metric's total over all groups."""
    if metric.approx or not metric.numeric or ctx.rng.random() < CHANCES.group_window_rank:
        func = ctx.rng.choice(["RANK", "DENSE_RANK"])
        win = ir.Win(func, None, (), (ir.Order(metric.expr, desc=True),))
        return Field(
            win,
            names.take(f"{metric.name}_rank"),
            f"rank by {metric.label}",
            ColumnType.INTEGER,
            "rank",
        )
    win = ir.Win("SUM", metric.expr, (), ())
    return Field(
        win,
        names.take(f"all_{metric.name}"),
        f"overall {metric.label}",
        metric.ctype,
        "share",
    )
