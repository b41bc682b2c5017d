"""What the review app holds while it runs: the run's records, the decision store, and the
engines that re-validate edited SQL (opened in the app's lifespan, closed at its end)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from proto.common import Engine
from shared.engines.base import SqlEngine
from shared.engines.registry import EngineSettings
from shared.review.items import ReviewItem, load_items, order_queue
from shared.review.store import ReviewStore


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

    def __post_init__(self) -> None:
        self.items = order_queue(load_items(self.run_dir))

    @property
    def run_id(self) -> str:
        first = self.items[0].record.get("run_id") if self.items else None
        return first if isinstance(first, str) else self.run_dir.name

    def find(self, record_id: str) -> ReviewItem | None:
        return next((i for i in self.items if i.record_id == record_id), None)
