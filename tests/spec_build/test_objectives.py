"""DataFramer's six objectives turned into spec edits by a scripted Claude (the fake Messages API):
one call, edits applied and explained, the result valid; a failed validation goes back once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from services.cli.main import cli
from shared.spec import Spec, build_spec, expected_distribution, validate_spec
from shared.spec.objectives import TOOL_NAME
from tests.fakes.llm import FakeAnthropic, FakeConfig, ModelTurn

KEY = "sk-ant-test-key"
# DataFramer: "Here's what we wrote in DataFramer's Generation Objectives field".
SIX_BULLETS = """\
Generally include advanced SQL features with somewhat greater prevalence than in seed data.
Prompts should have much greater diversity across styles: direct questions, imperatives,
conversational, terse/keyword-style, complex multi-part ("Find X and also show Y grouped by Z"),
informal/ambiguous with vague terms like "recent"/"top"/"best".
Increase frequency of multiple joins, CTEs, set operations a bit. Conditional on query using
joins, at least 10% of such samples should have left/right/cross joins.
More samples with 3-5 tables compared with seed data, also have a bit more columns on average.
We don't need data definition type queries, but include all other types.
A bit more foreign/primary keys in tables.
"""


def shares(**values: float) -> list[dict[str, Any]]:
    return [{"value": k, "probability": p} for k, p in values.items()]


def bernoulli_by_level(easy: float, medium: float, hard: float) -> list[dict[str, Any]]:
    return [
        {"when": ["easy"], "bernoulli": easy},
        {"when": ["medium"], "bernoulli": medium},
        {"when": ["hard"], "bernoulli": hard},
    ]


JOIN_BRANCHES = [
    {"when": ["1"], "values": shares(none=1.0)},
    {"when": ["2"], "values": shares(inner=0.75, left=0.18, cross=0.07)},
    {"when": ["3"], "values": shares(inner=0.65, left=0.25, cross=0.10)},
    {"when": ["*"], "values": shares(inner=0.60, left=0.30, cross=0.10)},
]
TABLE_BRANCHES = [
    {"when": ["easy"], "values": shares(**{"1": 1.0})},
    {
        "when": ["medium"],
        "values": shares(**{"1": 0.3, "2": 0.35, "3": 0.22, "4": 0.09, "5": 0.04}),
    },
    {"when": ["hard"], "values": shares(**{"1": 0.1, "2": 0.25, "3": 0.3, "4": 0.2, "5": 0.15})},
]
STYLES = shares(
    direct_question=0.18,
    imperative=0.18,
    conversational=0.16,
    terse_keyword=0.16,
    complex_multi_part=0.16,
    informal_ambiguous=0.16,
)


def edit(op: str, target: str, why: str, **body: Any) -> dict[str, Any]:
    return {"op": op, "target": target, "why": why, **body}


EDITS = [
    edit(
        "set_distribution",
        "complexity",
        "advanced features somewhat more than the seeds: hard 3% -> 30%",
        values=shares(easy=0.2, medium=0.5, hard=0.3),
    ),
    edit(
        "set_distribution",
        "prompt_style",
        "much greater diversity: the six styles near even",
        values=STYLES,
    ),
    edit(
        "set_distribution",
        "uses_cte",
        "CTEs a bit more often",
        depends_on=["complexity"],
        branches=bernoulli_by_level(0.0, 0.03, 0.2),
    ),
    edit(
        "set_distribution",
        "uses_set_operation",
        "set operations a bit more often",
        depends_on=["complexity"],
        branches=bernoulli_by_level(0.0, 0.02, 0.15),
    ),
    edit(
        "add_conditional",
        "join_kind",
        "at least 10% left/cross among joined queries, more "
        "with more tables (RIGHT stays out for portability)",
        depends_on=["num_tables"],
        branches=JOIN_BRANCHES,
    ),
    edit(
        "set_distribution",
        "num_tables",
        "more samples with 3-5 tables",
        depends_on=["complexity"],
        branches=TABLE_BRANCHES,
    ),
    edit("set_distribution", "declares_primary_keys", "a bit more primary keys", bernoulli=0.5),
    edit(
        "set_distribution",
        "columns_per_table",
        "a bit more columns on average",
        range={"min": 2, "max": 12, "distribution": "normal", "mean": 5, "std": 2},
    ),
]
REASONING = "Six objectives; DDL is already excluded, so no edit for it."


def answer(edits: list[dict[str, Any]]) -> ModelTurn:
    block = {
        "type": "tool_use",
        "name": TOOL_NAME,
        "input": {"reasoning": REASONING, "edits": edits},
    }
    return ModelTurn(content=[block], stop_reason="tool_use")


def is_correction(body: dict[str, Any]) -> bool:
    return len(body["messages"]) > 1


@pytest.fixture
def serve(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[Callable[..., ModelTurn]], FakeAnthropic]]:
    servers: list[FakeAnthropic] = []

    def start(responder: Callable[[dict[str, Any]], ModelTurn]) -> FakeAnthropic:
        server = FakeAnthropic(responder, FakeConfig(keep_bodies=True)).start()
        servers.append(server)
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.delenv("SQLSYNTH_LLM_API_KEY", raising=False)
        return server

    yield start
    for server in servers:
        server.stop()


def run_spec(gretel_path: Path, tmp_path: Path) -> tuple[Any, Path]:
    objectives = tmp_path / "objectives.txt"
    objectives.write_text(SIX_BULLETS, encoding="utf-8")
    out = tmp_path / "spec.yaml"
    args = ["spec", "--seeds", str(gretel_path), "--objectives", str(objectives), "--out", str(out)]
    return CliRunner().invoke(cli, args), out


def joined_non_inner(spec: Spec) -> float:
    joins = expected_distribution(spec, "join_kind")
    joined = 1.0 - joins.get("none", 0.0)
    return (joined - joins.get("inner", 0.0)) / joined


def test_six_objectives_become_a_valid_explained_spec(
    serve: Callable[..., FakeAnthropic], gretel_path: Path, tmp_path: Path
) -> None:
    fake = serve(lambda body: answer(EDITS))
    result, out = run_spec(gretel_path, tmp_path)
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert validate_spec(document) == []
    spec = build_spec(document)
    assert joined_non_inner(spec) >= 0.10
    tables = expected_distribution(spec, "num_tables")
    assert sum(tables.get(n, 0.0) for n in (3, 4, 5)) > 0.15  # the seeds have 2.8%
    assert expected_distribution(spec, "prompt_style")["conversational"] == pytest.approx(0.16)
    # Each change is printed with its explanation and kept in the YAML.
    for item in EDITS:
        assert f"- {item['op']} {item['target']}: {item['why']}" in result.stderr.replace("\n", " ")
    assert "num_tables=2: p(inner)" in result.stderr
    join = next(p for p in document["properties"] if p["name"] == "join_kind")
    assert join["evidence"]["objectives"] == [EDITS[4]["why"]]
    # One call, structured output forced through the tool, the system prompt cached.
    calls = fake.calls
    assert len(calls) == 1 and calls[0].tool_choice == TOOL_NAME
    body = calls[0].body
    assert body is not None and body["system"][0]["cache_control"]["type"] == "ephemeral"
    assert "at least 10% of such samples" in body["messages"][0]["content"][0]["text"]


def test_invalid_edits_go_back_once_for_a_fix(
    serve: Callable[..., FakeAnthropic], gretel_path: Path, tmp_path: Path
) -> None:
    incomplete = [dict(e) for e in EDITS]
    incomplete[4] = {**EDITS[4], "branches": JOIN_BRANCHES[:2]}  # no branch for 3+ tables

    def responder(body: dict[str, Any]) -> ModelTurn:
        if is_correction(body):
            return answer([EDITS[4]])
        return answer(incomplete)

    fake = serve(responder)
    result, out = run_spec(gretel_path, tmp_path)
    assert result.exit_code == 0, result.output
    assert validate_spec(yaml.safe_load(out.read_text(encoding="utf-8"))) == []
    calls = fake.calls
    assert len(calls) == 2
    feedback = calls[1].body["messages"][-1]["content"][0] if calls[1].body else {}
    assert feedback["type"] == "tool_result" and feedback["is_error"] is True
    assert "no distribution for num_tables=3" in feedback["content"]
    assert "2 call round(s)" in result.stderr


def test_still_invalid_after_the_fix_writes_nothing(
    serve: Callable[..., FakeAnthropic], gretel_path: Path, tmp_path: Path
) -> None:
    broken = [edit("set_distribution", "complexity", "why not", values=shares(easy=0.5, hard=0.2))]
    fake = serve(lambda body: answer(broken))
    result, out = run_spec(gretel_path, tmp_path)
    assert result.exit_code == 1
    assert "still invalid after one correction" in result.output
    assert "sum to 0.7" in result.output
    assert not out.exists()
    assert len(fake.calls) == 2
