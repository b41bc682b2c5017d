"""Distinct counts read a column with several values: never one a filter pins (`= 'a'`,
`IS NULL`: "the number of distinct giving tiers of givers with no giving tier" is 0), never a
bookkeeping column (record status: 1 in every group), and a plan
that asks for one stays buildable when its table has no category (it counts its links)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from proto.common import JoinKind, SqlFeature, TaskType
from proto.sample import Blueprint
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec
from tests.unit.template.helpers import built_selects

FILLER = {"record_status", "created_on", "updated_on", "external_ref"}


def _pinned(where: exp.Expression | None) -> set[str]:
    out: set[str] = set()
    if where is None:
        return out
    for part in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        pins = isinstance(part, exp.Is) or (
            isinstance(part, exp.EQ) and isinstance(part.expression, exp.Literal)
        )
        if pins and isinstance(part.this, exp.Column):
            out.add(part.this.sql())
    return out


def test_distinct_counts_read_an_unpinned_column() -> None:
    engine = TemplateEngine()
    blueprints = [
        b
        for b in BlueprintSampler(default_spec(), seed=17).draw_many(900)
        if b.task_type is not TaskType.MANIPULATION
        and SqlFeature.DISTINCT in b.features
        and {SqlFeature.GROUP_BY, SqlFeature.AGGREGATE} & set(b.features)
    ][:50]
    counted = failed = 0
    for i, blueprint in enumerate(blueprints):
        try:
            draft = engine.generate(blueprint, seed=i)
        except GenerationError:
            failed += 1
            continue
        tree = sqlglot.parse_one(draft.sql, read="sqlite")
        for select in tree.find_all(exp.Select):
            pinned = _pinned(select.args.get("where"))
            for count in select.find_all(exp.Count):
                if isinstance(count.this, exp.Distinct):
                    cols = [c.sql() for c in count.this.expressions]
                    assert not set(cols) & pinned, (draft.question, draft.sql)
                    # A bookkeeping column has one value in nearly every group: "the number
                    # of distinct record statuses" is 1 throughout.
                    names = {c.rsplit(".", 1)[-1] for c in cols}
                    assert not names & FILLER, (draft.question, draft.sql)
                    counted += 1
    assert counted >= 10
    assert failed <= 0.1 * len(blueprints)


def test_a_distinct_count_is_not_of_a_column_a_filter_keeps_to_a_list() -> None:
    """'the number of distinct emergency services of clinics with emergency service
    '24 hours' or 'No emergencies'' counts the filter's list, not the data."""
    counted = 0

    def blueprint(domain: str, i: int) -> Blueprint:
        return Blueprint(
            domain=domain,
            num_tables=1 + i % 2,
            join_kind=JoinKind.INNER if i % 2 else None,
            features=[SqlFeature.AGGREGATE, SqlFeature.DISTINCT]
            + ([SqlFeature.GROUP_BY] if i % 3 else []),
        )

    for built in built_selects(
        ("veterinary", "restaurant", "retail", "gaming", "logistics", "energy"), 30, blueprint
    ):
        tree = built.tree
        listed = {
            (c.table, c.name)
            for in_ in tree.find_all(exp.In)
            if len(in_.expressions) > 1 and not isinstance(in_.parent, exp.Not)
            for c in [in_.this]
            if isinstance(c, exp.Column)
        }
        for count in tree.find_all(exp.Count):
            if isinstance(count.this, exp.Distinct):
                counted += 1
                for column in count.this.find_all(exp.Column):
                    assert (column.table, column.name) not in listed, tree.sql()
    assert counted >= 20


def test_distinct_rows_are_not_only_a_left_joined_childs_names() -> None:
    """'the distinct trip codes (if any) of routes': a child's name or code is one per child
    row, so DISTINCT folds nothing but the blanks; the distinct values asked repeat."""
    checked = 0

    def blueprint(domain: str, i: int) -> Blueprint:
        return Blueprint(
            domain=domain,
            num_tables=2,
            join_kind=JoinKind.LEFT,
            features=[SqlFeature.DISTINCT],
        )

    for built in built_selects(
        ("public_transit", "museum", "gaming", "library", "retail"), 30, blueprint
    ):
        tree, store = built.tree, built.store
        if not isinstance(tree, exp.Select) or tree.args.get("distinct") is None:
            continue
        outer = {
            j.this.alias_or_name: j.this.name
            for j in tree.args.get("joins") or []
            if j.side == "LEFT"
        }
        columns = [c for e in tree.expressions for c in e.find_all(exp.Column)]
        names = [
            c.table in outer and store.table(outer[c.table]).label_column == c.name for c in columns
        ]
        checked += 1
        assert not all(names), tree.sql()
    assert checked >= 10


def test_a_distinct_count_per_entity_is_not_of_the_entitys_own_columns() -> None:
    """Grouped per guest check, 'the number of distinct payment methods' (the check's own) or
    'distinct staff members' (its server) is 1 in every group."""
    counted = 0

    def blueprint(domain: str, i: int) -> Blueprint:
        return Blueprint(
            domain=domain,
            num_tables=2 + i % 2,
            join_kind=JoinKind.INNER,
            features=[SqlFeature.AGGREGATE, SqlFeature.GROUP_BY, SqlFeature.DISTINCT],
        )

    for built in built_selects(
        ("restaurant", "retail", "library", "veterinary", "gaming"), 40, blueprint
    ):
        tree, store = built.tree, built.store
        select = tree.find(exp.Select)
        group = select.args.get("group") if select is not None else None
        if group is None:
            continue
        tables = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
        grouped = {(c.table, c.name) for c in group.expressions if isinstance(c, exp.Column)}
        per_entity = {
            alias
            for alias, name in tables.items()
            if store.row_key(name) and all((alias, k) in grouped for k in store.row_key(name))
        }
        for count in tree.find_all(exp.Count):
            if isinstance(count.this, exp.Distinct):
                counted += 1
                for column in count.this.find_all(exp.Column):
                    assert column.table not in per_entity, tree.sql()
    assert counted >= 20
