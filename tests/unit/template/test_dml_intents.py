"""DML with realistic intents: a new entity is inserted with VALUES the question names, the rows
to change may be named in a CTE or derived table inside the UPDATE/DELETE subquery, and copies
of existing rows with shifted ids (INSERT … SELECT) are left only to plans nothing else holds
(window functions, set operations, a ranked cut of groups)."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from proto.common import Complexity, PromptStyle, SqlFeature, TaskType
from proto.sample import Blueprint
from shared.errors import GenerationError
from shared.generation.template.catalogue import domain_names
from shared.generation.template.engine import TemplateEngine
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
