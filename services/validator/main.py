"""Validator service: execute drafts on SQLite, PostgreSQL and MySQL, measure conformance."""

from __future__ import annotations

from faststream import FastStream

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.pipeline.validate import ValidatorStage
from shared.settings import ServiceSettings
from shared.sql.dialects import parse_engine


class ValidatorSettings(ServiceSettings):
    # Comma-separated engine names this replica checks on.
    engines: str = "sqlite,postgres,mysql"
    workers: int = 32
    # Sense checks after execution (docs/sense.md); SQLSYNTH_SENSE=0 turns them off.
    sense: bool = True


async def start(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, ValidatorSettings)
    wanted = [parse_engine(name) for name in settings.engines.split(",") if name.strip()]
    engines = await open_engines(EngineSettings(), wanted)
    service.state["engines"] = engines
    service.state["stage"] = ValidatorStage(Validator(engines), set(engines), settings.sense)


async def stop(service: Service) -> None:
    stage = service.state.get("stage")
    if stage is not None:
        stage.close()
    for engine in service.state.get("engines", {}).values():
        await engine.close()


def main() -> FastStream:
    service = create_service("validator", ValidatorSettings())
    service.sample_subscriber(
        subjects.SAMPLE_DRAFTED, "validator", Stage.VALIDATOR, lambda: service.state["stage"]
    )
    return create_app(service, on_startup=start, on_shutdown=stop)
