"""INSERT … VALUES of one new entity ("Add a product 'Blue Lamp' with price 35 in category
'Toys'"): what people insert, where a copy of existing rows with shifted ids is not.

The values are drawn as the fixture's rows were (`rows.new_row`): names and codes unlike the
existing ones, parents among the existing keys, the key one past the largest. The question
names every value the row gets, so the SQL holds nothing the question does not say.
"""

from __future__ import annotations

from proto.sample import Scalar
from shared.generation.template.evaluation.eval_types import Fragile
from shared.generation.template.instance.rows import new_row
from shared.generation.template.instance.rowstore import column_role
from shared.generation.template.query.context import Ctx
from shared.generation.template.schema.schema_model import ColumnType, Table
from shared.generation.template.sql import ir
from shared.generation.template.words.intent import Change, ChangeKind, ValueKind
from shared.generation.template.words.meaning import DmlPart, Meaning


def fits_new_row(ctx: Ctx) -> bool:
    """A lone table and no planned feature: the plan an INSERT … VALUES realises."""
    return ctx.num_tables == 1 and not ctx.features


def build_new_row(ctx: Ctx) -> tuple[ir.Insert, Meaning]:
    names = list(ctx.required) or [t.name for t in ctx.store.domain.tables]
    options = [ctx.store.table(n) for n in names]
    options = [t for t in options if _takes_new_rows(ctx, t)]
    if not options:
        raise Fragile("no table takes a new row")
    t = ctx.rng.choice(options)
    ids: dict[str, list[Scalar]] = {
        x.name: [k for k in ctx.store.values(x.name, x.primary_key) if k is not None]
        for x in ctx.store.domain.tables
    }
    row = new_row(t, ctx.store.rows(t.name), ids, ctx.rng.randrange(1 << 30))
    if row is None:
        raise Fragile(f"no new {t.noun} unlike the existing ones")
    columns = tuple(c.name for c in t.columns if row[c.name] is not None)
    statement = ir.Insert(t.name, columns, None, tuple(ir.Lit(row[c]) for c in columns))
    given = tuple((_label(t, c), row[c], _kind(t, c)) for c in columns if c != t.primary_key)
    # The name first ("a product 'Blue Lamp' with price 35"), as a person says it.
    given = tuple(sorted(given, key=lambda g: g[0] != _label(t, t.label_column or "")))
    meaning = Meaning(subject=t.plural, subject_one=t.noun, kind="insert")
    meaning.change = Change(ChangeKind.NEW, t.noun, t.plural, values=given)
    meaning.dml = DmlPart("add", t.noun, t.plural, _summary(given))
    return statement, meaning


def _takes_new_rows(ctx: Ctx, t: Table) -> bool:
    # Junction rows are links, not entities; a text key has no "next" value.
    key = t.column(t.primary_key)
    return not t.unique_together and key.type is ColumnType.INTEGER and bool(ctx.store.rows(t.name))


def _label(t: Table, column: str) -> str:
    if not column:
        return ""
    c = t.column(column)
    if column_role(t, c) == "fk" and not c.label.endswith(" id"):
        return f"{c.label} id"  # the SQL holds the parent's id, so the question says so
    return c.label


def _kind(t: Table, column: str) -> ValueKind:
    ctype = t.column(column).type
    if ctype is ColumnType.TEXT:
        return ValueKind.TEXT
    return ValueKind.DATE if ctype is ColumnType.DATE else ValueKind.NUMBER


def _summary(given: tuple[tuple[str, Scalar, ValueKind], ...]) -> str:
    return ", ".join(f"{label} {value!r}" for label, value, _ in given)
