"""The pipeline's own stages for evolved drafts, in one process: validator (three engines,
sense checks), reviser (rules review; repair rejects after the one attempt), and the dedup
service's near-duplicate search against the parents and each other (exact only for the bench's
in-process loop). The same table the services run (PipelineDriver)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from proto import subjects
from proto.common import Engine
from shared.engines.validator import Validator
from shared.pipeline.dedup import ExactDedupStage, MemoryClaimStore
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.revise import ReviserStage
from shared.pipeline.routes import PipelineDriver, StageFn
from shared.pipeline.template_adapter import TemplateDraftEngine
from shared.pipeline.validate import ValidatorStage

if TYPE_CHECKING:
    from shared.engines.base import SqlEngine


def build_driver(
    engines: Mapping[Engine, SqlEngine],
    store: MemoryClaimStore,
    sense: bool = True,
    generate: bool = False,
    dedup: StageFn | None = None,
) -> tuple[PipelineDriver, ValidatorStage]:
    """The driver and its validator stage (close it when done: it owns the sense workers).
    `generate` adds the generator stage (template engine) for planned samples; `dedup` is the
    near-duplicate stage (shared.evolution.near_dedup), else exact dedup over `store`."""
    validator = ValidatorStage(Validator(dict(engines)), set(engines), sense=sense)
    engine = TemplateDraftEngine()
    reviser = ReviserStage(engine)
    handlers: dict[str, StageFn] = (
        {subjects.SAMPLE_PLANNED: GeneratorStage(engine)} if generate else {}
    )
    driver = PipelineDriver(
        {
            **handlers,
            subjects.SAMPLE_DRAFTED: validator,
            subjects.SAMPLE_CHECKED: reviser.review,
            subjects.SAMPLE_FAILED: reviser.repair,
            subjects.SAMPLE_REVIEWED: dedup or ExactDedupStage(store),
        }
    )
    return driver, validator
