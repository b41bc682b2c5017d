"""Planning from seeds: which seed a sample starts from, and what it does with it (SQL-Factory).

SQL-Factory grows its pool from seed queries two ways, and so does the planner:
- back-translation: keep a seed's SQL (a real query from a trace) and have the model write the
  question and explanation for it, then verify the pair — each seed at most once, since a second
  back-translation of the same SQL is a duplicate by construction;
- expansion: a new query over the seed's schema, with the seed as the example of what users ask
  of it. The blueprint's other properties (style, complexity, features) still come from the spec,
  so a run from seeds is as diverse as the spec says, on the users' own schemas.

Seeds are scheduled least-used first (ties broken by a per-sample random draw), the coverage
rule the planner also applies to catalogue tables: every seed is used once before any twice.
Everything is a pure function of the plan and the sample index, so replanning is idempotent.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache

from proto.common import JoinKind, SeedMode
from proto.sample import Blueprint
from proto.seed import SeedEvent
from shared.datasets.contamination import match_seed
from shared.errors import GenerationError
from shared.generation.template.seed.seed_schema import seed_domain as template_seed_domain
from shared.spec.model import DOMAIN
from shared.spec.question_lead import QUESTION_WORDS
from shared.spec.rules import NO_JOIN

_CREATE_TABLE = re.compile(r"\bCREATE\s+(?:TEMP(?:ORARY)?\s+)?TABLE\b", re.IGNORECASE)
_LABEL = re.compile(r"[^A-Za-z0-9_-]+")


def schema_tables(ddl: str) -> int:
    """How many tables a DDL creates (what a query on it can join at most)."""
    return len(_CREATE_TABLE.findall(ddl))


def seed_domain(seed: SeedEvent) -> str:
    """The domain label of a seed's schema: its database id, else a hash of its DDL."""
    if seed.db_id and _LABEL.sub("", seed.db_id):
        return "seed_" + _LABEL.sub("_", seed.db_id).strip("_")[:48]
    digest = hashlib.sha256((seed.schema_ddl or "").encode()).hexdigest()[:10]
    return f"seed_{digest}"


def usable(seed: SeedEvent) -> bool:
    """A seed the generators can work from: it has a schema to write on."""
    return bool(seed.schema_ddl and schema_tables(seed.schema_ddl))


# Example statements shared by the samples of one schema (more add little and grow every envelope).
MAX_EXAMPLES = 12


def schema_examples(seeds: Mapping[str, SeedEvent]) -> dict[str, tuple[str, ...]]:
    """Per schema DDL, the SQL of its seeds (by seed id, capped): the same for every sample on
    that schema, so the template engine builds one domain and one fixture for all of them."""
    grouped: dict[str, list[str]] = {}
    for seed_id in sorted(seeds):
        seed = seeds[seed_id]
        if seed.schema_ddl:
            grouped.setdefault(seed.schema_ddl, []).append(seed.sql)
    return {ddl: tuple(sqls[:MAX_EXAMPLES]) for ddl, sqls in grouped.items()}


@lru_cache(maxsize=2048)
def template_reach(ddl: str, examples: tuple[str, ...]) -> int:
    """Most tables one template query can join on a seed schema: the largest group of tables
    linked by foreign keys (declared, or found in the seed's joins). 0 when the template engine
    cannot use the schema at all, so such seeds are not planned for it."""
    probe = Blueprint(domain="seed", seed_schema=ddl, seed_examples=list(examples))
    try:
        domain = template_seed_domain(probe)
    except GenerationError:
        return 0
    group = {table.name: table.name for table in domain.tables}

    def root(name: str) -> str:
        while group[name] != name:
            name = group[name]
        return name

    for table in domain.tables:
        for fk in table.foreign_keys:
            if fk.ref_table in group:
                group[root(table.name)] = root(fk.ref_table)
    sizes = Counter(root(name) for name in group)
    return max(sizes.values(), default=0)


def usable_by(seed: SeedEvent, generator: str) -> bool:
    """A seed this run's generator can write on (the template engine must model its schema)."""
    if not usable(seed):
        return False
    return generator != "template" or template_reach(seed.schema_ddl or "", (seed.sql,)) > 0


def choose_seed(seed_ids: Sequence[str], uses: Mapping[str, int], rng: random.Random) -> str | None:
    if not seed_ids:
        return None
    fewest = min(uses.get(s, 0) for s in seed_ids)
    return rng.choice([s for s in seed_ids if uses.get(s, 0) == fewest])


def back_translates(seed: SeedEvent, share: float, run_seed: int, first_use: bool) -> bool:
    """Whether this use of the seed keeps its SQL: only its first use, only a seed without a
    question, and only for the configured share of seeds (a fixed draw per seed)."""
    if not first_use or seed.question or share <= 0:
        return False
    return random.Random(f"{run_seed}:back-translate:{seed.seed_id}").random() < share


def seed_blueprint(
    drawn: Blueprint,
    seed: SeedEvent,
    mode: SeedMode,
    max_tables: int | None = None,
    examples: tuple[str, ...] = (),
) -> Blueprint:
    """The spec's blueprint moved onto the seed: its schema, its SQL as kept query or example.

    A query cannot join more tables than the schema has (or than `max_tables`, what the engine
    can link): the table count is capped, and a single-table plan drops its join kind.
    """
    assert seed.schema_ddl is not None, "only usable seeds are planned"
    limit = schema_tables(seed.schema_ddl) if max_tables is None else max_tables
    num_tables = max(1, min(drawn.num_tables, limit))
    join_kind: JoinKind | None = drawn.join_kind if num_tables > 1 else None
    domain = seed_domain(seed)
    # The sampled values follow the blueprint, so the report's spec check reads what was planned.
    properties = {**drawn.properties, DOMAIN: domain}
    if "num_tables" in properties:
        properties["num_tables"] = num_tables
    if join_kind is None and "join_kind" in properties:
        properties["join_kind"] = NO_JOIN
    if seed.evidence:
        properties["seed_evidence"] = seed.evidence
    if seed.question:
        # The seed's question is the sample's style reference (seed 001): its length is aimed at.
        properties[QUESTION_WORDS] = len(seed.question.split())
    benchmark = match_seed(seed)
    if benchmark is not None:
        # Training data built on an evaluation split's seeds contaminates that split: every
        # record says so, and the report and dataset card warn (shared.datasets.contamination).
        properties["seed_benchmark"] = benchmark[0].label
    return drawn.model_copy(
        update={
            "domain": domain,
            "num_tables": num_tables,
            "join_kind": join_kind,
            "schema_id": None,
            "tables": [],
            "seed_id": seed.seed_id,
            "seed_sql": seed.sql,
            "seed_schema": seed.schema_ddl,
            "seed_mode": mode,
            "seed_examples": list(examples),
            "properties": properties,
        }
    )
