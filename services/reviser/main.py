"""Reviser service: review checked samples, repair failed ones, reject after N attempts."""

from __future__ import annotations

from faststream import FastStream

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from shared.pipeline.engines import OpenedEngine, open_draft_engine
from shared.pipeline.revise import ReviserStage
from shared.settings import ServiceSettings
from shared.sql.dialects import parse_engine


class ReviserSettings(ServiceSettings):
    generator: str = "template"
    # The run's engines: a Claude repair checks its SQL on the engines that reported the error.
    engines: str = "sqlite,postgres,mysql"
    tools_on_engines: bool = True


async def start(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, ReviserSettings)
    tools = [parse_engine(n) for n in settings.engines.split(",") if n.strip()]
    opened = await open_draft_engine(
        settings.generator,
        metrics=service.metrics,
        tool_engines=tools if settings.tools_on_engines else [],
    )
    service.state["engine"] = opened
    # Review (the rules, then the engine's judge if it has one) and repair share the engine.
    service.state["stage"] = ReviserStage(opened.engine)


async def stop(service: Service) -> None:
    opened: OpenedEngine | None = service.state.pop("engine", None)
    if opened is not None:
        await opened.aclose()


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
