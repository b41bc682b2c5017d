"""Benchmark of the Claude path against the fake Messages API at realistic latency.

    python -m bench.llm [--samples 64] [--concurrency 16] [--latency 1,3] [--capacity N]
                        [--provider claude|openai]

Each sample goes through a small in-process pipeline: generate (outline + five sections, agent
tools allowed), validate on SQLite (runs, non-empty), review by the judge, and on any failure a
repair and another round (3 attempts, as the default run request). A 429/529 is a delayed
redelivery, as the services do. The scripted model is imperfect on purpose (some wrong first
SQL, some objections from the judge), so calls per accepted sample include repairs.

Measured: accepted samples per minute against the ceiling the concurrency limit allows
(limit x 60 / mean latency / calls per accepted), calls and input / output / cache-write /
cache-read tokens per accepted sample (prompt sizes are real; answers are scripted), and the
dollar cost per 1,000 accepted samples at Haiku prices, online and with the Batches API (-50%).
`--provider openai`: the same engine through the `openai` SDK against the fake Chat Completions
API (tests.fakes.openai_api; gpt-4o-mini prices, OpenAI's automatic prefix caching; no
`--capacity` there and no batch figure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from proto.common import Engine, Level
from proto.sample import (
    Blueprint,
    EngineCheck,
    ErrorClass,
    Feedback,
    SampleEnvelope,
    TokenCost,
    Validation,
)
from shared.errors import GenerationError, RateLimited
from shared.generation.claude.engine import (
    ClaudeDraftEngine,
    build_claude_engine,
    build_openai_engine,
)
from shared.generation.claude.tools import run_on_sqlite
from shared.llm.errors import MalformedOutput
from shared.llm.ledger import per_accepted
from shared.llm.openai_settings import OpenAiSettings
from shared.llm.pricing import PriceBook
from shared.llm.settings import LlmSettings
from shared.spec import BlueprintSampler, load_spec
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.openai_api import ChatFakeConfig, FakeOpenAI
from tests.fakes.scripted import ScriptedModel

KEY = "sk-ant-bench"
T = TypeVar("T")
MAX_ATTEMPTS = 3


@dataclass
class Tally:
    accepted: int = 0
    rejected: int = 0
    naks: int = 0
    repairs: int = 0
    # Samples rejected because an answer stayed malformed or cut off after its retries.
    lost_to_malformed: int = 0
    disagreements: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    cost: TokenCost = field(default_factory=TokenCost)

    def reject(self, reason: str) -> None:
        self.rejected += 1
        key = reason.split(":")[0][:60]
        self.reasons[key] = self.reasons.get(key, 0) + 1


def check_on_sqlite(envelope: SampleEnvelope) -> list[Feedback]:
    """A stand-in for the validator: the draft must run on SQLite and return rows."""
    draft = envelope.draft
    assert draft is not None
    result = run_on_sqlite(draft.schema_ddl, draft.rows, draft.sql)
    ok = "ERROR" not in result and "fail before" not in result
    rows = 0 if not ok else (0 if result.startswith("sqlite: 0 rows") else 1)
    envelope.validation = Validation(
        checks=[
            EngineCheck(
                engine=Engine.SQLITE,
                level=Level.FULL,
                ok=ok,
                row_count=rows,
                message=None if ok else result,
            )
        ],
        non_empty=bool(rows) if ok else None,
    )
    if not ok:
        return [Feedback(error_class=ErrorClass.QUERY, message=result, engine=Engine.SQLITE)]
    if not rows:
        return [Feedback(error_class=ErrorClass.EMPTY_RESULT, message="the query returns no rows")]
    return []


async def retrying(call: Callable[[], Awaitable[T]], tally: Tally) -> T:
    """Delayed redelivery on a rate limit, as the services' delivery policy does."""
    while True:
        try:
            return await call()
        except RateLimited as exc:
            tally.naks += 1
            await asyncio.sleep(getattr(exc, "retry_after_s", None) or 1.0)


