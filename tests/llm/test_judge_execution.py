"""The judge checks by execution: it writes its own SQL from the question without seeing the
sample's, both run on the sample's data, and a different result fails the sample with both
results as the reason; the repair then fixes it. The comparison rules on hand-made results, and
the whole loop through the real SDK, the fake API and the scripted model."""

from __future__ import annotations

import json

from proto import subjects
from proto.common import Agreement
from proto.sample import ErrorClass, SampleEnvelope, TableRows
from shared.generation.claude.engine import build_claude_engine
from shared.generation.claude.judge import Outcome, compare_on_sqlite_sync, compare_outcomes
from shared.pipeline.revise import ReviserStage
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints, make_settings, sample_draft

DDL = "CREATE TABLE t (id INTEGER PRIMARY KEY, region VARCHAR(10), amount DECIMAL(12,2));"
ROWS = [
    TableRows(
        table="t",
        columns=["id", "region", "amount"],
        values=[[1, "north", 10.0], [2, "north", 5.5], [3, "south", 7.25], [4, "east", 1.0]],
    )
]


def compare(sample_sql: str, judge_sql: str) -> Agreement:
    return compare_on_sqlite_sync(DDL, ROWS, sample_sql, judge_sql).agreement


def test_extra_columns_and_row_order_do_not_count() -> None:
    sample = "SELECT region, SUM(amount) AS total FROM t GROUP BY region ORDER BY total DESC"
    judge = "SELECT region AS r, COUNT(*) AS n, SUM(amount) AS s FROM t GROUP BY region ORDER BY r"
    assert compare(sample, judge) is Agreement.AGREE
    # Integers and floats of equal value are equal after rounding to 2 decimals.
    assert compare("SELECT 7 AS x", "SELECT 7.0001 AS y") is Agreement.AGREE


def test_a_different_reading_is_a_disagreement_with_both_results() -> None:
    sample = "SELECT region, AVG(amount) AS v FROM t GROUP BY region"
    judge = "SELECT region, SUM(amount) AS v FROM t GROUP BY region"
    result = compare_on_sqlite_sync(DDL, ROWS, sample, judge)
    assert result.agreement is Agreement.DISAGREE
    assert "no column matches 'v'" in result.detail and "3 rows" in result.detail
    # A different cut at a LIMIT changes the rows, so it is found.
    top = "SELECT id FROM t ORDER BY amount DESC, id LIMIT {}"
    assert compare(top.format(2), top.format(3)) is Agreement.DISAGREE
    # Same column values, paired with different rows.
    paired = compare(
        "SELECT id, amount FROM t", "SELECT id, (SELECT MAX(amount) FROM t) - amount + 1 FROM t"
    )
    assert paired is Agreement.DISAGREE


def test_data_changes_compare_the_tables_after_them() -> None:
    assert (
        compare(
            "UPDATE t SET amount = amount + 1 WHERE region = 'north'",
            "UPDATE t SET amount = amount + 1 WHERE id IN (1, 2)",
        )
        is Agreement.AGREE
    )
    assert (
        compare("DELETE FROM t WHERE amount < 6", "DELETE FROM t WHERE amount < 2")
        is Agreement.DISAGREE
    )
    # A query against a change is a different kind of answer, not a finding.
    assert compare("DELETE FROM t WHERE id = 4", "SELECT 1") is Agreement.INCONCLUSIVE


def test_a_judge_sql_that_fails_is_inconclusive_not_a_finding() -> None:
    result = compare_on_sqlite_sync(DDL, ROWS, "SELECT id FROM t", "SELECT nope FROM t")
    assert result.agreement is Agreement.INCONCLUSIVE and "judge's SQL fails" in result.detail
    assert compare_outcomes(Outcome(), Outcome()).agreement is Agreement.AGREE


async def test_the_judge_never_sees_the_samples_sql_and_agrees_by_execution() -> None:
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0), FakeConfig(keep_bodies=True)) as fake:
        claude = build_claude_engine(make_settings(fake))
        blueprint = blueprints(1)[0]
        draft, _ = await claude.generate(blueprint, seed=2)
        envelope = SampleEnvelope(run_id="r", sample_id="s", blueprint=blueprint, draft=draft)
        review, cost = await claude.review(envelope)
        body = fake.calls[-1].body
        await claude.aclose()
    assert body is not None and cost.calls == 1
    prompt = json.dumps(body["messages"])
    assert draft.sql not in prompt and "<sql>" not in prompt
    assert draft.question in prompt and "<schema>" in prompt
    assert review.verdict == "pass" and review.agreement is Agreement.AGREE
    assert review.judge_sql and review.judge_sql.startswith("SELECT")


async def test_a_sql_that_misreads_its_question_is_found_repaired_and_passes() -> None:
    """The SQL averages where the question asks for a total: it runs on every engine and
    returns rows, so only the judge's own reading finds it; the reviser sends it to repair with
    both results, the repaired SQL agrees with the judge."""
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0, drift_rate=1.0), FakeConfig()) as fake:
        claude = build_claude_engine(make_settings(fake))
        blueprint = blueprints(1)[0]
        draft, _ = await claude.generate(blueprint, seed=2)
        assert "AVG(" in draft.sql
        stage = ReviserStage(claude)
        envelope = SampleEnvelope(
            run_id="r", sample_id="s", blueprint=blueprint, draft=draft, max_attempts=3
        )
        [emit] = await stage.review(envelope)
        assert emit.subject == subjects.SAMPLE_DRAFTED  # repaired: a new attempt
        failed = envelope.history[-2]
        assert failed.error_class is ErrorClass.REVIEW
        assert "independent SQL written from the question" in (failed.reason or "")
        repaired = emit.envelope
        assert repaired.draft is not None and "SUM(" in repaired.draft.sql
        [emit] = await stage.review(repaired)
        await claude.aclose()
    assert emit.subject == subjects.SAMPLE_REVIEWED
    assert emit.envelope.review is not None
    assert emit.envelope.review.agreement is Agreement.AGREE


async def test_a_back_translated_question_is_checked_by_execution_too() -> None:
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0), FakeConfig()) as fake:
        claude = build_claude_engine(make_settings(fake))
        blueprint = blueprints(1)[0]
        seed = sample_draft(blueprint)
        draft, cost = await claude.back_translate(
            blueprint, schema_ddl=seed.schema_ddl, sql=seed.sql, rows=seed.rows, seed=1
        )
        await claude.aclose()
    # The scripted back-translation is vague ("the report over ...") and names no measure: the
    # judge cannot read a query from it, which is inconclusive, so the opinion decides.
    assert draft.sql == seed.sql and cost.calls == 2
