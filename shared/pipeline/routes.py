"""The pipeline's routing table, and a driver that runs it in one process.

ROUTES says which service consumes each sample subject, under which durable name and stage.
The services subscribe from it (services.common.app.Service.subscribe_routes), and tests and
benchmarks run the same table without a broker through `PipelineDriver`, so the in-process
pipeline cannot drift from the deployed one.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from proto import subjects
from proto.common import Stage
from proto.sample import SampleEnvelope
from shared.engines.patience import patiently
from shared.pipeline.emit import Emit

StageFn = Callable[[SampleEnvelope], Awaitable[Sequence[Emit]]]


@dataclass(frozen=True)
class Route:
    """A subject, the service that consumes it, its durable consumer and its stage."""

    subject: str
    service: Stage
    durable: str
    stage: Stage


ROUTES: tuple[Route, ...] = (
    Route(subjects.SAMPLE_PLANNED, Stage.GENERATOR, "generator", Stage.GENERATOR),
    Route(subjects.SAMPLE_DRAFTED, Stage.VALIDATOR, "validator", Stage.VALIDATOR),
    Route(subjects.SAMPLE_CHECKED, Stage.REVISER, "reviser-review", Stage.REVISER),
    Route(subjects.SAMPLE_FAILED, Stage.REVISER, "reviser-repair", Stage.REVISER),
    Route(subjects.SAMPLE_REVIEWED, Stage.DEDUP, "dedup", Stage.DEDUP),
)
# Where a sample ends: the sink writes these (accepted, duplicate, rejected).
FINAL_SUBJECTS = frozenset(
    {subjects.SAMPLE_ACCEPTED, subjects.SAMPLE_DUPLICATE, subjects.SAMPLE_REJECTED}
)
ROUTED_SUBJECTS = frozenset(route.subject for route in ROUTES)


def routes_of(service: Stage) -> list[Route]:
    """The routes one service consumes, in table order."""
    return [route for route in ROUTES if route.service is service]


def check_handlers(handlers: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuse a handler for a subject the table does not route (a drifted wiring)."""
    unknown = sorted(set(handlers) - set(allowed))
    if unknown:
        raise ValueError(f"no route for {unknown}; the routing table has {sorted(allowed)}")


class PipelineDriver:
    """Runs sample emits through stage functions keyed by the subject they consume.

    Each emit goes to the handler of its subject; what the handler emits is followed in turn
    (depth first, as one sample's path). An emit whose subject has no handler here leaves the
    pipeline and is returned: a final subject, or a stage the caller chose not to run.
    """

    def __init__(self, handlers: Mapping[str, StageFn]) -> None:
        check_handlers(handlers, ROUTED_SUBJECTS)
        self.handlers = dict(handlers)

    async def run(self, emits: Iterable[Emit]) -> list[Emit]:
        """Follow `emits` until each sample left the pipeline; the emits that left, in order."""
        pending = list(emits)
        left: list[Emit] = []
        while pending:
            emit = pending.pop()
            handler = self.handlers.get(emit.subject)
            if handler is None:
                left.append(emit)
                continue
            # An engine that did not answer is asked again after a wait, as JetStream
            # redelivers the sample to a service; a stage that keeps failing ends the run.
            pending.extend(await patiently(functools.partial(handler, emit.envelope)))
        return left

    async def run_envelope(self, subject: str, envelope: SampleEnvelope) -> list[Emit]:
        """Start one envelope at `subject` (e.g. sample.planned) and follow it out."""
        handler = self.handlers[subject]
        return await self.run(await patiently(functools.partial(handler, envelope)))
