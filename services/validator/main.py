"""Validator service: execute drafts on SQLite, PostgreSQL and MySQL, measure conformance."""

from __future__ import annotations

from dataclasses import dataclass

from faststream import FastStream

from proto import subjects
from proto.common import Engine, Stage
from services.common.app import Service, create_app, create_service
from shared.engines.base import SqlEngine
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


@dataclass
class ValidatorState:
    engines: dict[Engine, SqlEngine]
    stage: ValidatorStage


ValidatorService = Service[ValidatorSettings, ValidatorState]


async def start(service: ValidatorService) -> None:
    settings = service.settings
    wanted = [parse_engine(name) for name in settings.engines.split(",") if name.strip()]
    engines = await open_engines(EngineSettings(), wanted)
    stage = ValidatorStage(Validator(engines), set(engines), settings.sense)
    service.started = ValidatorState(engines, stage)


async def stop(service: ValidatorService) -> None:
    state, service.started = service.started, None
    if state is not None:
        state.stage.close()
        for engine in state.engines.values():
            await engine.close()


def main() -> FastStream:
    service: ValidatorService = create_service("validator", ValidatorSettings())
    service.sample_subscriber(
        subjects.SAMPLE_DRAFTED, "validator", Stage.VALIDATOR, lambda: service.state.stage
    )
    return create_app(service, on_startup=start, on_shutdown=stop)
