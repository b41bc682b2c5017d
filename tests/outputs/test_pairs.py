"""Preference pairs: offline mistakes and a weak model, judged on the three real engines."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import datasets
import pytest
from click.testing import CliRunner

from proto.common import Engine
from services.cli.main import cli
from shared.engines.fixture import Fixture
from shared.engines.validator import Validator
from shared.export.writer import export_run
from shared.llm.client import LlmClient
from shared.llm.settings import LlmSettings
from shared.pairs.build import PairBuilder, PairPlan
from shared.pairs.mutations import ErrorKind
from shared.pairs.weak_model import WeakModel
from shared.runtime.local import LocalStack
from tests.fakes.llm import FakeAnthropic, ModelTurn
from tests.outputs.conftest import engine_args, read_jsonl

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def pairs_file(run_dir: Path, stack: LocalStack) -> Path:
    result = CliRunner().invoke(cli, ["pairs", str(run_dir), "--json", *engine_args(stack)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["records_with_pairs"] >= summary["records"] * 0.8
    return run_dir / "preferences.jsonl"


async def test_every_rejected_sql_differs_in_result_on_every_engine(
    pairs_file: Path, run_dir: Path, validator: Validator
) -> None:
    loaded = datasets.load_dataset("json", data_files=str(pairs_file), split="train")
    # TRL's DPO trainer, standard format: string prompt, chosen and rejected.
    assert {"prompt", "chosen", "rejected"} <= set(loaded.column_names)
    records = {r["id"]: r for r in read_jsonl(run_dir / "dataset.jsonl")}
    kinds = Counter(loaded["error_kind"])
    assert len(kinds) >= 4, kinds  # several kinds of mistakes, not one
    for pair in loaded:
        assert isinstance(pair["prompt"], str) and pair["chosen"] != pair["rejected"]
        record: dict[str, Any] = records[pair["id"]]
        assert record["sql_prompt"] in pair["prompt"]
        assert pair["chosen_sql"] in pair["chosen"] and pair["rejected_sql"] in pair["rejected"]
        fixture = Fixture(record["sql_context"], dialect=Engine.SQLITE)
        gold, _ = await validator.validate(fixture, pair["chosen_sql"], allow_writes=True)
        wrong, _ = await validator.validate(fixture, pair["rejected_sql"], allow_writes=True)
        gold_digests = {c.engine: c.digest for c in gold.checks}
        assert all(c.ok for c in gold.checks)
        for check in wrong.checks:
            assert not check.ok or check.digest != gold_digests[check.engine], pair


def test_export_adds_the_dpo_view_in_the_records_splits(pairs_file: Path, tmp_path: Path) -> None:
    out = export_run(pairs_file.parent, tmp_path / "export").out_dir
    dpo = datasets.load_dataset(str(out), "dpo")
    records = datasets.load_dataset(str(out))
    for split in ("train", "validation", "test"):
        assert set(dpo[split]["id"]) <= set(records[split]["id"])
    assert sum(dpo[s].num_rows for s in dpo) == len(read_jsonl(pairs_file))


def first_table(prompt: str) -> str:
    match = re.search(r"CREATE TABLE (\w+)", prompt)
    assert match, prompt
    return match.group(1)


async def test_a_weak_model_behind_the_same_interface(run_dir: Path, validator: Validator) -> None:
    """A scripted weak model answers with a plausible but wrong query (a count of the first
    table) in half its answers and with no SQL in the other half."""
    answers = 0

    def respond(body: dict[str, Any]) -> ModelTurn:
        nonlocal answers
        answers += 1
        prompt = body["messages"][0]["content"]
        if answers % 2:
            text = f"Here you go:\n```sql\nSELECT COUNT(*) FROM {first_table(prompt)}\n```"
        else:
            text = "I am not sure which table holds that."
        return ModelTurn([{"type": "text", "text": text}])

    rows = read_jsonl(run_dir / "dataset.jsonl")[:4]
    with FakeAnthropic(respond) as fake:
        settings = LlmSettings(
            api_key="sk-ant-test-key", base_url=fake.base_url, model="claude-haiku-4-5"
        )
        client = LlmClient(settings)
        try:
            weak = WeakModel(client, samples=2)
            builder = PairBuilder(validator, [weak], PairPlan(pairs_per_record=2))
            pairs = await builder.build(rows)
        finally:
            await client.aclose()
    assert answers == 8 and len(fake.state.calls) == 8
    assert pairs and all(p["error_kind"] == ErrorKind.WEAK_MODEL.value for p in pairs)
    assert all(p["source"] == "weak:claude-haiku-4-5" for p in pairs)
    assert all(p["rejected_sql"].startswith("SELECT COUNT(*) FROM") for p in pairs)
    assert client.ledger.by_purpose["weak_candidate"].calls == 8  # priced like every call
