"""Reviewer guidelines of a run reach the Claude prompt of its later samples (Turing's loop),
through the real SDK against the fake Messages API; other runs' samples do not get them."""

from __future__ import annotations

from proto.sample import SampleEnvelope
from shared.generation.claude.engine import ClaudeDraftEngine
from shared.pipeline.generate import GeneratorStage
from shared.review.guidelines import RunGuidelines
from tests.fakes.llm import FakeAnthropic
from tests.llm.conftest import blueprints

GUIDELINE = "Questions name the unit of every amount (euros, days, points)."


class OneRun:
    def __init__(self, run_id: str, *texts: str) -> None:
        self.value = RunGuidelines(run_id, texts)

    def for_run(self, run_id: str) -> RunGuidelines | None:
        return self.value if run_id == self.value.run_id else None


def first_user_text(fake: FakeAnthropic, index: int) -> str:
    body = fake.calls[index].body
    assert body is not None
    return str(body["messages"][0]["content"][0]["text"])


async def test_guidelines_go_into_the_prompt_of_the_run_only(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    stage = GeneratorStage(engine, OneRun("run-g", GUIDELINE))
    blueprint = blueprints(1)[0]
    emits = await stage(SampleEnvelope(run_id="run-g", sample_id="s1", blueprint=blueprint))
    assert emits[0].envelope.draft is not None
    guided_calls = len(fake.calls)
    text = first_user_text(fake, 0)
    assert "<reviewer_guidelines>\n1. " + GUIDELINE + "\n</reviewer_guidelines>" in text
    # Every section call of the sample carries the same first turn (one cached prefix).
    assert all(GUIDELINE in first_user_text(fake, i) for i in range(guided_calls))
    system = fake.calls[0].body["system"][0]["text"]  # type: ignore[index]
    assert "# Reviewer guidelines" in system

    await stage(SampleEnvelope(run_id="run-other", sample_id="s2", blueprint=blueprint))
    assert len(fake.calls) > guided_calls
    assert "reviewer_guidelines" not in first_user_text(fake, guided_calls)
