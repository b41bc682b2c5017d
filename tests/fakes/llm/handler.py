"""The HTTP side of the fake Messages API: routes, auth, faults, latency, capacity."""

from __future__ import annotations

import json
import select
import socket
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.llm.types import CallRecord, Fault, Serving, error_body


class Handler(BaseHTTPRequestHandler):
    fake: Serving
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
            refused = fake.refusal(body)
            if refused is not None:
                # Validation comes before rate limiting and the model: a 400 costs nothing.
                record.status = 400
                self._release()
                self._send(400, refused, {"x-should-retry": "false"})
                return
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
