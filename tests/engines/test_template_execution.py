"""Generated drafts run on real SQLite, PostgreSQL and MariaDB: they execute, return rows, and
return the same rows everywhere (the lead's pipeline tests do the same through the validator)."""

from __future__ import annotations

import collections

import pytest

from proto.common import TaskType
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.instance.schema_instance import build_schema
from shared.runtime.local import LocalStack
from tests.unit.template.execution import Engines
from tests.unit.template.helpers import random_blueprints

pytestmark = pytest.mark.engines


@pytest.mark.parametrize(
    ("tasks", "count"),
    [((TaskType.ANALYTICS, TaskType.RETRIEVAL), 150), ((TaskType.MANIPULATION,), 80)],
)
async def test_drafts_agree_on_three_engines(
    stack: LocalStack, tasks: tuple[TaskType, ...], count: int
) -> None:
    pg, my = stack.dsn("postgres"), stack.dsn("mysql")
    assert pg is not None and my is not None
    engines = Engines(pg, my, prefix=f"tpl_{tasks[0].name.lower()}")
    await engines.open()
    engine = TemplateEngine()
    outcomes: collections.Counter[str] = collections.Counter()
    problems: list[str] = []
    try:
        for i, bp in enumerate(random_blueprints(count, seed=71, tasks=tasks)):
            draft = engine.generate(bp, seed=i)
            instance = next(
                build_schema(bp.domain, v)
                for v in range(engine.schema_variants)
                if [r.values for r in build_schema(bp.domain, v).rows]
                == [r.values for r in draft.rows]
            )
            results = await engines.run(instance, draft)
            if not all(r.ok for r in results.values()):
                errors = {k: r.error for k, r in results.items() if not r.ok}
                outcomes["error"] += 1
                problems.append(f"{draft.sql} -> {errors}")
            elif not all(r.rows for r in results.values()):
                outcomes["empty"] += 1
                problems.append(f"{draft.sql} -> empty")
            elif not results["sqlite"].rows == results["postgres"].rows == results["mysql"].rows:
                outcomes["mismatch"] += 1
                problems.append(f"{draft.sql} -> results differ")
            else:
                outcomes["agree"] += 1
    finally:
        await engines.close()
    print(f"\ntemplate drafts on three engines ({tasks[0].value}…): {dict(outcomes)}")
    assert outcomes["agree"] / count >= 0.99, problems[:5]
