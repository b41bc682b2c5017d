"""Reviser service: review checked samples, repair failed ones, reject after N attempts."""

from __future__ import annotations

from faststream import FastStream

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from shared.pipeline.engines import build_draft_engine
from shared.pipeline.revise import ReviserStage
from shared.settings import ServiceSettings


class ReviserSettings(ServiceSettings):
    generator: str = "template"


async def start(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, ReviserSettings)
    service.state["stage"] = ReviserStage(build_draft_engine(settings.generator))


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
    return create_app(service, on_startup=start)
