"""The draft engine a service holds (generator and reviser): settings, open at start, close."""

from __future__ import annotations

from services.common.app import Service
from shared.pipeline.engines import OpenedEngine, open_draft_engine
from shared.settings import ServiceSettings
from shared.sql.dialects import parse_engine


class DraftEngineSettings(ServiceSettings):
    generator: str = "template"
    # The run's engines (SQLSYNTH_ENGINES): Claude's run_query tool checks its SQL on them.
    engines: str = "sqlite,postgres,mysql"
    # False keeps the tool on an in-memory SQLite copy of the sample (no engine connections).
    tools_on_engines: bool = True


async def open_service_engine(service: Service, settings: DraftEngineSettings) -> OpenedEngine:
    """Open the configured engine, count its spend in the service's metrics, keep it in state."""
    tools = [parse_engine(n) for n in settings.engines.split(",") if n.strip()]
    opened = await open_draft_engine(
        settings.generator,
        metrics=service.metrics,
        tool_engines=tools if settings.tools_on_engines else [],
    )
    service.state["engine"] = opened
    return opened


async def close_service_engine(service: Service) -> None:
    opened: OpenedEngine | None = service.state.pop("engine", None)
    if opened is not None:
        await opened.aclose()
