"""`sqlsynth evolve --llm claude --feasibility model` end to end: the real SDK and client against
the fake Messages API (its scripted model answers the evolution tools, refuses some rewrites
and breaks some answers on purpose), every evolved draft through the pipeline's stages on
SQLite, PostgreSQL and MariaDB (sense checks, review, near-duplicate search).

Evolved records carry the model's question (or the offline one, with the reason, where the
model's answer was unusable), their lineage (parent_id, evolution) and what their calls cost;
the evolution's ledger is exactly what the fake server answered, and the report shows it by
source."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from proto.common import Engine
from services.cli.main import cli
from services.cli.run_outputs import write_outputs
from shared.datasets import DatasetRecord
from shared.evolution.model_words import WORDING_PROPERTY
from shared.evolution.outputs import evolution_rounds
from shared.report.growth import compute_growth
from shared.runtime.local import LocalStack
from tests.conftest import FIXTURES
from tests.e2e.harness import make_request, run_to_completion
from tests.e2e.test_claude_pipeline import assert_cost_is_billed, claude_services, scripted_spec
from tests.e2e.test_pipeline import assert_exactly_once
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.outputs.conftest import engine_args, read_jsonl

pytestmark = [pytest.mark.e2e, pytest.mark.engines, pytest.mark.slow]
PARENTS = FIXTURES / "evolution" / "parents.jsonl"
KEY = "sk-ant-test-key"


def test_evolve_with_claude_words_and_bills_the_evolved_samples(
    stack: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(PARENTS, run / "dataset.jsonl")
    out = run / "evolved"
    scripted = ScriptedModel(evolve_refusal_rate=0.15, malformed_rate=0.2)
    with FakeAnthropic(scripted, FakeConfig(seed=7)) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("SQLSYNTH_LLM_TIMEOUT_S", "30")
        args = ["evolve", str(run), "--rounds", "2", "--llm", "claude", "--feasibility", "model"]
        result = CliRunner().invoke(cli, [*args, "--out", str(out), "--json", *engine_args(stack)])
        answered = [c for c in fake.calls if c.path == "/v1/messages" and c.status == 200]
        assert not fake.state.violations
    assert result.exit_code == 0, result.output
    assert "LLM (claude" in result.output

    summary = json.loads((out / "summary.json").read_text())
    llm = summary["llm"]
    assert summary["feasibility"] == "model" and llm["engine"] == "claude"
    # The ledger is what the server answered; scoring and rewriting are both in it.
    assert llm["calls"] == len(answered)
    assert set(llm["by_purpose"]) == {"evolve_score", "evolve_question"}
    for r in summary["rounds"]:
        assert r["feasibility_scored_by"].get("model", 0) > 0, r
    assert scripted.refused > 0 and scripted.broken["malformed"] > 0

    # Every evolved sample (accepted, duplicate or rejected) carries what its calls cost; with
    # the parents' scoring calls that gave no sample, that is the whole bill.
    records = read_jsonl(out / "dataset.jsonl")
    others = read_jsonl(out / "duplicates.jsonl") + read_jsonl(out / "rejected.jsonl")
    on_samples = sum(r["cost"]["usd"] for r in records) + sum(
        o["envelope"]["cost"]["usd"] for o in others
    )
    assert abs(on_samples + llm["usd_on_no_record"] - llm["usd"]) < 1e-6

    parents = {json.loads(line)["id"] for line in PARENTS.open()}
    ids = {r["id"] for r in records}
    by_model = [r for r in records if r["properties"]["properties"].get(WORDING_PROPERTY)]
    assert by_model, "no accepted evolution was worded by the model"
    for record in by_model:
        assert record["sql_prompt"] in scripted.evolved_questions
        assert record["reasoning"].startswith("question by claude:")
        assert record["cost"]["calls"] >= 1 and record["cost"]["usd"] > 0
    for record in records:
        assert record["parent_id"] in parents | ids
        depth = evolution_rounds(records)[record["id"]]
        assert depth == (1 if record["parent_id"] in parents else 2)
        assert depth <= len(record["evolution"]) <= 2 * depth
        validation = record["validation"]
        assert all(c["ok"] for c in validation["checks"]) and validation["results_agree"]
        assert {c["engine"] for c in validation["checks"]} == {"sqlite", "postgres", "mysql"}
        assert not [f for f in validation["sense"]["findings"] if f["severity"] == "error"]
    # A refused or broken answer left the offline question, and the history says why.
    envelopes = [o["envelope"] for o in others]
    notes = [
        r["reasoning"] for r in records if not r["properties"]["properties"].get(WORDING_PROPERTY)
    ]
    notes += [h["reason"] for e in envelopes for h in e["history"] if h["stage"] == "generator"]
    notes += [(e.get("draft") or {}).get("reasoning") for e in envelopes]
    # Which prompts the scripted model refuses follows from their text, and which evolutions
    # are drafted varies with the order the trial runs finish (relatives are compared): a run
    # whose refusals all fell on the operator scores has no question worded offline.
    if scripted.refused_by["submit_evolved_question"]:
        assert any("question worded offline" in (n or "") for n in notes), scripted.refused_by

    growth = compute_growth(run, None, [DatasetRecord(id=p, sql="SELECT 1") for p in parents])
    assert growth is not None
    sources = growth["evolution"]["sources"]
    assert sources["evolved"]["accepted"] == len(records)
    assert sources["evolved"]["usd"] == round(llm["usd"], 6)
    assert sources["questions_worded"].get("claude", 0) >= len(by_model)


def test_a_claude_run_evolves_with_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sqlsynth run --evolve-rounds N` on a Claude run (write_outputs with the run's generator):
    the evolution rewrites with the same engine and scores the operators with it, and prints
    its cost (SQLite only: the three engines are the test above's)."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(PARENTS, run / "dataset.jsonl")
    console = Console(file=io.StringIO(), width=200)
    with FakeAnthropic(ScriptedModel(), FakeConfig()) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        write_outputs(run, console, engines=[Engine.SQLITE], evolve_rounds=1, generator="claude")
        answered = [c for c in fake.calls if c.path == "/v1/messages" and c.status == 200]
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    summary = json.loads((run / "evolved" / "summary.json").read_text())
    assert summary["feasibility"] == "model" and summary["llm"]["calls"] == len(answered) > 0
    assert f"LLM (claude {summary['llm']['model']}): {len(answered)} calls" in printed
    # Every drafted evolution, kept or not: the scripted model words an evolution as its parent's
    # question plus one clause, which the dedup service may judge a near-duplicate of the parent
    # (a real model rewrites the question); the wiring is what this test checks.
    records = read_jsonl(run / "evolved" / "dataset.jsonl")
    others = read_jsonl(run / "evolved" / "duplicates.jsonl")
    others += read_jsonl(run / "evolved" / "rejected.jsonl")
    wordings = [r["properties"]["properties"].get(WORDING_PROPERTY) for r in records]
    wordings += [o["envelope"]["blueprint"]["properties"].get(WORDING_PROPERTY) for o in others]
    assert "claude" in wordings, wordings


async def test_evolve_share_on_a_claude_run_words_evolutions_with_claude(
    stack: LocalStack, tmp_path: Path
) -> None:
    """`--evolve-share` as services on real NATS with the Claude generator: the generator applies
    the planner's operator and the run's Claude engine rewrites the question; every planned
    sample ends once and every call the server billed is on exactly one envelope."""
    scripted = ScriptedModel(use_tools_rate=0.0)
    with FakeAnthropic(scripted, FakeConfig(keep_bodies=True)) as fake:
        with claude_services(stack, tmp_path, fake) as services:
            request = make_request(
                10,
                seed=3,
                spec=scripted_spec(),
                generator="claude",
                expand_ratio=1.0,
                round_size=4,
                evolve_share=1.0,
            )
            output = await run_to_completion(stack, services, request, tmp_path, timeout_s=300)
        assert_exactly_once(output)
        assert_cost_is_billed(output, fake)
    rows = [
        (r.get("properties") or r["envelope"]["blueprint"], r)
        for name in ("dataset.jsonl", "duplicates.jsonl", "rejected.jsonl")
        for r in output.records(name)
    ]
    evolved = [(bp, r) for bp, r in rows if bp.get("seed_mode") == "evolve"]
    assert evolved, "the planner planned no evolution"
    worded = [(bp, r) for bp, r in evolved if bp["properties"].get(WORDING_PROPERTY) == "claude"]
    assert worded, [r.get("reason") for _, r in evolved]
    for blueprint, row in worded:
        draft = row.get("envelope", {}).get("draft") or {}
        question = row.get("sql_prompt") or draft.get("question")
        assert question in scripted.evolved_questions
        cost = row.get("cost") or row["envelope"]["cost"]
        assert cost["calls"] >= 1 and cost["usd"] > 0
        assert blueprint["parent_id"] and len(blueprint["evolution"]) >= 1
