"""A condition, a measure or a grouping on a joined table's column is said with its owner
(issue 13, session 9): "count of guest checks with hourly wage above 20" read the server's
wage as the check's, "customers with floor area below 4000" the store's area as the
customers', "number of games per year founded" the studio's year as the games'."""

from __future__ import annotations

import random

import sqlglot
from sqlglot import exp

from proto.common import JoinKind, SqlFeature, TaskType
from proto.sample import Blueprint
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.query.base import said_label, table_fields
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.predicates import column_filters
from shared.generation.template.schema.catalogue import domain_names
from tests.unit.template.helpers import built_selects, domain_store

F = SqlFeature


def _names_owner(noun: str, said: str) -> bool:
    return bool(set(noun.lower().split()) & set(said.lower().split()))


def test_every_joined_label_names_its_table() -> None:
    """However long or rare a label is ("area in hectares" of fields), a reader takes it for
    the subject's unless it names its table."""
    checked = 0
    for domain in domain_names():
        store = domain_store(domain)
        blueprint = Blueprint(domain=domain, num_tables=1)
        ctx = Ctx.from_blueprint(blueprint, store, random.Random(0))
        for table in store.domain.tables:
            for column in table.columns:
                said = said_label(ctx, table.name, column.label)
                assert _names_owner(table.noun, said), (domain, table.name, column.label, said)
                checked += 1
    assert checked > 200


def _tables_by_alias(tree: exp.Expr) -> dict[str, str]:
    return {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}


def test_case_counts_and_groups_on_a_joined_table_name_it() -> None:
    """SUM(CASE WHEN <joined column> ...) and GROUP BY <joined category> word the column with
    its table's noun in the measure's label and in 'per ...'."""
    cased = grouped = 0

    def blueprint(domain: str, i: int) -> Blueprint:
        features = [F.AGGREGATE, F.GROUP_BY, F.CASE]
        return Blueprint(
            domain=domain, num_tables=2 + i % 2, join_kind=JoinKind.INNER, features=features
        )

    for built in built_selects(("restaurant", "pharmacy", "gaming", "retail"), 40, blueprint):
        tree, meaning = built.tree, built.meaning
        nouns = {t.name: t.noun for t in built.store.domain.tables}
        plurals = {t.plural: t.name for t in built.store.domain.tables}
        tables = _tables_by_alias(tree)
        subject = plurals.get(meaning.subject)
        for total in tree.find_all(exp.Sum):
            case = total.this
            if not isinstance(case, exp.Case):
                continue
            owners = {tables.get(c.table) for c in case.find_all(exp.Column)}
            for owner in owners - {subject}:
                if owner is None:
                    continue
                cased += 1
                labels = [m.label for m in meaning.metrics if " with " in m.label]
                assert any(_names_owner(nouns[owner], x) for x in labels), (
                    labels,
                    tree.sql(),
                )
        select = tree.find(exp.Select)
        group = select.args.get("group") if select is not None else None
        if group is not None and len(group.expressions) == 1 and meaning.per:
            column = group.expressions[0]
            owner = tables.get(column.table) if isinstance(column, exp.Column) else None
            if owner is not None and owner != subject:
                grouped += 1
                assert _names_owner(nouns[owner], meaning.per[0]), (meaning.per, tree.sql())
    assert cased >= 5
    assert grouped >= 5


def test_vague_words_stand_only_for_the_subjects_own_columns() -> None:
    """'the number of recent bugs' where 'recent' meant the developer's hire date ('newer
    order lines', the seller's join date, read through a scalar subquery): a vague word is an
    adjective of the subject, so a joined table's condition is said with its value."""
    vague = 0

    def blueprint(domain: str, i: int) -> Blueprint:
        features = [[], [F.AGGREGATE, F.GROUP_BY], [F.SCALAR_SUBQUERY]][i % 3]
        return Blueprint(
            domain=domain, num_tables=2 + i % 2, join_kind=JoinKind.INNER, features=features
        )

    domains = ("software_projects", "retail", "healthcare", "gaming")
    for built in built_selects(domains, 40, blueprint):
        meaning = built.meaning
        plurals = {t.plural: t for t in built.store.domain.tables}
        own = {c.label for c in plurals[meaning.subject].columns}
        for cond in meaning.filters:
            if cond.vague:
                vague += 1
                assert cond.label in own, (meaning.subject, cond.label, cond.vague)
    assert vague >= 5


def test_a_year_is_compared_with_a_year_of_its_own_range() -> None:
    """'year opened above 1500' and 'between 2000 and 2500': a round number of the
    thousands keeps every row or none, and no one asks it."""
    checked = 0
    for domain in ("veterinary", "pharmacy", "gaming", "sports_league", "wine_distribution"):
        store = domain_store(domain)
        ctx = Ctx.from_blueprint(Blueprint(domain=domain, num_tables=1), store, random.Random(0))
        for table in store.domain.tables:
            for f in table_fields(ctx, table.name, "t"):
                values = [v for v in store.values(table.name, f.name) if isinstance(v, int)]
                if not values or not 1000 <= min(values) <= max(values) <= 2200:
                    continue
                for witness in values[:5]:
                    for _, cond in column_filters(f, witness, values, random.Random(witness)):
                        for v in cond.values:
                            assert isinstance(v, int | float), cond
                            checked += 1
                            assert min(values) - 10 <= float(v) <= max(values) + 10, (f.label, cond)
    assert checked >= 20


def test_a_change_names_the_owner_of_a_joined_condition() -> None:
    """'increase the passenger capacity for the vehicles with service date in 2025': the
    service date is the trips', and the rows changed are the vehicles."""
    engine = TemplateEngine()
    checked = 0
    for i, domain in enumerate(("public_transit", "retail", "healthcare", "library") * 12):
        blueprint = Blueprint(
            domain=domain,
            task_type=TaskType.MANIPULATION,
            num_tables=2,
            join_kind=JoinKind.INNER,
            features=[F.IN_SUBQUERY],
        )
        try:
            draft = engine.generate(blueprint, seed=i)
        except GenerationError:
            continue
        tree = sqlglot.parse_one(draft.sql, read="sqlite")
        if not isinstance(tree, exp.Update | exp.Delete):
            continue
        store = domain_store(domain)
        nouns = {t.name: t.noun for t in store.domain.tables}
        target = tree.this.name
        tables = _tables_by_alias(tree)
        for cmp in tree.find_all(exp.EQ, exp.GT, exp.LT, exp.GTE, exp.Between, exp.In):
            column = cmp.this
            if not isinstance(column, exp.Column) or not column.table:
                continue
            if isinstance(cmp, exp.EQ) and isinstance(cmp.expression, exp.Column):
                continue  # a join or correlation
            if isinstance(cmp, exp.In) and cmp.args.get("query") is not None:
                continue  # a key looked up in a subquery
            owner = tables.get(column.table)
            if owner is None or owner == target:
                continue
            checked += 1
            assert nouns[owner].split()[-1] in draft.question.lower(), (draft.question, draft.sql)
    assert checked >= 5
