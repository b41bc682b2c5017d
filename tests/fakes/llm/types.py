"""The fake Messages API's vocabulary: what the scripted model answers, faults, call records."""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from shared.llm.api_rules import Violation

FaultKind = Literal[
    "rate_limit", "overloaded", "server_error", "slow", "disconnect", "malformed_tool_input"
]
ERROR_TYPES = {429: "rate_limit_error", 529: "overloaded_error", 500: "api_error"}


@dataclass(frozen=True)
class ModelTurn:
    """What the scripted model answers: content blocks (text / tool_use) and the stop reason."""

    content: list[dict[str, Any]]
    stop_reason: str = "end_turn"


Responder = Callable[[dict[str, Any]], ModelTurn]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    retry_after_s: float | None = 1.0
    delay_s: float = 0.0


@dataclass
class CallRecord:
    path: str
    status: int
    started: float
    ended: float
    in_flight: int
    fault: str | None = None
    usage: dict[str, int] | None = None
    tool_choice: str | None = None  # the forced tool's name, or "any" / "auto"
    batch: bool = False
    body: dict[str, Any] | None = None


@dataclass
class FakeConfig:
    api_keys: frozenset[str] = frozenset({"sk-ant-test-key"})
    latency_s: tuple[float, float] = (0.0, 0.0)
    chars_per_token: float = 4.0
    # None: each model's documented minimum (shared.llm.api_rules.MODEL_LIMITS).
    min_cache_tokens: int | None = None
    # Refuse what the real API refuses (shared.llm.request_check) with its 400 body.
    enforce_rules: bool = True
    capacity: int | None = None
    capacity_retry_after_s: float = 1.0
    batch_delay_s: float = 0.2
    seed: int = 0
    # Keep each request body in `calls` (tests read prompts; off for benchmarks).
    keep_bodies: bool = False


@dataclass
class FakeState:
    faults: deque[Fault] = field(default_factory=deque)
    fault_fn: Callable[[int, dict[str, Any]], Fault | None] | None = None
    calls: list[CallRecord] = field(default_factory=list)
    in_flight: int = 0  # requests holding provider capacity (released once the answer is ready)
    running: int = 0  # handlers not finished yet (their record is written last)
    requests: int = 0
    violations: list[Violation] = field(default_factory=list)  # every rule a request broke


def error_body(status: int, message: str, kind: str | None = None) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": kind or ERROR_TYPES.get(status, "api_error"), "message": message},
        "request_id": f"req_{uuid.uuid4().hex[:24]}",
    }


class BatchEndpoints(Protocol):
    """The Message Batches routes the request handler forwards to (batches.BatchStore)."""

    def create(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def get(self, path: str, base_url: str) -> tuple[int, Any, str]: ...


class Answering(Protocol):
    """What the batch store needs of the server (fake_server.FakeAnthropic): declared here so
    the server's parts depend on this module, not on the server that assembles them."""

    config: FakeConfig
    t0: float

    @property
    def base_url(self) -> str: ...

    def answer(
        self, body: dict[str, Any], fault: Fault | None, *, batch: bool
    ) -> dict[str, Any]: ...

    def record(self, record: CallRecord) -> None: ...

    def refusal(self, body: dict[str, Any]) -> dict[str, Any] | None: ...


class Serving(Answering, Protocol):
    """What the request handler needs of the server, beyond answering."""

    state: FakeState
    lock: threading.Lock
    batches: BatchEndpoints

    def next_fault(self, body: dict[str, Any]) -> Fault | None: ...

    def latency(self) -> float: ...
