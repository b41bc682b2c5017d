"""A local HTTP server that speaks the OpenAI Chat Completions API for the real `openai` SDK.

Point `AsyncOpenAI(base_url=fake.base_url, api_key=...)` at it (base_url ends in /v1). It serves
POST /v1/chat/completions (text and function tool calls, usage with `cached_tokens` from a
prefix cache) and GET /v1/models. It refuses, before anything is billed, what the real API
refuses (shared.llm.openai_rules: message roles and order, tool_call/tool pairing, function
names and schemas, tool_choice, token bounds) with the API's 400 error body; a bad key is 401;
injected faults give 429 with retry-after, 500, or a dropped connection; `bad_json` makes a
tool call's arguments invalid JSON. What the "model" says is the same scripted responder the
fake Messages API uses (tests.fakes.scripted.ScriptedModel), so the same plans produce SQL.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from shared.llm.openai_rules import ChatViolation, check_chat_request
from tests.fakes.llm.types import CallRecord, Responder
from tests.fakes.openai_api.translate import (
    PrefixCache,
    prompt_text,
    to_completion,
    to_messages_body,
)

Json = dict[str, Any]
ChatFaultKind = Literal["rate_limit", "server_error", "disconnect", "bad_json"]


@dataclass(frozen=True)
class ChatFault:
    kind: ChatFaultKind
    retry_after_s: float | None = 1.0


@dataclass
class ChatFakeConfig:
    api_keys: frozenset[str] = frozenset({"sk-openai-test-key"})
    models: tuple[str, ...] = ("gpt-4o-mini", "qwen2.5-coder:7b")
    latency_s: tuple[float, float] = (0.0, 0.0)
    enforce_rules: bool = True
    keep_bodies: bool = False
    seed: int = 0


def error_body(message: str, kind: str, code: str | None, param: str | None = None) -> Json:
    """The API's error shape: {"error": {"message", "type", "param", "code"}}."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


@dataclass
class ChatState:
    faults: deque[ChatFault] = field(default_factory=deque)
    calls: list[CallRecord] = field(default_factory=list)
    violations: list[ChatViolation] = field(default_factory=list)
    running: int = 0


