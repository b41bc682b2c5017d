"""DML with realistic intents: a new entity is inserted with VALUES the question names, the rows
to change may be named in a CTE or derived table inside the UPDATE/DELETE subquery, and copies
of existing rows with shifted ids (INSERT … SELECT) are left only to plans nothing else holds
(window functions, set operations, a ranked cut of groups)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import sqlglot
from sqlglot import exp

from proto.common import Complexity, PromptStyle, SqlFeature, TaskType
from proto.sample import Blueprint, Draft
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.query.dml_parts import changed_in_bulk
from shared.generation.template.schema.catalogue import domain_names, get_domain
from shared.generation.template.schema.schema_model import Column, ColumnType
from shared.generation.template.schema.schema_model import ValueKind as ColumnKind
from shared.pipeline.records import sql_context
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec


def _lone_table_blueprint(domain: str, style: PromptStyle) -> Blueprint:
    return Blueprint(
        domain=domain,
        task_type=TaskType.MANIPULATION,
        complexity=Complexity.EASY,
        prompt_style=style,
        num_tables=1,
        features=[],
    )


def test_a_new_entity_is_inserted_with_values_the_question_names() -> None:
    engine, seen = TemplateEngine(), 0
    for i, domain in enumerate(domain_names()):
        if seen >= 3:
            break
        draft = engine.generate(_lone_table_blueprint(domain, PromptStyle.IMPERATIVE), seed=i)
        if not draft.sql.startswith("INSERT"):
            continue
        tree = sqlglot.parse_one(draft.sql, read="sqlite")
        values = tree.find(exp.Values)
        assert values is not None, draft.sql  # never a copy of existing rows on this plan
        literals = [lit for lit in values.find_all(exp.Literal)]
        key = literals[0].this  # the key is the first column and is not said
        for lit in literals[1:]:
            text = lit.this
            shown = text if lit.is_string else re.sub(r"\.0+$|(\.\d*?)0+$", r"\1", text)
            assert shown in draft.question, (shown, draft.question, draft.sql)
        assert key.isdigit()
        assert draft.question.startswith("Add ")
        seen += 1
    assert seen >= 3  # insert is drawn at 0.20 of the verbs


def test_copies_of_rows_are_left_to_window_and_set_operation_plans() -> None:
    engine = TemplateEngine()
    blueprints = [
        b
        for b in BlueprintSampler(default_spec(), seed=5).draw_many(700)
        if b.task_type is TaskType.MANIPULATION
    ][:50]
    copies, wrapped, total = 0, 0, 0
    for i, bp in enumerate(blueprints):
        try:
            draft = engine.generate(bp, seed=i)
        except GenerationError:
            continue
        total += 1
        sql = draft.sql
        if sql.startswith("INSERT") and " VALUES " not in sql:
            copies += 1
            features = set(bp.features)
            ranked_groups = {SqlFeature.ORDER_BY, SqlFeature.LIMIT} & features and (
                SqlFeature.GROUP_BY in features
            )
            heavy = {SqlFeature.WINDOW, SqlFeature.SET_OPERATION} & features
            assert heavy or ranked_groups, sql
        if sql.startswith(("UPDATE", "DELETE")) and "(WITH " in sql:
            wrapped += 1
    assert total >= 40
    assert copies <= 0.35 * total
    assert wrapped >= 1


def _manipulations(seed: int, draws: int = 1500) -> list[Blueprint]:
    """The DML blueprints among `draws` default-spec draws."""
    drawn = BlueprintSampler(default_spec(), seed=seed).draw_many(draws)
    return [b for b in drawn if b.task_type is TaskType.MANIPULATION]


def _drafts(blueprints: list[Blueprint]) -> Iterator[tuple[Draft, exp.Expr]]:
    """Each blueprint's draft (blueprint i with seed i) and its SQL read back; refusals skipped."""
    engine = TemplateEngine()
    for i, blueprint in enumerate(blueprints):
        try:
            draft = engine.generate(blueprint, seed=i)
        except GenerationError:
            continue
        yield draft, sqlglot.parse_one(draft.sql, read="sqlite")


def test_the_first_k_rows_to_change_are_k_distinct_rows() -> None:
    """ "Raise the budget of the 2 departments with the most beds" ranks the departments, not
    the joined rows: a join that repeats a department must not let the cut pick it twice."""
    blueprints = [
        b
        for b in _manipulations(seed=11)
        if b.num_tables >= 2 and {SqlFeature.ORDER_BY, SqlFeature.LIMIT} <= set(b.features)
    ][:60]
    checked = 0
    for draft, tree in _drafts(blueprints):
        if not isinstance(tree, exp.Update | exp.Delete):
            continue
        cut = next((s for s in tree.find_all(exp.Select) if s.args.get("limit")), None)
        if cut is None or not cut.args.get("joins"):
            continue
        conn = sqlite3.connect(":memory:")
        conn.executescript(sql_context(draft))
        keys = [row[0] for row in conn.execute(cut.sql(dialect="sqlite")).fetchall()]
        conn.close()
        assert len(set(keys)) == len(keys), (draft.question, draft.sql)
        checked += 1
    assert checked >= 3


