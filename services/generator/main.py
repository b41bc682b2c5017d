"""Generator service: blueprints in, drafts out (template engine, or Claude when configured)."""

from __future__ import annotations

from faststream import FastStream

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from shared.pipeline.engines import OpenedEngine, open_draft_engine
from shared.pipeline.generate import GeneratorStage
from shared.settings import ServiceSettings
from shared.sql.dialects import parse_engine


class GeneratorSettings(ServiceSettings):
    generator: str = "template"
    # The run's engines (SQLSYNTH_ENGINES): Claude's run_query tool checks its SQL on them.
    engines: str = "sqlite,postgres,mysql"
    # False keeps the tool on an in-memory SQLite copy of the sample (no engine connections).
    tools_on_engines: bool = True


async def start(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, GeneratorSettings)
    tools = [parse_engine(n) for n in settings.engines.split(",") if n.strip()]
    opened = await open_draft_engine(
        settings.generator,
        metrics=service.metrics,
        tool_engines=tools if settings.tools_on_engines else [],
    )
    service.state["engine"] = opened
    service.state["stage"] = GeneratorStage(opened.engine)


async def stop(service: Service) -> None:
    opened: OpenedEngine | None = service.state.pop("engine", None)
    if opened is not None:
        await opened.aclose()


def main() -> FastStream:
    service = create_service("generator", GeneratorSettings())
    service.sample_subscriber(
        subjects.SAMPLE_PLANNED, "generator", Stage.GENERATOR, lambda: service.state["stage"]
    )
    return create_app(service, on_startup=start, on_shutdown=stop)
