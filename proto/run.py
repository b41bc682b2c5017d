"""Run request and live run status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from proto.common import SCHEMA_VERSION, Engine, Level, Policy, ReviewMode
from proto.contract import Contract
from proto.sample import Blueprint, Draft, TokenCost, utc_now


class RunRequest(Contract):
    kind: Literal["run_request"] = "run_request"
    schema_version: int = SCHEMA_VERSION
    run_id: str
    count: int = Field(ge=1, description="accepted samples wanted")
    spec: dict[str, Any] = Field(default_factory=dict, description="the parsed spec document")
    seed: int = 0
    engines: list[Engine] = Field(default_factory=lambda: list(Engine))
    level: Level = Level.FULL
    policy: Policy = Policy.PORTABLE
    max_attempts: int = Field(default=3, ge=1)
    generator: str = "template"
    # Planned-but-unfinished samples allowed at once; bounds memory and broker backlog.
    max_in_flight: int = Field(default=256, ge=1)
    seeds_file: str | None = None
    # Seeds (seed.ingested events of this pool) the planner expands and back-translates; it
    # starts planning once the pool holds `seed_count` of them (they travel separately).
    seed_pool: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    seed_count: int = Field(default=0, ge=0)
    # Share of seed-based samples that keep the seed's SQL and get a question written for it
    # (back-translation); the rest are new queries over the seed schemas (expansion).
    back_translate_share: float = Field(default=0.25, ge=0.0, le=1.0)
    # Stop planning once new samples are mostly redundant (SQL-Factory's stopping criterion); the
    # run then ends below `count`, which acts as a budget.
    until_saturated: bool = False
    # Spending limit of the run over all replicas: planning stops once reached, samples in
    # flight finish (so the final spend can pass it by what they cost).
    budget_usd: float | None = Field(default=None, gt=0)
    budget_tokens: int | None = Field(default=None, ge=1)
    # A person decides samples before acceptance (the review app's live queue): all of them, or
    # only those with findings. Off by default: the pipeline accepts on its own.
    review: ReviewMode = ReviewMode.OFF
    # SQL-Factory's explore/expand loop (docs/evolution.md): 0 explores only; above 0 the planner
    # plans in rounds and gives up to this share of an expanding round to cheap variants of the
    # run's own accepted samples (their pattern on other tables, columns and values).
    expand_ratio: float = Field(default=0.0, ge=0.0, le=1.0)
    # Samples per round of an explore-expand run (0: chosen from count and max_in_flight).
    round_size: int = Field(default=0, ge=0)
    # Of an expanding round's seeds, the share evolved (EvolSQL's operators, chosen by the planner
    # by feasibility and scarcity) instead of expanded.
    evolve_share: float = Field(default=0.0, ge=0.0, le=1.0)


class SaturationWindow(Contract):
    """Rolling figures over the last `window` judged samples of a run, schema or region."""

    seen: int = 0
    window: int = 0
    duplicate_rate: float = 0.0
    mean_sql_similarity: float = 0.0
    mean_question_similarity: float = 0.0
    # Newer half of the window minus the older half: > 0 means new samples get closer.
    similarity_trend: float = 0.0


class Saturation(Contract):
    """SQL-Factory's saturation signal as the sink measures it over every verdict of a run."""

    run: SaturationWindow = Field(default_factory=SaturationWindow)
    # Schemas and property regions (domain/task type/complexity) whose recent samples are
    # mostly duplicates: the planner plans elsewhere.
    redundant_schemas: list[str] = Field(default_factory=list)
    redundant_regions: list[str] = Field(default_factory=list)
    # Non-empty when the run as a whole is saturated (why, in words).
    stop_reasons: list[str] = Field(default_factory=list)


