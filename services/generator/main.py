"""Generator service: blueprints in, drafts out (template engine, or Claude when configured)."""

from __future__ import annotations

from faststream import FastStream

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from shared.pipeline.engines import build_draft_engine
from shared.pipeline.generate import GeneratorStage
from shared.settings import ServiceSettings


class GeneratorSettings(ServiceSettings):
    generator: str = "template"


async def start(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, GeneratorSettings)
    service.state["stage"] = GeneratorStage(build_draft_engine(settings.generator))


def main() -> FastStream:
    service = create_service("generator", GeneratorSettings())
    service.sample_subscriber(
        subjects.SAMPLE_PLANNED, "generator", Stage.GENERATOR, lambda: service.state["stage"]
    )
    return create_app(service, on_startup=start)
