"""Run request and live run status."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from proto.common import SCHEMA_VERSION, Contract, Engine, Level, Policy
from proto.sample import TokenCost, utc_now


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
    cost: TokenCost = Field(default_factory=TokenCost)
    done: bool = False
    started_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @property
    def finished(self) -> int:
        return self.accepted + self.duplicate + self.rejected


class RunPlan(Contract):
    """The planner's durable state for a run (kept in the plan KV bucket)."""

    kind: Literal["run_plan"] = "run_plan"
    schema_version: int = SCHEMA_VERSION
    request: RunRequest
    planned: int = 0
    # Planning stops at this many samples even if the target is not reached (runaway guard).
    max_planned: int
    exhausted: bool = False
    done: bool = False
    # How often each "domain.table" anchored a planned sample (coverage-driven selection).
    coverage: dict[str, int] = Field(default_factory=dict)
    updated_at: datetime = Field(default_factory=utc_now)
