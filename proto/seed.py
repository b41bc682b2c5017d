"""A seed: a SQL statement (with whatever context came with it) from a trace or a dataset."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from proto.common import SCHEMA_VERSION, Engine
from proto.contract import Contract


class SeedEvent(Contract):
    kind: Literal["seed"] = "seed"
    schema_version: int = SCHEMA_VERSION
    seed_id: str = Field(description="content hash of the normalized statement shape")
    sql: str
    dialect: Engine | None = None
    question: str | None = None
    schema_ddl: str | None = None
    db_id: str | None = None
    # What the seed's question takes as known (BIRD's `evidence`); carried into the records of
    # samples planned from the seed as `properties.seed_evidence`.
    evidence: str | None = None
    source: str = Field(description="file or stream the seed came from")
    position: str | None = Field(default=None, description="line/offset in the source")
    duration_ms: float | None = None
    rows: int | None = None
    error: str | None = None
    count: int = Field(default=1, ge=1, description="how often this statement shape was seen")
    # The planner keeps seeds per pool; a run draws from one pool (RunRequest.seed_pool).
    pool: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]{1,64}$")
