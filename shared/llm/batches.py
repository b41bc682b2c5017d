"""Bulk mode on the Message Batches API (half price): submit, poll, map results back; resumable.

A batch is named by the caller (e.g. "<run>-rows"). Its state is a small JSON file written
atomically right after the batch is created, so a process that dies while the batch runs
resumes polling the same batch instead of paying for a second one; once results are fetched
they are stored next to it (JSONL), and a rerun reads them from disk. Results come back in any
order and are matched to requests by `custom_id`.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
from anthropic.types import Message
from pydantic import BaseModel

from proto.sample import TokenCost
from shared.llm.client import LlmClient
from shared.llm.errors import map_connection_error, map_status_error


class BatchState(BaseModel):
    name: str
    batch_id: str
    custom_ids: list[str]
    done: bool = False


# Request outcomes worth another batch: the provider failed, not the request.
RETRYABLE_TYPES = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "expired", "canceled", "missing"}
)


@dataclass(frozen=True)
class BatchResult:
    custom_id: str
    message: Message | None
    cost: TokenCost
    error: str | None = None
    error_type: str | None = None

    @property
    def retryable(self) -> bool:
        return self.message is None and self.error_type in RETRYABLE_TYPES


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class BatchRunner:
    def __init__(self, client: LlmClient, state_dir: Path, *, poll_s: float = 30.0) -> None:
        self.client = client
        self.state_dir = state_dir
        self.poll_s = poll_s
        state_dir.mkdir(parents=True, exist_ok=True)

    def _paths(self, name: str) -> tuple[Path, Path]:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return self.state_dir / f"{safe}.batch.json", self.state_dir / f"{safe}.results.jsonl"

    def state(self, name: str) -> BatchState | None:
        state_path, _ = self._paths(name)
        if not state_path.exists():
            return None
        return BatchState.model_validate_json(state_path.read_text())

    async def run(self, name: str, requests: dict[str, dict[str, Any]]) -> dict[str, BatchResult]:
        """Results by custom_id for `requests` (params without model), resuming if possible."""
        state_path, results_path = self._paths(name)
        state = self.state(name)
        if state is not None and state.done and results_path.exists():
            return self._load(results_path, requests)
        try:
            if state is None:
                state = await self._submit(name, requests)
                _write_atomic(state_path, state.model_dump_json())
            await self._wait(state.batch_id)
            lines = await self._fetch(state.batch_id)
        except anthropic.APIStatusError as exc:
            raise map_status_error(exc) from exc
        except anthropic.APIConnectionError as exc:
            raise map_connection_error(exc) from exc
        _write_atomic(results_path, "".join(json.dumps(line) + "\n" for line in lines))
        state.done = True
        _write_atomic(state_path, state.model_dump_json())
        results = self._load(results_path, requests)
        for result in results.values():
            if result.message is not None:
                self.client.ledger.record(f"batch:{name}", result.cost)
        return results

    async def _submit(self, name: str, requests: dict[str, dict[str, Any]]) -> BatchState:
        body = [
            {"custom_id": cid, "params": {"model": self.client.model, **params}}
            for cid, params in requests.items()
        ]
        batch = await self.client.sdk.messages.batches.create(requests=body)  # type: ignore[arg-type]
        return BatchState(name=name, batch_id=batch.id, custom_ids=list(requests))

    async def _wait(self, batch_id: str) -> None:
        while True:
            batch = await self.client.sdk.messages.batches.retrieve(batch_id)
            if batch.processing_status == "ended":
                return
            await asyncio.sleep(self.poll_s)

    async def _fetch(self, batch_id: str) -> list[dict[str, Any]]:
        decoder = await self.client.sdk.messages.batches.results(batch_id)
        return [item.model_dump(mode="json") async for item in decoder]

    def _load(self, path: Path, requests: dict[str, dict[str, Any]]) -> dict[str, BatchResult]:
        results: dict[str, BatchResult] = {}
        for line in path.read_text().splitlines():
            item = json.loads(line)
            cid, result = item["custom_id"], item["result"]
            if result["type"] == "succeeded":
                message = Message.model_validate(result["message"])
                cost = self.client.price(message, batch=True)
                results[cid] = BatchResult(cid, message, cost)
            else:
                detail = (result.get("error") or {}).get("error") or {}
                kind = detail.get("type") or result["type"]
                reason = f"{result['type']}: {kind} {detail.get('message', '')}".strip()
                results[cid] = BatchResult(cid, None, TokenCost(), reason, kind)
        for cid in requests:
            results.setdefault(
                cid, BatchResult(cid, None, TokenCost(), "missing from results", "missing")
            )
        return results