async def run_sample(
    claude: ClaudeDraftEngine, blueprint: Blueprint, index: int, tally: Tally
) -> None:
    envelope = SampleEnvelope(run_id="bench", sample_id=f"s{index}", blueprint=blueprint)
    try:
        draft, cost = await retrying(lambda: claude.generate(blueprint, seed=index), tally)
    except GenerationError as exc:
        tally.cost = tally.cost.add(getattr(exc, "cost", TokenCost()))
        tally.lost_to_malformed += isinstance(exc, MalformedOutput)
        tally.reject(str(exc))
        return
    envelope.draft, envelope.cost = draft, cost
    while True:
        feedback = check_on_sqlite(envelope)
        if not feedback:
            try:
                review, cost = await retrying(lambda: claude.review(envelope), tally)
            except GenerationError as exc:
                # The reviser keeps the rules' verdict when the judge fails (review_sample).
                envelope.cost = envelope.cost.add(getattr(exc, "cost", TokenCost()))
                tally.accepted += 1
                break
            envelope.cost = envelope.cost.add(cost)
            tally.disagreements += review.agreement == "disagree"
            if review.verdict == "pass":
                tally.accepted += 1
                break
            feedback = [Feedback(error_class=ErrorClass.REVIEW, message=r) for r in review.reasons]
        if envelope.attempt >= MAX_ATTEMPTS:
            tally.reject(f"still failing: {feedback[0].error_class.value}")
            break
        envelope.attempt += 1
        tally.repairs += 1
        current = envelope.draft
        try:
            repair = partial(claude.repair, blueprint, current, feedback, seed=index * 10 + 1)
            repaired, cost = await retrying(repair, tally)
        except GenerationError as exc:
            envelope.cost = envelope.cost.add(getattr(exc, "cost", TokenCost()))
            tally.lost_to_malformed += isinstance(exc, MalformedOutput)
            tally.reject(f"repair impossible: {exc}")
            break
        envelope.draft, envelope.cost = repaired, envelope.cost.add(cost)
    tally.cost = tally.cost.add(envelope.cost)


async def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    low, high = (float(x) for x in args.latency.split(","))
    scripted = ScriptedModel(
        wrong_sql_rate=args.wrong_sql,
        use_tools_rate=args.use_tools,
        review_fail_rate=args.review_fail,
        drift_rate=args.drift,
        truncated_rate=args.truncated,
        malformed_rate=args.malformed,
    )
    config = FakeConfig(
        api_keys=frozenset({KEY}), latency_s=(low, high), capacity=args.capacity, seed=args.seed
    )
    sampler = BlueprintSampler(load_spec(None), seed=args.seed)
    blueprints = [sampler.draw_at(i) for i in range(args.samples)]
    server = (
        FakeOpenAI(
            scripted,
            ChatFakeConfig(api_keys=frozenset({KEY}), latency_s=(low, high), seed=args.seed),
        )
        if args.provider == "openai"
        else FakeAnthropic(scripted, config)
    )
    with server as fake:
        settings = LlmSettings(
            api_key=KEY,
            base_url=fake.base_url,
            model=args.model,
            concurrency_initial=args.concurrency,
            concurrency_max=args.concurrency,
            timeout_s=60,
        )
        if args.provider == "openai":
            endpoint = OpenAiSettings(api_key=KEY, base_url=fake.base_url, model=args.model)
            claude = build_openai_engine(settings, endpoint)
        else:
            claude = build_claude_engine(settings)
        tally = Tally()
        # Twice the limit in samples at once: enough work queued to keep every slot busy.
        gate = asyncio.Semaphore(args.concurrency * 2)

        async def one(i: int, blueprint: Blueprint) -> None:
            async with gate:
                await run_sample(claude, blueprint, i, tally)

        started = time.perf_counter()
        await asyncio.gather(*(one(i, bp) for i, bp in enumerate(blueprints)))
        elapsed = time.perf_counter() - started
        every = fake.calls
        calls = [c for c in every if c.status == 200]
        ledger = claude.client.ledger
        trace = list(claude.client.limiter.trace)
        limiter = {
            "http_429": sum(1 for c in every if c.status == 429),
            "decreases": sum(1 for e in trace if e.kind == "decrease"),
            "increases": sum(1 for e in trace if e.kind == "increase"),
            "min_limit": round(min((e.limit for e in trace), default=args.concurrency), 2),
            "final_limit": round(claude.client.limiter.limit, 2),
            "memo_hits": claude.runner.memo.hits,
        }
        await claude.aclose()
    mean_latency = sum(c.ended - c.started for c in calls) / max(len(calls), 1)
    unit = per_accepted(ledger.total, tally.accepted)
    # The ceiling: calls in flight allowed by our limit, or by the provider if it is lower.
    slots = min(args.concurrency, args.capacity or args.concurrency)
    call_ceiling_per_min = slots * 60 / mean_latency
    accepted_per_min = tally.accepted * 60 / elapsed
    accepted_ceiling = call_ceiling_per_min / max(unit.calls, 1e-9)
    total = ledger.total
    prompt_tokens = (
        total.input_tokens + total.cache_creation_input_tokens + total.cache_read_input_tokens
    )
    book = PriceBook()
    haiku_now = ledger.total.usd / max(tally.accepted, 1) * 1000
    haiku45 = (
        sum(book.cost("claude-haiku-4-5", _Usage(c.usage or {})).usd for c in calls)
        / max(tally.accepted, 1)
        * 1000
    )
    dollars = {
        f"{args.model} online": round(haiku_now, 3),
        f"{args.model} batch (-50%)": round(haiku_now / 2, 3),
        "claude-haiku-4-5 online": round(haiku45, 3),
        "claude-haiku-4-5 batch (-50%)": round(haiku45 / 2, 3),
    }
    if args.provider == "openai":  # no batch path; the fake's usage is in chat terms
        dollars = {f"{args.model} online": round(haiku_now, 3)}
    return {
        "command": "python -m bench llm " + " ".join(args.argv),
        "samples": args.samples,
        "concurrency_limit": args.concurrency,
        "provider_capacity": args.capacity,
        "latency_s": [low, high],
        "mean_call_latency_s": round(mean_latency, 3),
        "elapsed_s": round(elapsed, 1),
        "accepted": tally.accepted,
        "rejected": tally.rejected,
        "rejection_reasons": tally.reasons,
        "repairs": tally.repairs,
        "judge_disagreements": tally.disagreements,
        "lost_to_malformed": tally.lost_to_malformed,
        "answer_retries": tally.cost.answer_retries,
        "broken_first_answers": dict(scripted.broken),
        "error_rates": {
            "wrong_sql": args.wrong_sql,
            "use_tools": args.use_tools,
            "review_fail": args.review_fail,
            "drift": args.drift,
            "truncated": args.truncated,
            "malformed": args.malformed,
        },
        "cache_hit_share": round(total.cache_read_input_tokens / max(prompt_tokens, 1), 4),
        "tokens_per_1000_accepted": {
            k: round(getattr(total, k) / max(tally.accepted, 1) * 1000)
            for k in (
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            )
        },
        "rate_limit_naks": tally.naks,
        "accepted_per_min": round(accepted_per_min, 2),
        "accepted_per_min_ceiling": round(accepted_ceiling, 2),
        "fraction_of_ceiling": round(accepted_per_min / accepted_ceiling, 3),
        "calls_per_min": round(len(calls) * 60 / elapsed, 1),
        "calls_per_min_ceiling": round(call_ceiling_per_min, 1),
        "per_accepted": {k: round(v, 6) for k, v in unit.as_dict().items()},
        "calls_by_purpose": {k: v.calls for k, v in sorted(ledger.by_purpose.items())},
        "limiter": limiter,
        "provider": args.provider,
        "usd_per_1000_accepted": dollars,
    }


