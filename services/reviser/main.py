"""Reviser service: review checked samples, repair failed ones, reject after N attempts."""

from __future__ import annotations

from faststream import FastStream

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from services.common.draft_engine import (
    DraftEngineSettings,
    close_service_engine,
    open_service_engine,
)
from shared.pipeline.revise import ReviserStage


class ReviserSettings(DraftEngineSettings):
    """A Claude repair checks its SQL on the engines that reported the error."""


async def start(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, ReviserSettings)
    opened = await open_service_engine(service, settings)
    # Review (the rules, then the engine's judge if it has one) and repair share the engine.
    service.state["stage"] = ReviserStage(opened.engine)


# At shutdown the reviser only closes its engine.
stop = close_service_engine


def main() -> FastStream:
    service = create_service("reviser", ReviserSettings())
    service.sample_subscriber(
        subjects.SAMPLE_CHECKED,
        "reviser-review",
        Stage.REVISER,
        lambda: service.state["stage"].review,
    )
    service.sample_subscriber(
        subjects.SAMPLE_FAILED,
        "reviser-repair",
        Stage.REVISER,
        lambda: service.state["stage"].repair,
    )
    return create_app(service, on_startup=start, on_shutdown=stop)
