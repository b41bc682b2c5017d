"""The sense checks in the validator stage (real SQLite engine), the sink's counters, and the
Claude prompts that carry findings (repair feedback, judge facts)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from proto import subjects
from proto.common import Complexity, Engine, Outcome, PromptStyle, Stage, TaskType
from proto.run import RunStatus
from proto.sample import Blueprint, Draft, ErrorClass, SampleEnvelope, TableRows
from proto.sense import SenseCheck
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.generation.claude.render import render_facts, render_feedback
from shared.pipeline.records import dataset_record, rejected_record
from shared.pipeline.sink import count_sense
from shared.pipeline.validate import ValidatorStage

DDL = (
    "CREATE TABLE teams (id INTEGER PRIMARY KEY, team_name VARCHAR(60) NOT NULL);\n"
    "CREATE TABLE players (id INTEGER PRIMARY KEY, full_name VARCHAR(60) NOT NULL, "
    "team_id INTEGER NOT NULL, goals INTEGER NOT NULL, "
    "FOREIGN KEY (team_id) REFERENCES teams (id));"
)
ROWS = [
    TableRows(table="teams", columns=["id", "team_name"], values=[[1, "Reds"], [2, "Blues"]]),
    TableRows(
        table="players",
        columns=["id", "full_name", "team_id", "goals"],
        values=[[1, "Ann Lee", 1, 3], [2, "Bo Park", 1, 0], [3, "Cy Ng", 2, 5]],
    ),
]


def envelope_for(sql: str, question: str, tables: int = 2) -> SampleEnvelope:
    blueprint = Blueprint(domain="football", prompt_style=PromptStyle.DIRECT, num_tables=tables)
    draft = Draft(
        domain="football",
        schema_ddl=DDL,
        rows=ROWS,
        sql=sql,
        question=question,
        prompt_style=PromptStyle.DIRECT,
        explanation="Reads players and teams and keeps what the question asks for.",
        task_type=TaskType.RETRIEVAL,
        complexity=Complexity.EASY,
    )
    return SampleEnvelope(
        run_id="r", sample_id="r-1", engines=[Engine.SQLITE], blueprint=blueprint, draft=draft
    )


@pytest.fixture
async def stage() -> AsyncIterator[ValidatorStage]:
    engines = await open_engines(EngineSettings(), [Engine.SQLITE])
    stage = ValidatorStage(Validator(engines), set(engines))
    try:
        yield stage
    finally:
        stage.close()
        for engine in engines.values():
            await engine.close()


async def test_an_unused_join_fails_the_draft_with_the_check_as_feedback(
    stage: ValidatorStage,
) -> None:
    envelope = envelope_for(
        "SELECT p.full_name FROM players AS p JOIN teams AS t ON p.team_id = t.id "
        "WHERE p.goals > 2",
        "Which players scored more than 2 goals?",
    )
    [emit] = await stage(envelope)
    assert emit.subject == subjects.SAMPLE_FAILED
    sense = [f for f in envelope.feedback if f.error_class is ErrorClass.SENSE]
    assert [f.check for f in sense] == [SenseCheck.UNUSED_JOIN]
    assert "teams" in sense[0].message
    assert envelope.history[-1].checks == [SenseCheck.UNUSED_JOIN]
    assert envelope.validation is not None and envelope.validation.sense is not None
    assert not envelope.validation.ok
    # Claude's repair turn names the check; the judge sees findings as facts.
    assert "sense_error: unused_join:" in render_feedback(envelope.feedback)
    assert "sense error unused_join" in render_facts(envelope.validation)


async def test_a_sensible_draft_passes_and_keeps_its_verdict(stage: ValidatorStage) -> None:
    envelope = envelope_for(
        "SELECT p.full_name, t.team_name FROM players AS p JOIN teams AS t ON p.team_id = t.id "
        "WHERE p.goals > 2",
        "Which players scored more than 2 goals, and what are their full name and team name?",
    )
    [emit] = await stage(envelope)
    assert emit.subject == subjects.SAMPLE_CHECKED, envelope.feedback
    assert envelope.validation is not None and envelope.validation.sense is not None
    assert not envelope.validation.sense.errors
    envelope.record(Stage.DEDUP, Outcome.ACCEPTED)
    record = dataset_record(envelope)
    assert record["validation"]["sense"]["findings"] == [
        f.model_dump(mode="json") for f in envelope.validation.sense.findings
    ]


async def test_sink_counts_repairs_and_rejections_by_check(stage: ValidatorStage) -> None:
    envelope = envelope_for(
        "SELECT SUM(p.team_id) FROM players AS p WHERE p.goals > 2",
        "What is the total team id of players with more than 2 goals?",
        tables=1,
    )
    [emit] = await stage(envelope)
    assert emit.subject == subjects.SAMPLE_FAILED, envelope.feedback
    envelope.record(Stage.REVISER, Outcome.REPAIRED)
    envelope.attempt += 1
    await stage(envelope)
    envelope.record(Stage.REVISER, Outcome.REJECTED, "still failing", ErrorClass.SENSE)
    status = RunStatus(run_id="r", target=1)
    count_sense(status, Outcome.REJECTED, rejected_record(envelope))
    assert status.sense_repaired == {"identifier_aggregate": 1}
    assert status.sense_rejected == {"identifier_aggregate": 1}