def test_rows_counted_for_a_change_are_named() -> None:
    """'set the specialty for physicians ... with at least 2 matching rows' names nothing a
    person counts: the other table's rows are named ('with at least 2 such admissions') when
    two tables are joined, and a count every row passes is not said at all."""
    blueprints = _manipulations(seed=5)[:200]
    counted = 0
    for draft, tree in _drafts(blueprints):
        if "HAVING" in draft.sql and len({t.name for t in tree.find_all(exp.Table)}) == 2:
            counted += 1
            assert "matching row" not in draft.question, (draft.question, draft.sql)
    assert counted >= 4


def test_a_value_set_is_not_on_a_column_the_rows_are_picked_by() -> None:
    """'set the sex to Male for the participants with sex other than Male' sets it for all."""
    blueprints = _manipulations(seed=7, draws=3000)[:300]
    checked = 0
    for draft, tree in _drafts(blueprints):
        if not isinstance(tree, exp.Update):
            continue
        for assignment in tree.expressions:
            if not isinstance(assignment.expression, exp.Literal):
                continue  # a raise by a percentage may be picked by the same column
            column = assignment.this.name
            target = tree.this.name
            aliases = {t.alias_or_name for t in tree.find_all(exp.Table) if t.name == target}
            where = tree.args["where"]
            compared = {
                c.name
                for c in where.find_all(exp.Column)
                if c.table in aliases and _compared_with_literal(c)
            }
            checked += 1
            assert column not in compared, (draft.question, draft.sql)
    assert checked >= 10


def _compared_with_literal(column: exp.Column) -> bool:
    parent = column.parent
    if isinstance(parent, exp.In):
        return all(isinstance(e, exp.Literal) for e in parent.expressions) and bool(
            parent.expressions
        )
    return isinstance(parent, exp.Predicate) and any(
        isinstance(a, exp.Literal) for a in parent.args.values()
    )


def _column(label: str, ctype: ColumnType, kind: ColumnKind) -> Column:
    return Column(label.replace(" ", "_"), ctype, kind, label)


def test_bulk_changes_are_what_people_change_for_many_rows() -> None:
    """A price is repriced, a stock raised, a status moved on, an end date recorded; an amount
    paid, minutes watched, a country or a date of birth are facts corrected row by row."""
    money, qty = ColumnKind.MONEY, ColumnKind.QUANTITY
    assert changed_in_bulk(_column("unit price", ColumnType.DECIMAL, money))
    assert changed_in_bulk(_column("hourly wage", ColumnType.DECIMAL, money))
    assert not changed_in_bulk(_column("amount paid", ColumnType.DECIMAL, money))
    assert not changed_in_bulk(_column("fare revenue", ColumnType.DECIMAL, money))
    assert not changed_in_bulk(_column("weight in kg", ColumnType.DECIMAL, ColumnKind.MEASURE))
    assert changed_in_bulk(_column("units in stock", ColumnType.INTEGER, qty))
    assert not changed_in_bulk(_column("minutes watched", ColumnType.INTEGER, qty))
    assert changed_in_bulk(_column("flight status", ColumnType.TEXT, ColumnKind.CATEGORY))
    assert not changed_in_bulk(_column("country", ColumnType.TEXT, ColumnKind.COUNTRY))
    assert changed_in_bulk(_column("end date", ColumnType.DATE, ColumnKind.DATE))
    assert not changed_in_bulk(_column("date of birth", ColumnType.DATE, ColumnKind.DATE))


def test_updates_prefer_a_change_people_make_in_bulk() -> None:
    """'increase the minutes watched by 10', 'set the species to Reptile': a table with a price
    or a status to change is the update's target, and that column is what it changes (most
    updates; a plan whose tables hold nothing of the kind keeps the old choice)."""
    updates = bulk = 0
    for draft, tree in _drafts(_manipulations(seed=31, draws=3000)[:300]):
        if not isinstance(tree, exp.Update):
            continue
        table = next(t for t in get_domain(draft.domain).tables if t.name == tree.this.name)
        for assignment in tree.expressions:
            column = next(c for c in table.columns if c.name == assignment.this.name)
            updates += 1
            bulk += changed_in_bulk(column)
    assert updates >= 60
    assert bulk / updates >= 0.4, (bulk, updates)  # 27 of 127 before the preference


def test_a_changes_subquery_never_repeats_a_condition_of_its_rows() -> None:
    """'the adjusters whose full name is X and whose adjuster has full name X': an IN over the
    joined parent repeated the filter on it. Each subquery of a change must remove rows the
    other conditions keep, as a SELECT's must."""
    checked = 0
    for draft, tree in _drafts(_manipulations(seed=31, draws=3000)[:300]):
        if not isinstance(tree, exp.Update | exp.Delete) or not tree.find(exp.Subquery):
            continue
        tables = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
        said = [
            (tables.get(cmp.this.table), cmp.this.name, cmp.expression.sql())
            for cmp in tree.find_all(exp.EQ, exp.GT, exp.LT, exp.GTE, exp.LTE, exp.NEQ)
            if isinstance(cmp.this, exp.Column)
            and isinstance(cmp.expression, exp.Literal)
            # (a CASE change's condition may fall back to a column the rows are picked by)
            and cmp.find_ancestor(exp.Case) is None
        ]
        checked += 1
        assert len(said) == len(set(said)), (draft.question, draft.sql)
    assert checked >= 30
