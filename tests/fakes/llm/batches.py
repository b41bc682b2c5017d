"""The Message Batches API of the fake server: create, retrieve, JSONL results.

A batch is processed in a background thread after `batch_delay_s`: every request goes through
the same responder and usage accounting as /v1/messages (service tier "batch"); `error_fn`
(custom_id, params) -> error type name makes chosen requests end "errored".
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.llm.types import Answering, CallRecord, error_body


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass
class FakeBatch:
    id: str
    requests: list[dict[str, Any]]
    created_at: datetime
    ended_at: datetime | None = None
    results: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, base_url: str) -> dict[str, Any]:
        ended = self.ended_at is not None
        counts = {
            "processing": 0 if ended else len(self.requests),
            "succeeded": 0,
            "errored": 0,
            "canceled": 0,
            "expired": 0,
        }
        for result in self.results if ended else []:
            counts[result["result"]["type"]] += 1
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.created_at + timedelta(hours=24)),
            "ended_at": _iso(self.ended_at) if self.ended_at else None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }


class BatchStore:
    def __init__(self, fake: Answering) -> None:
        self.fake = fake
        self.batches: dict[str, FakeBatch] = {}
        self.created = 0
        self.error_fn: Callable[[str, dict[str, Any]], str | None] | None = None
        self._lock = threading.Lock()

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        batch = FakeBatch(
            f"msgbatch_{uuid.uuid4().hex[:24]}", list(body.get("requests", [])), datetime.now(UTC)
        )
        with self._lock:
            self.batches[batch.id] = batch
            self.created += 1
        threading.Thread(target=self._process, args=(batch,), daemon=True).start()
        return batch.as_json(self.fake.base_url)

    def _process(self, batch: FakeBatch) -> None:
        time.sleep(self.fake.config.batch_delay_s)
        results: list[dict[str, Any]] = []
        for request in batch.requests:
            custom_id, params = request["custom_id"], request["params"]
            error = self.error_fn(custom_id, params) if self.error_fn else None
            started = time.monotonic() - self.fake.t0
            refused = self.fake.refusal(params)
            if refused is not None:
                # A batch request the API would refuse ends "errored" with the same 400 body.
                results.append(
                    {"custom_id": custom_id, "result": {"type": "errored", "error": refused}}
                )
                continue
            if error is not None:
                body = error_body(500, f"injected {error}", error)
                results.append(
                    {"custom_id": custom_id, "result": {"type": "errored", "error": body}}
                )
                continue
            message = self.fake.answer(params, None, batch=True)
            usage = {k: v for k, v in message["usage"].items() if isinstance(v, int)}
            self.fake.record(
                CallRecord(
                    "/v1/messages/batches",
                    200,
                    started,
                    time.monotonic() - self.fake.t0,
                    0,
                    usage=usage,
                    batch=True,
                )
            )
            results.append(
                {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}
            )
        with self._lock:
            batch.results = results
            batch.ended_at = datetime.now(UTC)

    def get(self, path: str, base_url: str) -> tuple[int, Any, str]:
        parts = path.strip("/").split("/")
        if len(parts) < 4 or parts[:3] != ["v1", "messages", "batches"]:
            return (
                404,
                {"type": "error", "error": {"type": "not_found_error", "message": path}},
                "application/json",
            )
        with self._lock:
            batch = self.batches.get(parts[3])
        if batch is None:
            return (
                404,
                {"type": "error", "error": {"type": "not_found_error", "message": parts[3]}},
                "application/json",
            )
        if len(parts) == 5 and parts[4] == "results":
            if batch.ended_at is None:
                return (
                    400,
                    {
                        "type": "error",
                        "error": {"type": "invalid_request_error", "message": "batch not ended"},
                    },
                    ("application/json"),
                )
            lines = "".join(json.dumps(r) + "\n" for r in batch.results).encode()
            return 200, lines, "application/binary"
        return 200, batch.as_json(base_url), "application/json"
