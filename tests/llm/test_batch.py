"""Bulk mode on the Message Batches API: one batch per section, results mapped back by sample,
batch prices, retries of provider-failed requests, and resuming after a crash."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from shared.generation.claude.batch import BatchDraftGenerator
from shared.generation.claude.engine import build_claude_engine
from shared.generation.claude.generator import SECTIONS
from shared.generation.claude.tools import run_on_sqlite
from shared.llm.batches import BatchRunner
from shared.llm.pricing import PriceBook
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import anthropic_client, blueprints, make_settings, sample_draft


def items(n: int) -> list[tuple[str, Any, int]]:
    return [(f"s{i}", bp, 500 + i) for i, bp in enumerate(blueprints(n, seed=13))]


async def test_batch_run_maps_results_back_at_half_price(tmp_path: Path) -> None:
    with FakeAnthropic(ScriptedModel(), FakeConfig(batch_delay_s=0.05)) as fake:
        claude = build_claude_engine(make_settings(fake))
        runner = BatchRunner(anthropic_client(claude), tmp_path, poll_s=0.02)
        failures = {"s2": "overloaded_error"}  # the provider fails s2 once in the first round
        fake.batches.error_fn = lambda cid, params: failures.pop(cid, None)
        outcomes = await BatchDraftGenerator(claude, runner).generate_many("job", items(5))
        assert sorted(outcomes) == [f"s{i}" for i in range(5)]
        for key, blueprint, _ in items(5):
            outcome = outcomes[key]
            assert outcome.error is None and outcome.draft is not None
            assert outcome.draft.domain == blueprint.domain
            assert "ERROR" not in run_on_sqlite(
                outcome.draft.schema_ddl, outcome.draft.rows, outcome.draft.sql
            )
            assert outcome.cost.calls == len(SECTIONS)
        assert fake.batches.created == len(SECTIONS) + 1  # one retry batch for s2
        billed = fake.billed()
        total = claude.client.ledger.total
        assert billed["calls"] == total.calls == 5 * len(SECTIONS)
        price = PriceBook().price("claude-haiku-5-5")
        full = (
            billed["input_tokens"] * price.input
            + billed["output_tokens"] * price.output
            + billed["cache_creation_input_tokens"] * price.cache_write_5m
            + billed["cache_read_input_tokens"] * price.cache_read
        ) / 1e6
        assert total.usd == pytest.approx(full / 2)
        assert sum(o.cost.usd for o in outcomes.values()) == pytest.approx(total.usd)
        await claude.aclose()


async def test_a_request_the_batch_rejects_ends_only_that_sample(tmp_path: Path) -> None:
    with FakeAnthropic(ScriptedModel(), FakeConfig(batch_delay_s=0.02)) as fake:
        claude = build_claude_engine(make_settings(fake))
        fake.batches.error_fn = lambda cid, params: "invalid_request_error" if cid == "s1" else None
        runner = BatchRunner(anthropic_client(claude), tmp_path, poll_s=0.02)
        outcomes = await BatchDraftGenerator(claude, runner).generate_many("bad", items(3))
        assert outcomes["s1"].draft is None and "invalid_request_error" in str(outcomes["s1"].error)
        assert outcomes["s0"].draft is not None and outcomes["s2"].draft is not None
        await claude.aclose()


async def test_a_crashed_job_resumes_without_resubmitting(tmp_path: Path) -> None:
    with FakeAnthropic(ScriptedModel(), FakeConfig(batch_delay_s=0.6)) as fake:
        claude = build_claude_engine(make_settings(fake))
        first = BatchDraftGenerator(
            claude, BatchRunner(anthropic_client(claude), tmp_path, poll_s=0.05)
        )
        job = asyncio.create_task(first.generate_many("resume", items(3)))
        state = tmp_path / "resume-query.batch.json"
        while not state.exists():  # the second round is submitted, recorded and running
            await asyncio.sleep(0.01)
        job.cancel()  # the process "dies" while polling
        with pytest.raises(asyncio.CancelledError):
            await job
        assert fake.batches.created == 2
        second = BatchDraftGenerator(
            claude, BatchRunner(anthropic_client(claude), tmp_path, poll_s=0.05)
        )
        outcomes = await second.generate_many("resume", items(3))
        assert all(o.draft is not None for o in outcomes.values())
        assert fake.batches.created == len(SECTIONS)  # the interrupted round was not resent
        await claude.aclose()


async def test_failing_queries_get_one_fix_round_with_the_error(tmp_path: Path) -> None:
    """Batch parity with the online agent tools: every submitted query runs on its sample's data;
    the failing ones (here: all, a misspelt column) get one more round with the error."""
    scripted = ScriptedModel(wrong_sql_rate=1.0, use_tools_rate=0.0)
    with FakeAnthropic(scripted, FakeConfig(batch_delay_s=0.02, keep_bodies=True)) as fake:
        claude = build_claude_engine(make_settings(fake))
        runner = BatchRunner(anthropic_client(claude), tmp_path, poll_s=0.02)
        outcomes = await BatchDraftGenerator(claude, runner).generate_many("fix", items(3))
        await claude.aclose()
    assert fake.batches.created == len(SECTIONS) + 1  # design, query, fix
    for outcome in outcomes.values():
        assert outcome.draft is not None and outcome.cost.calls == len(SECTIONS) + 1
        assert "ERROR" not in run_on_sqlite(
            outcome.draft.schema_ddl, outcome.draft.rows, outcome.draft.sql
        )
    assert fake.state.violations == []  # the fix requests answer the submit call properly


async def test_a_seed_schema_is_not_asked_again_in_a_batch(tmp_path: Path) -> None:
    with FakeAnthropic(ScriptedModel(), FakeConfig(batch_delay_s=0.02)) as fake:
        claude = build_claude_engine(make_settings(fake))
        runner = BatchRunner(anthropic_client(claude), tmp_path, poll_s=0.02)
        key, blueprint, seed = items(1)[0]
        given = sample_draft(blueprint).schema_ddl
        seeded = blueprint.model_copy(update={"seed_schema": given})
        outcomes = await BatchDraftGenerator(claude, runner).generate_many(
            "seeded", [(key, seeded, seed)]
        )
        await claude.aclose()
    draft = outcomes[key].draft
    assert draft is not None and draft.schema_ddl == given
