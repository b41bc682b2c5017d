"""Messages that are not the run's: a status nobody can read, an envelope of an unknown run,
a sample id outside the plan, a newer schema version. Each ends in poison.jsonl with its
reason while the run beside them finishes exactly once (nothing extra in the dataset)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nats
import pytest

from proto import subjects
from proto.common import Engine
from shared.runtime.local import LocalStack
from tests.e2e.harness import make_request, run_to_completion, start_services
from tests.e2e.test_pipeline import assert_exactly_once
from tests.unit.pipeline.conftest import make_envelope

pytestmark = [pytest.mark.e2e, pytest.mark.engines]


async def test_strays_are_poisoned_and_the_run_stays_exact(
    stack: LocalStack, tmp_path: Path
) -> None:
    supervisor = start_services(stack, tmp_path, [Engine.SQLITE])
    try:
        request = make_request(12, seed=5, engines=[Engine.SQLITE])

        async def stray_messages(status: object) -> None:
            if getattr(stray_messages, "sent", False):
                return
            stray_messages.sent = True  # type: ignore[attr-defined]
            nc = await nats.connect(stack.dsn("nats") or "")
            js = nc.jetstream()
            unknown = make_envelope("no-such-run-0000000", run_id="no-such-run")
            outside = make_envelope(f"{request.run_id}-0009999", run_id=request.run_id)
            newer = json.loads(make_envelope("z").model_dump_json())
            newer["schema_version"] = 999
            await js.publish(subjects.RUN_STATUS, b'{"kind": "status", "garbage": true}')
            await js.publish(subjects.SAMPLE_ACCEPTED, unknown.model_dump_json().encode())
            await js.publish(subjects.SAMPLE_ACCEPTED, outside.model_dump_json().encode())
            await js.publish(subjects.SAMPLE_DRAFTED, json.dumps(newer).encode())
            await nc.close()

        output = await run_to_completion(
            stack, supervisor, request, tmp_path, timeout_s=240, during=stray_messages
        )
        assert_exactly_once(output)
        poison = output.records("poison.jsonl")

        def kept(text: str) -> bool:
            return any(text in json.dumps(entry) for entry in poison)

        for _ in range(120):  # the sink gives a stray ~23 s of deliveries before poisoning it
            poison = output.records("poison.jsonl")
            if all(map(kept, ["unknown run", "outside the plan", "schema_version 999"])):
                break
            await asyncio.sleep(0.5)
        assert kept("unknown run 'no-such-run'"), poison
        assert kept("outside the plan"), poison
        assert kept("schema_version 999"), poison
        assert kept("planner") and kept("garbage"), poison
        ids = [r["id"] for r in output.records("dataset.jsonl")]
        assert f"{request.run_id}-0009999" not in ids and "no-such-run-0000000" not in ids
    finally:
        supervisor.stop_all()
