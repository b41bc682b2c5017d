"""Validator service: execute drafts on SQLite, PostgreSQL and MySQL, measure conformance."""

from __future__ import annotations

from collections.abc import Sequence

from faststream import FastStream

from proto import subjects
from proto.common import Stage
from proto.sample import SampleEnvelope
from services.common.app import Service, create_app, create_service
from services.common.delivery import StageFn
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.metrics import Metrics
from shared.pipeline.emit import Emit
from shared.pipeline.validate import ValidatorStage
from shared.settings import ServiceSettings
from shared.sql.dialects import parse_engine


class ValidatorSettings(ServiceSettings):
    # Comma-separated engine names this replica checks on.
    engines: str = "sqlite,postgres,mysql"
    workers: int = 32


async def start(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, ValidatorSettings)
    wanted = [parse_engine(name) for name in settings.engines.split(",") if name.strip()]
    engines = await open_engines(EngineSettings(), wanted)
    service.state["engines"] = engines
    stage = ValidatorStage(Validator(engines), set(engines))
    service.state["stage"] = timed(stage, service.metrics)


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


async def stop(service: Service) -> None:
    for engine in service.state.get("engines", {}).values():
        await engine.close()


def main() -> FastStream:
    service = create_service("validator", ValidatorSettings())
    service.sample_subscriber(
        subjects.SAMPLE_DRAFTED, "validator", Stage.VALIDATOR, lambda: service.state["stage"]
    )
    return create_app(service, on_startup=start, on_shutdown=stop)
