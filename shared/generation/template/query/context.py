"""The state one build carries: the blueprint's demands, the rows, the random source, names."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from proto.common import Complexity, JoinKind, PromptStyle, SqlFeature, TaskType
from proto.sample import Blueprint
from shared.generation.template.instance.rowstore import RowStore
from shared.generation.template.query.fields import Aliases

# Features a WHERE-clause subquery realises (each can host tables of its own).
SUBQUERY_FEATURES = frozenset(
    {SqlFeature.IN_SUBQUERY, SqlFeature.EXISTS_SUBQUERY, SqlFeature.SCALAR_SUBQUERY}
)
# A result larger than this is narrowed with more filters (the validator caps rows at 1000).
MAX_ROWS = 60


@dataclass
class Ctx:
    store: RowStore
    rng: random.Random
    features: frozenset[SqlFeature]
    task: TaskType
    complexity: Complexity
    style: PromptStyle
    num_tables: int
    join_kind: JoinKind | None
    required: tuple[str, ...] = ()
    aliases: Aliases = field(default_factory=Aliases)
    # Strict attempts reject what does not make sense (idle tables, unwitnessed subqueries,
    # lists of one row or of a page); the engine's last attempts relax them so every planned
    # feature stays realisable, at the price of a sense finding the pipeline then repairs.
    strict: bool = True
    # Conditions the plan states in the core WHERE (spec property stated_filters, measured on
    # seeds); None keeps the engine's own choice.
    filters: int | None = None
    # What a computed label the question names stands for ("price band" -> its cut), for the
    # record's evidence: the question says the label, the evidence its definition.
    definitions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_blueprint(cls, blueprint: Blueprint, store: RowStore, rng: random.Random) -> Ctx:
        features = set(blueprint.features)
        # Planned features imply others in SQL: HAVING filters groups, LIMIT needs a stable order.
        if SqlFeature.HAVING in features:
            features |= {SqlFeature.AGGREGATE}
        if SqlFeature.GROUP_BY in features:
            features |= {SqlFeature.AGGREGATE}
        if SqlFeature.LIMIT in features:
            features |= {SqlFeature.ORDER_BY}
        return cls(
            store=store,
            rng=rng,
            features=frozenset(features),
            task=blueprint.task_type,
            complexity=blueprint.complexity,
            style=blueprint.prompt_style,
            num_tables=blueprint.num_tables,
            join_kind=blueprint.join_kind,
            required=tuple(dict.fromkeys(blueprint.tables)),
            aliases=Aliases({t.name for t in store.domain.tables}),
            filters=_planned_filters(blueprint),
        )

    def wants(self, feature: SqlFeature) -> bool:
        return feature in self.features

    @property
    def informal(self) -> bool:
        return self.style is PromptStyle.INFORMAL

    def count(self, easy: int, medium: int, hard: int) -> int:
        return {Complexity.EASY: easy, Complexity.MEDIUM: medium, Complexity.HARD: hard}[
            self.complexity
        ]


def _planned_filters(blueprint: Blueprint) -> int | None:
    value = blueprint.properties.get("stated_filters")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
