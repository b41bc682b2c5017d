"""Validator service: execute drafts on SQLite, PostgreSQL and MySQL, measure conformance."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faststream import FastStream

from proto import subjects
from proto.common import Engine, Stage
from proto.sample import SampleEnvelope
from services.common.app import Service, create_app, create_service
from services.common.delivery import StageFn
from shared.engines.base import SqlEngine
from shared.engines.probe import servers_down
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.errors import EngineOutage, EngineUnavailable
from shared.metrics import Metrics
from shared.pipeline.emit import Emit
from shared.pipeline.validate import ValidatorStage
from shared.settings import ServiceSettings
from shared.sql.dialects import parse_engine


class ValidatorSettings(ServiceSettings):
    # Comma-separated engine names this replica checks on.
    engines: str = "sqlite,postgres,mysql"
    workers: int = 32
    # Sense checks after execution (docs/sense.md); SQLSYNTH_SENSE=0 turns them off.
    sense: bool = True


@dataclass
class ValidatorState:
    engines: dict[Engine, SqlEngine]
    stage: StageFn
    # Stops the sense checks' worker process (docs/sense.md).
    close_stage: Callable[[], None]


ValidatorService = Service[ValidatorSettings, ValidatorState]


async def start(service: ValidatorService) -> None:
    settings = service.settings
    wanted = [parse_engine(name) for name in settings.engines.split(",") if name.strip()]
    engine_settings = EngineSettings()
    engines = await open_engines(engine_settings, wanted)
    stage = ValidatorStage(Validator(engines), set(engines), settings.sense)
    guarded = breaker(stage, engine_settings, set(engines), service.log)
    service.started = ValidatorState(engines, timed(guarded, service.metrics), stage.close)


def breaker(stage: StageFn, settings: EngineSettings, engines: set[Engine], log: Any) -> StageFn:
    """An engine error whose server is down becomes an outage: the sample waits (delayed
    redelivery without spending its retry budget) instead of being rejected and replaced, so
    the run's in-flight window fills and planning pauses until the server is back. If the
    server answers the probe, the error stays the sample's own."""

    async def run(envelope: SampleEnvelope) -> Sequence[Emit]:
        try:
            return await stage(envelope)
        except EngineOutage:
            raise
        except EngineUnavailable as exc:
            down = await servers_down(settings, engines & set(envelope.engines))
            if not down:
                raise
            names = ", ".join(engine.value for engine in down)
            log.warning("engine outage: sample waits", engines=names, error=str(exc)[:200])
            raise EngineOutage(f"{names} not reachable (circuit open): {exc}") from exc

    return run


def timed(stage: StageFn, metrics: Metrics) -> StageFn:
    """The stage, with each engine check's own duration recorded (`sqlsynth_engine_seconds`)."""

    async def run(envelope: SampleEnvelope) -> Sequence[Emit]:
        emits = await stage(envelope)
        for emit in emits:
            validation = emit.envelope.validation
            for check in validation.checks if validation else []:
                seconds = check.elapsed_ms / 1e3
                metrics.observe_engine(check.engine.value, check.level.value, seconds)
        return emits

    return run


async def stop(service: ValidatorService) -> None:
    state, service.started = service.started, None
    if state is not None:
        state.close_stage()
        for engine in state.engines.values():
            await engine.close()


def main() -> FastStream:
    service: ValidatorService = create_service("validator", ValidatorSettings())
    service.subscribe_routes(
        Stage.VALIDATOR, {subjects.SAMPLE_DRAFTED: lambda: service.state.stage}
    )
    return create_app(service, on_startup=start, on_shutdown=stop)
