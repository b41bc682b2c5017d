"""Ingest service: a source, not a consumer. On start it follows the configured files and
publishes a seed.ingested event for each new statement shape (and again when its count
doubles); the offsets and counts live in a state file under `ingest_state_dir`, committed only
after JetStream acknowledged the batch, so a restart neither loses nor repeats seeds."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

import structlog
from faststream import FastStream
from nats.errors import Error as NatsError
from pydantic import Field

from proto.common import Stage
from proto.seed import SeedEvent
from services.common.app import Service, create_app, create_service
from services.ingest.publisher import SeedPublisher
from shared.ingest.detect import InputFormat
from shared.ingest.follow import Follower
from shared.ingest.scrub import ScrubPolicy
from shared.settings import ServiceSettings
from shared.sql.pattern import pattern_hash


class IngestSettings(ServiceSettings):
    # SQLSYNTH_INGEST_PATHS='["/var/log/postgresql/postgresql.log"]'
    ingest_paths: list[Path] = Field(default_factory=list)
    ingest_format: InputFormat = InputFormat.AUTO
    ingest_dialect: str | None = None
    ingest_state_dir: Path = Path(".sqlsynth/ingest")
    ingest_poll_s: float = Field(default=1.0, gt=0)
    ingest_idle_s: float = Field(default=2.0, gt=0)
    ingest_max_words: int = Field(default=12, ge=1)


@dataclass
class IngestState:
    follower: Follower
    publisher: SeedPublisher
    task: asyncio.Task[None] | None = None


IngestService = Service[IngestSettings, IngestState]


async def follow_loop(service: IngestService, follower: Follower, publisher: SeedPublisher) -> None:
    """Poll, publish, then commit; a failed publish is retried before reading further, so the
    state file never gets ahead of what JetStream acknowledged."""
    settings = service.settings
    log = structlog.get_logger()
    announced = service.metrics.samples.labels(stage=Stage.INGEST.value, outcome="announced")
    issues = service.metrics.samples.labels(stage=Stage.INGEST.value, outcome="issue")
    pending: list[SeedEvent] = []
    reported = 0
    while True:
        try:
            if not pending:
                pending = await asyncio.to_thread(follower.poll)
            if pending:
                await publisher.send(pending)
                announced.inc(len(pending))
                pending = []
            follower.commit()
        except (OSError, NatsError, TimeoutError) as exc:
            log.warning("ingest publish failed, retrying", error=str(exc), pending=len(pending))
        stats = follower.stats
        for issue in stats.issues[reported:]:
            log.warning(
                "ingest issue", source=issue.source, position=issue.position, message=issue.message
            )
        if stats.issue_count > reported:
            issues.inc(stats.issue_count - reported)
        reported = stats.issue_count
        await asyncio.sleep(settings.ingest_poll_s)


def state_file(settings: IngestSettings) -> Path:
    """Named after the followed paths, not the replica: a restarted pod gets a new name but
    must find its offsets."""
    key = "\n".join(sorted(str(path) for path in settings.ingest_paths))
    return settings.ingest_state_dir / f"{pattern_hash(key)}.state.json"


async def start(service: IngestService) -> None:
    settings = service.settings
    follower = Follower(
        settings.ingest_paths,
        settings.ingest_format,
        state_path=state_file(settings),
        dialect=settings.ingest_dialect,
        policy=ScrubPolicy(max_words=settings.ingest_max_words),
        idle_seconds=settings.ingest_idle_s,
    )
    if not settings.ingest_paths:
        structlog.get_logger().warning("ingest has no paths to follow (SQLSYNTH_INGEST_PATHS)")
    publisher = await SeedPublisher.connect(settings.nats_url)
    state = service.started = IngestState(follower, publisher)
    state.task = asyncio.create_task(follow_loop(service, follower, publisher))


async def stop(service: IngestService) -> None:
    """Stop following; the state keeps its publisher's counts for whoever reads them after."""
    state = service.started
    if state is None:
        return
    if state.task is not None:
        state.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await state.task
        state.task = None
    state.follower.commit()
    state.follower.close()
    await state.publisher.close()


def main(settings: IngestSettings | None = None) -> FastStream:
    service: IngestService = create_service("ingest", settings or IngestSettings())
    return create_app(service, on_startup=start, on_shutdown=stop)
