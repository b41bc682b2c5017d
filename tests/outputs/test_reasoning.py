"""Execution-verified reasoning: rejection sampling on the (scripted) Claude path, re-checked on
the real engines, and offline traces whose SQL is the gold SQL; both reach the SFT view."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest

from proto.common import Engine
from shared.engines.fixture import Fixture
from shared.engines.validator import Validator
from shared.export.writer import export_run
from shared.llm.client import LlmClient
from shared.llm.settings import LlmSettings
from shared.reasoning.output import write_reasoning
from shared.reasoning.sampling import ReasoningPlan, ReasoningSampler, offline_reasoning
from tests.fakes.llm import FakeAnthropic
from tests.fakes.reasoning_model import ScriptedReasoner
from tests.outputs.conftest import read_jsonl

pytestmark = [pytest.mark.e2e]
ACCURACY = 0.35


async def test_rejection_sampling_keeps_only_answers_with_the_gold_result(
    run_dir: Path, validator: Validator, tmp_path: Path
) -> None:
    rows = read_jsonl(run_dir / "dataset.jsonl")[:8]
    model = ScriptedReasoner(rows, accuracy=ACCURACY, seed=3)
    with FakeAnthropic(model) as fake:
        settings = LlmSettings(api_key="sk-ant-test-key", base_url=fake.base_url)
        client = LlmClient(settings)
        try:
            sampler = ReasoningSampler(client, validator, ReasoningPlan(candidates=4))
            lines = await sampler.sample_all(rows)
        finally:
            await client.aclose()
    summary = sampler.summary
    assert model.answers == 4 * len(rows) == summary.candidates
    kept = [line for line in lines if line["reasoning"]]
    assert 0 < len(kept) <= len(rows)
    assert summary.with_reasoning == len(kept) and summary.correct >= len(kept)
    by_id = {r["id"]: r for r in rows}
    for line in lines:
        assert len(line["verdicts"]) == 4
        assert (line["reasoning"] is not None) == ("equivalent" in line["verdicts"])
    for line in kept:  # re-check every kept answer independently on the three engines
        row = by_id[line["id"]]
        fixture = Fixture(row["sql_context"], dialect=Engine.SQLITE)
        answer, _ = await validator.validate(fixture, line["reasoning_sql"], allow_writes=True)
        gold = {c["engine"]: c["digest"] for c in row["validation"]["checks"]}
        assert all(c.ok and c.digest == gold[c.engine.value] for c in answer.checks)
    print(
        f"scripted model (accuracy {ACCURACY}): acceptance {summary.acceptance_rate:.1%}, "
        f"candidates correct {summary.candidate_accuracy:.1%}"
    )
    # The kept reasoning reaches the SFT view, before the gold SQL.
    run_copy = tmp_path / "run"
    run_copy.mkdir()
    (run_copy / "dataset.jsonl").write_text((run_dir / "dataset.jsonl").read_text())
    write_reasoning(run_copy, lines)
    out = export_run(run_copy, tmp_path / "export").out_dir
    records = datasets.load_dataset(str(out))
    sft = datasets.load_dataset(str(out), "sft")
    sources = {r["id"]: r["reasoning_source"] for s in records for r in records[s]}
    assert {sources[line["id"]] for line in kept} == {"claude:claude-haiku-5-5"}
    messages = {r["id"]: r["messages"] for s in sft for r in sft[s]}
    first = kept[0]
    assistant = messages[first["id"]][2]["content"]
    assert assistant.startswith(first["reasoning"])
    assert assistant.rstrip().endswith(f"{by_id[first['id']]['sql']}\n```")


def test_offline_traces_cover_every_record_and_follow_the_sql(run_dir: Path) -> None:
    rows = read_jsonl(run_dir / "dataset.jsonl")
    lines = offline_reasoning(rows)
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        assert line["reasoning_sql"] == row["sql_by_dialect"].get("sqlite", row["sql"])
        trace = line["reasoning"]
        assert trace.startswith("1. Schema linking:")
        if " JOIN " in row["sql"]:
            assert "Join " in trace
        if " GROUP BY " in row["sql"]:
            assert "Group by " in trace
        if " WHERE " in row["sql"]:
            assert "Filter the rows: " in trace
