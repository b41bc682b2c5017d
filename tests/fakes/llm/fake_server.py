"""A local HTTP server that speaks enough of the Anthropic Messages API for the real SDK.

Point `AsyncAnthropic(base_url=server.base_url, api_key=...)` at it. It implements
POST /v1/messages (text and tool use, usage with cache tokens computed from the real prompt),
the Message Batches API (create, retrieve, JSONL results), and GET /v1/models/{id}. What the
"model" says comes from a scriptable `Responder`; faults are injected per request: 429 with
retry-after, 529 overloaded, 500, slow replies (client timeouts), dropped connections and
malformed tool input. A `capacity` turns it into a concurrency-limited provider: requests beyond
it get 429, as a real rate limiter would. Latency is sampled per call. Everything the server
did is in `calls` (status, usage, concurrency), so tests compare client figures with it.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from shared.llm.api_rules import find_limits
from shared.llm.request_check import check_request
from tests.fakes.llm.batches import BatchStore
from tests.fakes.llm.handler import Handler
from tests.fakes.llm.types import (
    CallRecord,
    FakeConfig,
    FakeState,
    Fault,
    FaultKind,
    ModelTurn,
    Responder,
    error_body,
)
from tests.fakes.llm.usage import PromptCache, output_tokens, prompt_blocks

__all__ = [
    "CallRecord",
    "FakeAnthropic",
    "FakeConfig",
    "Fault",
    "FaultKind",
    "ModelTurn",
    "Responder",
    "error_body",
]


class FakeAnthropic:
    def __init__(self, responder: Responder, config: FakeConfig | None = None) -> None:
        self.responder = responder
        self.config = config or FakeConfig()
        self.state = FakeState()
        self.cache = PromptCache(self.config.min_cache_tokens)
        self.lock = threading.Lock()
        self.rng = random.Random(self.config.seed)
        self.batches = BatchStore(self)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.t0 = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeAnthropic:
        handler = type("BoundHandler", (Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- scripting ---------------------------------------------------------------------------
    def inject(self, fault: Fault, times: int = 1) -> None:
        """Apply `fault` to the next `times` message requests."""
        with self.lock:
            self.state.faults.extend([fault] * times)

    def set_fault_fn(self, fn: Callable[[int, dict[str, Any]], Fault | None] | None) -> None:
        """Decide a fault per request (index, body); used after the injected queue is empty."""
        self.state.fault_fn = fn

    def set_capacity(self, capacity: int | None) -> None:
        self.config.capacity = capacity

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until no handler is running (a slow reply finishes after the client gave up)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if self.state.running == 0:
                    return True
            time.sleep(0.01)
        return False

    @property
    def calls(self) -> list[CallRecord]:
        """Every request handled, once running handlers finished (records are written after the
        reply is sent, so a client can see the reply before its record exists)."""
        self.wait_idle(5.0)
        with self.lock:
            return list(self.state.calls)

    def billed(self) -> dict[str, int]:
        """Sum of the usage the server reported on successful message calls (incl. batches)."""
        totals = {
            "calls": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        for call in self.calls:
            if call.usage is None:
                continue
            totals["calls"] += 1
            for key in list(totals)[1:]:
                totals[key] += call.usage.get(key, 0)
        return totals

    # -- the model call ------------------------------------------------------------------------
    def next_fault(self, body: dict[str, Any]) -> Fault | None:
        with self.lock:
            index = self.state.requests
            self.state.requests += 1
            if self.state.faults:
                return self.state.faults.popleft()
        return self.state.fault_fn(index, body) if self.state.fault_fn else None

    def refusal(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The 400 body the real API would answer to this request, or None if it is valid."""
        if not self.config.enforce_rules:
            return None
        violations = check_request(body)
        with self.lock:
            self.state.violations.extend(violations)
        if not violations:
            return None
        return error_body(400, violations[0].message, "invalid_request_error")

    def answer(self, body: dict[str, Any], fault: Fault | None, *, batch: bool) -> dict[str, Any]:
        """The message JSON for a request (usage computed), with a malformed-input fault applied."""
        turn = self.responder(body)
        content = [dict(block) for block in turn.content]
        for block in content:
            if block.get("type") == "tool_use":
                block.setdefault("id", f"toolu_{uuid.uuid4().hex[:20]}")
        if fault is not None and fault.kind == "malformed_tool_input":
            for block in content:
                if block.get("type") == "tool_use":
                    # Realistic breakage: a required field missing and a stray one added.
                    broken = dict(block.get("input", {}))
                    if broken:
                        broken.pop(sorted(broken)[0])
                    broken["unexpected_field"] = "???"
                    block["input"] = broken
                    break
        stop_reason = turn.stop_reason
        cpt = self.config.chars_per_token
        out = output_tokens(content, cpt)
        if out > int(body.get("max_tokens", 1 << 30)):
            stop_reason, out = "max_tokens", int(body["max_tokens"])
            content = [b if b.get("type") != "tool_use" else {**b, "input": {}} for b in content]
        minimum = find_limits(str(body.get("model", ""))).min_cache_tokens
        uncached, write_5m, write_1h, read = self.cache.usage(prompt_blocks(body, cpt), minimum)
        usage = {
            "input_tokens": uncached,
            "output_tokens": out,
            "cache_creation_input_tokens": write_5m + write_1h,
            "cache_read_input_tokens": read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": write_5m,
                "ephemeral_1h_input_tokens": write_1h,
            },
            "service_tier": "batch" if batch else "standard",
        }
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "unknown"),
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }

    def record(self, record: CallRecord) -> None:
        with self.lock:
            self.state.calls.append(record)

    def latency(self) -> float:
        low, high = self.config.latency_s
        with self.lock:
            return self.rng.uniform(low, high) if high > 0 else 0.0
