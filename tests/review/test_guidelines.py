"""Guidelines that name a pattern become rules; the template engine's drafts obey them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proto.common import Outcome, SqlFeature, TaskType
from proto.sample import SampleEnvelope
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.template_adapter import TemplateDraftEngine
from shared.review.guidelines import (
    GuidelinesFile,
    RunGuidelines,
    find_violations,
    parse_avoid_rules,
    write_guidelines_file,
)
from shared.spec import BlueprintSampler, load_spec


@pytest.mark.parametrize(
    ("guideline", "patterns"),
    [
        ("Avoid CROSS JOIN when a foreign key links the tables.", ["cross join"]),
        ("Never use SELECT * in a query.", ["select *"]),
        ("No LIMIT without ORDER BY", ["limit without order by"]),
        ("Do not use window functions or a UNION", ["window function", "union"]),
        ("avoid LEFT JOIN", ["left join"]),
        ("Avoid CROSS JOIN between tables a foreign key links", ["cross join"]),
        ("never a `case` expression, no subqueries", ["subquer", "case"]),
        ("no select * please, and avoid the like of it", []),
        ("Questions should name the unit of every amount.", []),
        ("Prefer short questions", []),
    ],
)
def test_parse_avoid_rules(guideline: str, patterns: list[str]) -> None:
    assert [r.pattern for r in parse_avoid_rules([guideline])] == patterns


@pytest.mark.parametrize(
    ("sql", "pattern", "violated"),
    [
        ("SELECT a FROM t CROSS JOIN u", "cross join", True),
        ("SELECT a FROM t JOIN u ON t.id = u.t_id", "cross join", False),
        ("SELECT * FROM t", "select *", True),
        ("SELECT COUNT(*) AS n FROM t", "select *", False),
        ("SELECT a FROM t LIMIT 3", "limit without order by", True),
        ("SELECT a FROM t ORDER BY a, id LIMIT 3", "limit without order by", False),
        ("SELECT a FROM t WHERE b IN (SELECT b FROM u)", "subquer", True),
        ("SELECT a FROM t WHERE b NOT IN (SELECT b FROM u)", "not in", True),
        ("SELECT a FROM t WHERE b IN (1, 2)", "subquer", False),
        ("SELECT a, RANK() OVER (ORDER BY a) AS r FROM t", "window function", True),
    ],
)
def test_rules_read_the_sql_tree(sql: str, pattern: str, violated: bool) -> None:
    rules = [r for r in parse_avoid_rules([f"avoid {pattern.upper()}"]) if r.pattern == pattern]
    assert len(rules) == 1
    assert bool(find_violations(sql, rules)) is violated


def test_guidelines_file_is_scoped_to_its_run(tmp_path: Path) -> None:
    source = GuidelinesFile(tmp_path / "guidelines.json")
    assert source.for_run("r1") is None
    write_guidelines_file(tmp_path, RunGuidelines("r1", ("avoid UNION",)))
    assert source.for_run("r1") == RunGuidelines("r1", ("avoid UNION",))
    assert source.for_run("r2") is None
    (tmp_path / "guidelines.json").write_text("{not json")
    assert source.for_run("r1") is None  # a broken file steers nothing, and raises nothing
    assert json.loads(json.dumps({"ok": True}))


async def test_template_drafts_obey_a_rule_or_are_rejected_with_it() -> None:
    """Blueprints that plan a LIMIT (or an ordered data change) cannot avoid it: rejected with
    the guideline as the reason. The others are drafted without one."""

    class Source:
        def for_run(self, run_id: str) -> RunGuidelines | None:
            return RunGuidelines(run_id, ("Avoid LIMIT: ask for every matching row.",))

    stage = GeneratorStage(TemplateDraftEngine(), Source())
    sampler = BlueprintSampler(load_spec(None), seed=3)
    planned = [sampler.draw_at(i) for i in range(40)]
    outcomes = {"drafted": 0, "rejected": 0}
    for n, blueprint in enumerate(planned):
        envelope = SampleEnvelope(run_id="r", sample_id=f"s{n}", blueprint=blueprint)
        (emit,) = await stage(envelope)
        if emit.outcome is Outcome.DRAFTED:
            assert emit.envelope.draft is not None
            assert "LIMIT" not in emit.envelope.draft.sql.upper()
            outcomes["drafted"] += 1
        else:
            # A LIMIT it cannot avoid: planned, or what an ORDER BY means in a data change
            # ("the 3 oldest rows": an ordering without a cut changes nothing).
            assert SqlFeature.LIMIT in blueprint.features or (
                blueprint.task_type is TaskType.MANIPULATION
                and SqlFeature.ORDER_BY in blueprint.features
            ), blueprint
            assert "reviewer guideline" in (emit.envelope.history[-1].reason or "")
            outcomes["rejected"] += 1
    assert outcomes["drafted"] > 0 and outcomes["rejected"] > 0, outcomes
