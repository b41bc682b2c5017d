"""Generator service: blueprints in, drafts out (template engine, or Claude when configured).

Batch mode (SQLSYNTH_BATCH=1, Claude only): planned samples are collected into Message Batches
jobs at half price (services.generator.batch, shared.pipeline.batching) instead of one online
generation per message. Settings, env prefix SQLSYNTH_:
- BATCH (bool), BATCH_SIZE (samples per job, at most the consumer's max_ack_pending),
  BATCH_WAIT_S (a job is submitted this long after its first sample, if not full before);
- BATCH_STATE_DIR (default `<OUT_DIR>/.state/llm-batches`): submitted batches, their results
  and the job journal, which make a restarted generator resume instead of paying again;
- LLM_BATCH_POLL_S (shared.llm.settings): how often a running batch is polled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog
from faststream import FastStream
from faststream.nats.annotations import NatsMessage
from pydantic import Field

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from services.common.avoid_list import KvAvoidStore
from services.common.broker import consumer_config
from services.common.delivery import SampleDelivery
from services.common.draft_engine import DraftEngineSettings, open_service_engine
from services.generator.batch import BatchIntake
from shared.pipeline.batching import BatchGeneratorStage, BatchJournal
from shared.pipeline.engines import OpenedEngine
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.routes import routes_of
from shared.review.guidelines import GUIDELINES_FILE, GuidelinesFile

# The runner keeps a run's server state here (services/runner/run.py STATE_DIR); services do
# not import each other, so the name is repeated.
STATE_DIR = ".state"


class GeneratorSettings(DraftEngineSettings):
    out_dir: Path = Path("out")
    # Batch mode: see the module docstring.
    batch: bool = False
    batch_size: int = Field(default=100, ge=1)
    batch_wait_s: float = Field(default=30.0, gt=0)
    batch_state_dir: Path | None = None

    def batch_dir(self) -> Path:
        return self.batch_state_dir or self.out_dir / STATE_DIR / "llm-batches"


@dataclass
class GeneratorState:
    engine: OpenedEngine
    stage: GeneratorStage
    # One delivery policy for the online and the batch path of batch mode, so a copy of a
    # message one path is handling is recognised by the other.
    delivery: SampleDelivery
    # None when not in batch mode, or in batch mode with an engine that has no batch path.
    intake: BatchIntake | None = None


GeneratorService = Service[GeneratorSettings, GeneratorState]


async def start(service: GeneratorService) -> None:
    settings = service.settings
    opened = await open_service_engine(service, settings)
    share_avoid_list(service, opened)
    delivery = SampleDelivery(Stage.GENERATOR, service.broker, settings, service.metrics)
    # Reviewer guidelines of the run in this output folder (written by `sqlsynth review`).
    guidelines = GuidelinesFile(settings.out_dir / GUIDELINES_FILE)
    state = GeneratorState(opened, GeneratorStage(opened.engine, guidelines), delivery)
    if settings.batch:
        state.intake = open_batch_intake(service, state)
    service.started = state


def share_avoid_list(service: GeneratorService, opened: OpenedEngine) -> None:
    """The Claude engine's avoid-settings list, shared with the other replicas through NATS KV."""
    from shared.generation.claude.engine import ClaudeDraftEngine

    if isinstance(opened.engine, ClaudeDraftEngine):
        opened.engine.writer.tally.store = KvAvoidStore(service.broker)


def open_batch_intake(service: GeneratorService, state: GeneratorState) -> BatchIntake | None:
    """The batch path for the Claude engine; None (online, with a warning) for the others."""
    settings = service.settings
    log = structlog.get_logger()
    from shared.generation.claude.engine import ClaudeDraftEngine

    engine = state.engine.engine
    from shared.llm.client import LlmClient

    # Message Batches are Anthropic's: the engine on an OpenAI-compatible endpoint stays online.
    if not isinstance(engine, ClaudeDraftEngine) or not isinstance(engine.client, LlmClient):
        log.warning("batch mode is for the Claude engine; generating online", engine=engine.name)
        return None
    from shared.generation.claude.batch import BatchDraftGenerator
    from shared.llm.batches import BatchRunner

    held_max = consumer_config(settings).max_ack_pending or settings.batch_size
    if settings.batch_size > held_max:
        log.warning(
            "batch size above the messages the consumer hands out unacked; jobs fill up to that",
            batch_size=settings.batch_size,
            max_ack_pending=held_max,
        )
    state_dir = settings.batch_dir()
    runner = BatchRunner(engine.client, state_dir, poll_s=engine.client.settings.batch_poll_s)
    intake = BatchIntake(
        service.broker,
        service.metrics,
        state.delivery,
        state.stage,
        BatchGeneratorStage(BatchDraftGenerator(engine, runner), engine.name),
        BatchJournal(state_dir),
        size=settings.batch_size,
        wait_s=settings.batch_wait_s,
        beat_s=max(0.5, settings.ack_wait_s / 3),
    )
    log.info("batch mode", batch_size=settings.batch_size, state_dir=str(state_dir))
    return intake


async def stop(service: GeneratorService) -> None:
    state, service.started = service.started, None
    if state is None:
        return
    if state.intake is not None:
        await state.intake.aclose()
    await state.engine.aclose()


def create_generator(settings: GeneratorSettings) -> tuple[GeneratorService, FastStream]:
    """The service and its app; batch mode swaps the subscriber for the batch intake's."""
    service: GeneratorService = create_service("generator", settings)
    if not settings.batch:
        service.subscribe_routes(
            Stage.GENERATOR, {subjects.SAMPLE_PLANNED: lambda: service.state.stage}
        )
        return service, create_app(service, on_startup=start, on_shutdown=stop)

    # The batch intake replaces the shared delivery wrapper, on the same route.
    [route] = routes_of(Stage.GENERATOR)

    @service.subscriber(route.subject, route.durable)
    async def handle(msg: NatsMessage) -> None:
        state = service.state
        if state.intake is None:  # not the Claude engine: online, as without batch mode
            await state.delivery.handle(msg, state.stage)
        else:
            await state.intake.handle(msg)

    return service, create_app(service, on_startup=start, on_shutdown=stop)


def main() -> FastStream:
    return create_generator(GeneratorSettings())[1]
