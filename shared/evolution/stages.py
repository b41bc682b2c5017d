"""The pipeline's own stages for evolved drafts, in one process: validator (three engines,
sense checks), reviser (rules review; repair rejects after the one attempt), exact dedup
against the parents and each other. The same table the services run (PipelineDriver)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from proto import subjects
from proto.common import Engine
from shared.engines.validator import Validator
from shared.evolution.parents import split_context
from shared.pipeline.dedup import ExactDedupStage, MemoryClaimStore, fingerprint_keys, schema_scope
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.revise import ReviserStage
from shared.pipeline.routes import PipelineDriver, StageFn
from shared.pipeline.template_adapter import TemplateDraftEngine
from shared.pipeline.validate import ValidatorStage

if TYPE_CHECKING:
    from shared.engines.base import SqlEngine


async def claim_parents(
    store: MemoryClaimStore, records: Iterable[Mapping[str, Any]], run_id: str
) -> None:
    """The parents' questions and SQL are taken: an evolution that equals one is a duplicate."""
    for record in records:
        ddl, _ = split_context(str(record.get("sql_context") or ""))
        scope = f"{run_id}.{schema_scope(ddl)}"
        keys = fingerprint_keys(scope, record.get("sql_prompt"), str(record.get("sql")), "sqlite")
        for key in keys.values():
            await store.claim(key, str(record.get("id")))


def build_driver(
    engines: Mapping[Engine, SqlEngine],
    store: MemoryClaimStore,
    sense: bool = True,
    generate: bool = False,
) -> tuple[PipelineDriver, ValidatorStage]:
    """The driver and its validator stage (close it when done: it owns the sense workers).
    `generate` adds the generator stage (template engine) for planned samples."""
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
            subjects.SAMPLE_REVIEWED: ExactDedupStage(store),
        }
    )
    return driver, validator