class FakeOpenAI:
    def __init__(self, responder: Responder, config: ChatFakeConfig | None = None) -> None:
        self.responder = responder
        self.config = config or ChatFakeConfig()
        self.state = ChatState()
        self.cache = PrefixCache()
        self.lock = threading.Lock()
        self.rng = random.Random(self.config.seed)
        self.t0 = time.monotonic()
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeOpenAI:
        handler = type("BoundChatHandler", (ChatHandler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def inject(self, fault: ChatFault, times: int = 1) -> None:
        with self.lock:
            self.state.faults.extend([fault] * times)

    def next_fault(self) -> ChatFault | None:
        with self.lock:
            return self.state.faults.popleft() if self.state.faults else None

    @property
    def calls(self) -> list[CallRecord]:
        """Every request handled (waits for running handlers: records are written last)."""
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            with self.lock:
                if self.state.running == 0:
                    return list(self.state.calls)
            time.sleep(0.01)
        with self.lock:
            return list(self.state.calls)

    def billed(self) -> dict[str, int]:
        """The usage of delivered completions, in TokenCost's terms (cached = cache reads)."""
        totals = dict.fromkeys(
            (
                "calls",
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            ),
            0,
        )
        for call in self.calls:
            if call.usage is None:
                continue
            totals["calls"] += 1
            totals["input_tokens"] += call.usage["prompt_tokens"] - call.usage["cached_tokens"]
            totals["output_tokens"] += call.usage["completion_tokens"]
            totals["cache_read_input_tokens"] += call.usage["cached_tokens"]
        return totals

    def refusal(self, body: Json) -> Json | None:
        if not self.config.enforce_rules:
            return None
        violations = check_chat_request(body)
        with self.lock:
            self.state.violations.extend(violations)
        if not violations:
            return None
        first = violations[0]
        return error_body(first.message, "invalid_request_error", None, first.param)

    def answer(self, body: Json, fault: ChatFault | None) -> Json:
        turn = self.responder(to_messages_body(body))
        usage = self.cache.usage(prompt_text(body))
        return to_completion(
            body, turn, usage, bad_json=fault is not None and fault.kind == "bad_json"
        )

    def latency(self) -> float:
        low, high = self.config.latency_s
        with self.lock:
            return self.rng.uniform(low, high) if high > 0 else 0.0


class ChatHandler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `calls`
        return

    def _send(self, status: int, payload: Json, headers: dict[str, str] | None = None) -> bool:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return False
        return True

    def _authorised(self) -> bool:
        key = (self.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if key in self.fake.config.api_keys:
            return True
        shown = f"{key[:3]}****{key[-4:]}" if len(key) > 8 else "****"
        message = f"Incorrect API key provided: {shown}."
        self._send(401, error_body(message, "invalid_request_error", "invalid_api_key"))
        return False

    def do_GET(self) -> None:
        if not self._authorised():
            return
        if self.path.split("?")[0] != "/v1/models":
            self._send(404, error_body(f"no route {self.path}", "invalid_request_error", None))
            return
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
            for m in self.fake.config.models
        ]
        self._send(200, {"object": "list", "data": data})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body: Json = json.loads(self.rfile.read(length) if length else b"{}")
        if not self._authorised():
            return
        if self.path.split("?")[0] != "/v1/chat/completions":
            self._send(404, error_body(f"no route {self.path}", "invalid_request_error", None))
            return
        fake = self.fake
        with fake.lock:
            fake.state.running += 1
        started = time.monotonic() - fake.t0
        choice = body.get("tool_choice")
        named = choice.get("function", {}).get("name") if isinstance(choice, dict) else choice
        record = CallRecord("/v1/chat/completions", 200, started, started, 0, tool_choice=named)
        if fake.config.keep_bodies:
            record.body = body
        try:
            self._complete(body, record)
        finally:
            record.ended = time.monotonic() - fake.t0
            with fake.lock:
                fake.state.calls.append(record)
                fake.state.running -= 1

    def _complete(self, body: Json, record: CallRecord) -> None:
        fake = self.fake
        refused = fake.refusal(body)
        if refused is not None:  # validation first: a 400 costs nothing
            record.status = 400
            self._send(400, refused)
            return
        if body.get("model") not in fake.config.models:
            record.status = 404
            message = f"The model `{body.get('model')}` does not exist or you do not have access."
            self._send(404, error_body(message, "invalid_request_error", "model_not_found"))
            return
        fault = fake.next_fault()
        record.fault = fault.kind if fault else None
        if fault is not None and fault.kind in ("rate_limit", "server_error"):
            status = 429 if fault.kind == "rate_limit" else 500
            headers = {}
            if fault.retry_after_s is not None and status == 429:
                headers["retry-after"] = f"{fault.retry_after_s:g}"
            kind, code = (
                ("requests", "rate_limit_exceeded") if status == 429 else ("server_error", None)
            )
            record.status = status
            self._send(status, error_body(f"injected {fault.kind}", kind, code), headers)
            return
        if fault is not None and fault.kind == "disconnect":
            record.status = 0
            self.close_connection = True
            return
        time.sleep(fake.latency())
        try:
            completion = fake.answer(body, fault)
        except Exception as exc:  # a responder bug must surface in the test, not hang it
            record.status = 500
            self._send(500, error_body(f"responder failed: {exc!r}", "server_error", None))
            return
        if self._send(200, completion):
            usage = completion["usage"]
            record.usage = {
                "prompt_tokens": usage["prompt_tokens"],
                "completion_tokens": usage["completion_tokens"],
                "cached_tokens": usage["prompt_tokens_details"]["cached_tokens"],
            }
        else:
            record.status = 0
