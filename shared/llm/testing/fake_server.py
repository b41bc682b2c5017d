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

import json
import random
import select
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from shared.llm.testing.batches import BatchStore
from shared.llm.testing.usage import PromptCache, output_tokens, prompt_blocks

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
    min_cache_tokens: int = 1024
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
        handler = type("Handler", (_Handler,), {"fake": self})
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
        uncached, write_5m, write_1h, read = self.cache.usage(prompt_blocks(body, cpt))
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


def error_body(status: int, message: str, kind: str | None = None) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": kind or ERROR_TYPES.get(status, "api_error"), "message": message},
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAnthropic
    protocol_version = "HTTP/1.1"
    _release: Callable[[], None]

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `calls`
        return

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> bool:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", f"req_{uuid.uuid4().hex[:16]}")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return False
        return True

    def _client_gone(self) -> bool:
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return bool(self.connection.recv(1, socket.MSG_PEEK) == b"")
        except OSError:
            return True

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(length) if length else b"{}"
        parsed: dict[str, Any] = json.loads(raw)
        return parsed

    def _authorised(self) -> bool:
        # This SDK sends the key as a bearer token; older ones (and curl examples) as x-api-key.
        bearer = (self.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if self.headers.get("x-api-key") in self.fake.config.api_keys or (
            bearer in self.fake.config.api_keys
        ):
            return True
        self._send(401, error_body(401, "invalid x-api-key", "authentication_error"))
        return False

    def do_GET(self) -> None:
        if not self._authorised():
            return
        path = self.path.split("?")[0]
        if path.startswith("/v1/models/"):
            model = path.rsplit("/", 1)[1]
            if not model.startswith("claude-"):
                self._send(404, error_body(404, f"model: {model}", "not_found_error"))
                return
            self._send(
                200,
                {
                    "id": model,
                    "type": "model",
                    "display_name": model,
                    "created_at": "2026-10-07T00:00:00Z",
                    "lifecycle": "active",
                },
            )
            return
        status, payload, ctype = self.fake.batches.get(path, self.fake.base_url)
        self._send(status, payload, content_type=ctype)

    def do_POST(self) -> None:
        if not self._authorised():
            return
        path = self.path.split("?")[0]
        body = self._body()
        if path == "/v1/messages/batches":
            self._send(200, self.fake.batches.create(body))
            return
        if path != "/v1/messages":
            self._send(404, error_body(404, f"no route {path}", "not_found_error"))
            return
        self._messages(body)

    def _messages(self, body: dict[str, Any]) -> None:
        fake = self.fake
        with fake.lock:
            fake.state.in_flight += 1
            fake.state.running += 1
            in_flight = fake.state.in_flight
        started = time.monotonic() - fake.t0
        # The forced tool's name, or the choice type ("any", "auto").
        tool_choice = body.get("tool_choice") or {}
        choice = tool_choice.get("name") or tool_choice.get("type")
        record = CallRecord("/v1/messages", 200, started, started, in_flight, tool_choice=choice)
        if fake.config.keep_bodies:
            record.body = body
        released = False

        def release() -> None:
            # A slot is free once the answer is ready, before it is written: the client may
            # start its next call as soon as it reads this one.
            nonlocal released
            if not released:
                released = True
                with fake.lock:
                    fake.state.in_flight -= 1

        self._release = release
        try:
            fault = fake.next_fault(body)
            capacity = fake.config.capacity
            if fault is None and capacity is not None and in_flight > capacity:
                fault = Fault("rate_limit", fake.config.capacity_retry_after_s)
            record.fault = fault.kind if fault else None
            # A rate limiter or an overloaded front end answers at once; a model takes time.
            if fault is None or fault.kind not in ("rate_limit", "overloaded", "server_error"):
                time.sleep(fake.latency())
            self._reply(body, fault, record)
        finally:
            release()
            record.ended = time.monotonic() - fake.t0
            fake.record(record)
            with fake.lock:
                fake.state.running -= 1

    def _reply(self, body: dict[str, Any], fault: Fault | None, record: CallRecord) -> None:
        retry = {"x-should-retry": "true"}  # the SDK would obey it; our client must not
        if fault is not None and fault.kind in ("rate_limit", "overloaded", "server_error"):
            status = {"rate_limit": 429, "overloaded": 529, "server_error": 500}[fault.kind]
            if fault.retry_after_s is not None and status != 500:
                retry["retry-after"] = f"{fault.retry_after_s:g}"
            record.status = status
            self._release()
            self._send(status, error_body(status, f"injected {fault.kind}"), retry)
            return
        if fault is not None and fault.kind == "disconnect":
            record.status = 0
            self.close_connection = True
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_s)
        if self._client_gone():
            record.status = 0  # the client timed out and left: nothing delivered, nothing billed
            self.close_connection = True
            return
        try:
            message = self.fake.answer(body, fault, batch=False)
        except Exception as exc:  # a responder bug must surface in the test, not hang it
            record.status = 500
            self._send(
                500, error_body(500, f"responder failed: {exc!r}"), {"x-should-retry": "false"}
            )
            return
        self._release()
        if self._send(200, message):
            # Billed only when delivered: a reply to a client that timed out is not counted.
            record.usage = {k: v for k, v in message["usage"].items() if isinstance(v, int)}
        else:
            record.status = 0