class RunStatus(Contract):
    kind: Literal["run_status"] = "run_status"
    schema_version: int = SCHEMA_VERSION
    run_id: str
    target: int
    planned: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    # Counts per "stage.outcome" (e.g. "validator.failed"), as the sink sees history.
    stages: dict[str, int] = Field(default_factory=dict)
    rejection_reasons: dict[str, int] = Field(default_factory=dict)
    # Sense checks (docs/sense.md), by check: how often an error finding sent a draft to repair,
    # which checks still failed the rejected samples, and the warnings accepted records carry.
    sense_repaired: dict[str, int] = Field(default_factory=dict)
    sense_rejected: dict[str, int] = Field(default_factory=dict)
    sense_warnings: dict[str, int] = Field(default_factory=dict)
    sense_checked: int = 0
    cost: TokenCost = Field(default_factory=TokenCost)
    saturation: Saturation = Field(default_factory=Saturation)
    done: bool = False
    started_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @property
    def finished(self) -> int:
        return self.accepted + self.duplicate + self.rejected


class GrowthMode(StrEnum):
    EXPLORE = "explore"  # the Generation Team: new structures from the spec
    EXPAND = "expand"  # the Expansion Team: accepted patterns on other tables, columns, values


class PatternSeed(Contract):
    """An accepted sample the planner may expand (its draft travels in the planned envelope)."""

    sample_id: str
    pattern: str
    tables: list[str] = Field(default_factory=list)
    blueprint: Blueprint
    draft: Draft


class GrowthRound(Contract):
    """One round of an explore-expand run: what was planned, what the sink judged (E_t)."""

    index: int
    mode: GrowthMode
    first: int  # index of its first planned sample
    explore: int = 0
    expand: int = 0
    evolve: int = 0
    closed: bool = False
    accepted: int = 0
    duplicate: int = 0
    finished: int = 0
    # Accepted samples (as the planner observed them) whose pattern had pattern_cap before.
    observed: int = 0
    redundant: int = 0
    accepted_expand: int = 0
    accepted_evolve: int = 0
    mean_sql_similarity: float = 0.0
    # Why the manager chose the next round's mode (words for the report, written once here).
    decision: str = ""


class Growth(Contract):
    """The explore-expand state of a run's plan (SQL-Factory's Management Agent, §4.1.1)."""

    rounds: list[GrowthRound] = Field(default_factory=list)
    pool: list[PatternSeed] = Field(default_factory=list)
    used: list[str] = Field(default_factory=list)
    # Accepted samples already counted (the latest SEEN_CAP: a redelivery is recent).
    seen: list[str] = Field(default_factory=list)
    patterns: dict[str, int] = Field(default_factory=dict)
    tables: dict[str, int] = Field(default_factory=dict)
    # C(φ): accepted evolutions per operator (EvolSQL's scarcity weight reads it).
    operators: dict[str, int] = Field(default_factory=dict)
    # Status counters when the current round started (round figures are deltas).
    base_accepted: int = 0
    base_duplicate: int = 0
    base_finished: int = 0


class RunPlan(Contract):
    """The planner's durable state for a run (kept in the plan KV bucket)."""

    kind: Literal["run_plan"] = "run_plan"
    schema_version: int = SCHEMA_VERSION
    request: RunRequest
    planned: int = 0
    # Planning stops at this many samples even if the target is not reached (runaway guard).
    max_planned: int
    exhausted: bool = False
    # Set when a run started with until_saturated stopped planning on the saturation signal.
    saturated_reasons: list[str] = Field(default_factory=list)
    # Set when the run's budget (request.budget_usd / budget_tokens) stopped planning.
    budget_reasons: list[str] = Field(default_factory=list)
    # Seed-based planning: the pool's seed ids when planning started (fixed with the plan, so a
    # restarted planner plans the same blueprints; the seeds stay in the seed bucket) and how
    # often each seed was used.
    seed_ids: list[str] = Field(default_factory=list)
    seed_uses: dict[str, int] = Field(default_factory=dict)
    # A run from a seed pool waits (plans nothing) until the pool holds request.seed_count seeds.
    waiting_for_seeds: bool = False
    # Blueprints redrawn because their schema or region was saturated (the plan shifted).
    shifted: int = 0
    # Why planning could not do what the request asked (e.g. seeds without a usable schema).
    problems: list[str] = Field(default_factory=list)
    done: bool = False
    # How often each "domain.table" anchored a planned sample (coverage-driven selection).
    coverage: dict[str, int] = Field(default_factory=dict)
    growth: Growth | None = None
    updated_at: datetime = Field(default_factory=utc_now)
