"""The ingest service: follows a real log, publishes seed.ingested, restarts without repeats."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
from faststream import FastStream

from proto.seed import SeedEvent
from services.common.app import create_service
from services.ingest.main import IngestService, IngestSettings, main, start, stop
from shared.ingest.seeds import ingest_files
from shared.runtime.local import LocalStack
from tests.ingest.conftest import PgLogs
from tests.ingest.published import published_seeds

pytestmark = pytest.mark.engines


async def run_until_caught_up(settings: IngestSettings, log: Path) -> IngestService:
    service: IngestService = create_service("ingest", settings)
    await start(service)
    try:
        deadline = time.monotonic() + 20
        follower = service.state.follower
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            tail = follower.files[0]
            quiet = time.monotonic() - tail.last_growth > settings.ingest_idle_s * 3
            if tail.cursor[0] == log.stat().st_size and quiet:
                break
        else:
            pytest.fail("the service did not catch up with the log")
    finally:
        await stop(service)
    return service


async def read_seeds(url: str, source: str) -> list[tuple[SeedEvent, str]]:
    return [
        (seed, headers.get("Nats-Msg-Id", ""))
        for seed, headers in await published_seeds(url, source)
    ]


async def test_service_follows_restarts_and_resumes(
    stack: LocalStack, pg_logs: PgLogs, tmp_path: Path
) -> None:
    text = pg_logs.stderr.read_text()
    lines = text.splitlines(keepends=True)
    half = len(lines) // 2
    # Servers write a record (continuation lines included) at once; cut between records.
    while lines[half].startswith("\t"):
        half += 1
    log = tmp_path / "postgresql.log"
    log.write_text("".join(lines[:half]))
    settings = IngestSettings(
        nats_url=stack.dsn("nats") or "",
        ingest_paths=[log],
        ingest_state_dir=tmp_path / "state",
        ingest_poll_s=0.05,
        ingest_idle_s=0.3,
        instance=f"test-{uuid.uuid4().hex[:6]}",
    )
    first = await run_until_caught_up(settings, log)
    assert first.state.publisher.published > 0
    with log.open("a") as handle:
        handle.write("".join(lines[half:]))
    second = await run_until_caught_up(settings, log)  # a new process, same state dir
    assert second.state.publisher.duplicates == 0  # nothing from the first half again

    received = await read_seeds(settings.nats_url, str(log))
    ids = [msg_id for _, msg_id in received]
    assert len(ids) == len(set(ids))
    final: dict[str, int] = {}
    for seed, _ in received:
        final[seed.seed_id] = max(final.get(seed.seed_id, 0), seed.count)
    expected = {seed.seed_id: seed.count for seed in ingest_files([pg_logs.stderr]).seeds}
    # Announcements go out when a count doubles: the last one is within a factor of two.
    assert set(final) == set(expected)
    assert all(expected[key] / 2 < count <= expected[key] for key, count in final.items())


def test_main_builds_an_app(tmp_path: Path) -> None:
    app = main(IngestSettings(ingest_paths=[tmp_path / "x.log"], ingest_state_dir=tmp_path))
    assert isinstance(app, FastStream)
