"""Reviser service: review checked samples, repair failed ones, reject after N attempts."""

from __future__ import annotations

from dataclasses import dataclass

from faststream import FastStream

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from services.common.draft_engine import DraftEngineSettings, open_service_engine
from shared.pipeline.engines import OpenedEngine
from shared.pipeline.revise import ReviserStage


class ReviserSettings(DraftEngineSettings):
    """A Claude repair checks its SQL on the engines that reported the error."""


@dataclass
class ReviserState:
    engine: OpenedEngine
    stage: ReviserStage


ReviserService = Service[ReviserSettings, ReviserState]


async def start(service: ReviserService) -> None:
    opened = await open_service_engine(service, service.settings)
    # Review (the rules, then the engine's judge if it has one) and repair share the engine.
    service.started = ReviserState(opened, ReviserStage(opened.engine))


async def stop(service: ReviserService) -> None:
    """At shutdown the reviser only closes its engine."""
    state, service.started = service.started, None
    if state is not None:
        await state.engine.aclose()


def main() -> FastStream:
    service: ReviserService = create_service("reviser", ReviserSettings())
    service.subscribe_routes(
        Stage.REVISER,
        {
            subjects.SAMPLE_CHECKED: lambda: service.state.stage.review,
            subjects.SAMPLE_FAILED: lambda: service.state.stage.repair,
        },
    )
    return create_app(service, on_startup=start, on_shutdown=stop)
