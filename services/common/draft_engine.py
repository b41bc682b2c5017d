"""The draft engine a service holds (generator and reviser): settings, open at start, close."""

from __future__ import annotations

from typing import Any

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


async def open_service_engine(
    service: Service[Any, Any], settings: DraftEngineSettings
) -> OpenedEngine:
    """Open the configured engine and count its spend in the service's metrics; the caller
    keeps it in its state and closes it at shutdown."""
    tools = [parse_engine(n) for n in settings.engines.split(",") if n.strip()]
    return await open_draft_engine(
        settings.generator,
        metrics=service.metrics,
        tool_engines=tools if settings.tools_on_engines else [],
    )
