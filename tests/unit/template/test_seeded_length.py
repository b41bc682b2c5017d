"""Seeded questions as short as the seeds': the spec measures how many conditions the seeds'
WHERE states (`stated_filters`, most Spider SELECTs state none), the engine states that many,
and a seed column of free prose is never quoted as a condition or a group."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from proto.common import Engine, SqlFeature, TaskType
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.instance.rowstore import column_role
from shared.generation.template.schema.schema_model import (
    Column,
    ColumnType,
    FakeKind,
    Table,
    ValueKind,
)
from shared.spec.seed_measure import stated_filters
from tests.unit.template.seed_data import spider_seeds
from tests.unit.template.seed_runs import seeded_blueprints


def test_the_conditions_a_seed_states_are_counted() -> None:
    assert stated_filters("SELECT count(*) FROM singer", Engine.SQLITE) == 0
    assert stated_filters("SELECT name FROM singer WHERE age > 20", Engine.SQLITE) == 1
    two = "SELECT name FROM singer WHERE age > 20 AND country = 'France' AND x = 1"
    assert stated_filters(two, Engine.SQLITE) == 2
    union = "SELECT a FROM t WHERE b = 1 UNION SELECT a FROM t WHERE b = 2 AND c = 3"
    assert stated_filters(union, Engine.SQLITE) == 1  # the first branch's
    assert stated_filters("SELEC nothing", Engine.SQLITE) is None


def test_free_prose_is_no_category() -> None:
    table = Table("paragraphs", "paragraph", "paragraphs", (), "id")
    prose = Column(
        "other_details", ColumnType.TEXT, ValueKind.CATEGORY, "other details", fake=FakeKind.TEXT
    )
    kind = Column("kind", ColumnType.TEXT, ValueKind.CATEGORY, "kind", fake=FakeKind.WORD)
    assert column_role(table, prose) == "text"
    assert column_role(table, kind) == "category"


def test_a_plan_of_no_stated_filter_states_none_on_a_seed_schema() -> None:
    """Simple retrievals and totals planned with stated_filters 0 have no WHERE (nothing of
    the plan needs one), and with 1 they have one."""
    engine = TemplateEngine()
    seeds = {s.name: s for s in spider_seeds()}
    simple = {SqlFeature.AGGREGATE, SqlFeature.ORDER_BY}
    seen = {0: [0, 0], 1: [0, 0]}
    for name in ("concert_singer", "pets_1", "world_1", "orchestra"):
        blueprints = [
            b
            for b in seeded_blueprints(seeds[name], 120, sampler_seed=3)
            if b.task_type is not TaskType.MANIPULATION
            and set(b.features) <= simple
            and b.num_tables == 1
        ][:12]
        for i, blueprint in enumerate(blueprints):
            planned = i % 2
            props = {**blueprint.properties, "stated_filters": planned}
            try:
                draft = engine.generate(blueprint.model_copy(update={"properties": props}), seed=i)
            except GenerationError:
                continue
            tree = sqlglot.parse_one(draft.sql, read="sqlite")
            assert isinstance(tree, exp.Select)
            seen[planned][0] += 1
            seen[planned][1] += tree.args.get("where") is None
    assert seen[0][0] >= 8 and seen[1][0] >= 8, seen
    assert seen[0][1] >= 0.8 * seen[0][0], seen  # none stated
    assert seen[1][1] <= 0.2 * seen[1][0], seen  # one stated
