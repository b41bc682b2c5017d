"""What the review app holds while it runs: the run's records, the decision store, and the
engines that re-validate edited SQL (opened in the app's lifespan, closed at its end)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from proto.common import Engine
from shared.engines.base import SqlEngine
from shared.engines.registry import EngineSettings
from shared.review.guidelines import RunGuidelines, write_guidelines_file
from shared.review.held import HeldSample
from shared.review.items import ReviewItem, load_items, order_queue
from shared.review.live import item_of
from shared.review.store import ReviewStore

# The decision store's default file in the run folder.
REVIEW_DB = "review.sqlite"


@dataclass
class ReviewContext:
    run_dir: Path
    store: ReviewStore
    engine_settings: EngineSettings
    engines: list[Engine] = field(default_factory=lambda: list(Engine))
    opened: dict[Engine, SqlEngine] = field(default_factory=dict)
    # Called after guidelines change (writes the file the generator reads).
    on_guidelines: Callable[[ReviewContext], None] | None = None
    items: list[ReviewItem] = field(default_factory=list)
    # Live review (a run's held samples, services/review/live.py): the queue comes from the
    # store and grows while the run goes on; a decision is sent on by `on_decided`.
    live: bool = False
    fixed_run_id: str | None = None
    on_decided: Callable[[str], Awaitable[None]] | None = None
    # Records whose decision already went to the pipeline (live): no second decision.
    sent: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.live:
            self.items = order_queue(load_items(self.run_dir))

    def show_held(self, held: list[HeldSample]) -> None:
        """Replace the live queue with the held samples (stable order: need, then arrival)."""
        self.items = order_queue(item_of(h.envelope, h.position) for h in held)
        self.sent = {h.envelope.sample_id for h in held if h.published}

    @property
    def run_id(self) -> str:
        if self.fixed_run_id:
            return self.fixed_run_id
        first = self.items[0].record.get("run_id") if self.items else None
        return first if isinstance(first, str) else self.run_dir.name

    def find(self, record_id: str) -> ReviewItem | None:
        return next((i for i in self.items if i.record_id == record_id), None)


def write_run_guidelines(context: ReviewContext) -> None:
    """Keep `<run>/guidelines.json` equal to the stored guidelines (the generator reads it)."""
    texts = tuple(g.text for g in context.store.guidelines(context.run_id))
    write_guidelines_file(context.run_dir, RunGuidelines(context.run_id, texts))