@dataclass
class _Usage:
    raw: dict[str, int]

    @property
    def input_tokens(self) -> int:
        return self.raw.get("input_tokens", 0)

    @property
    def output_tokens(self) -> int:
        return self.raw.get("output_tokens", 0)

    @property
    def cache_creation_input_tokens(self) -> int:
        return self.raw.get("cache_creation_input_tokens", 0)

    @property
    def cache_read_input_tokens(self) -> int:
        return self.raw.get("cache_read_input_tokens", 0)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.llm", description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", default="1,3", help="seconds per call, uniform: low,high")
    parser.add_argument(
        "--capacity",
        type=int,
        default=None,
        help="provider-side limit: calls beyond it get 429 (a storm)",
    )
    parser.add_argument("--provider", choices=("claude", "openai"), default="claude")
    parser.add_argument("--model", default=None, help="claude-haiku-5-5 / gpt-4o-mini")
    parser.add_argument("--wrong-sql", type=float, default=0.15)
    parser.add_argument("--use-tools", type=float, default=0.5)
    parser.add_argument("--review-fail", type=float, default=0.05)
    parser.add_argument(
        "--drift", type=float, default=0.0, help="SQL that runs but misreads its question"
    )
    parser.add_argument("--truncated", type=float, default=0.05, help="first answers cut off")
    parser.add_argument("--malformed", type=float, default=0.05, help="first answers invalid")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    if args.provider == "openai" and args.capacity is not None:
        parser.error("--capacity is for the fake Messages API (--provider claude)")
    args.model = args.model or ("gpt-4o-mini" if args.provider == "openai" else "claude-haiku-5-5")
    args.argv = argv
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    figures = asyncio.run(run_bench(args))
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
