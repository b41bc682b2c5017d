"""SQL-Factory's explore/expand loop inside a run's planner (seed 003, §4.1.1 and §4.3).

An explore-expand run (`RunRequest.expand_ratio > 0`) is planned in rounds. A round is planned
whole, and the next one only once the sink has judged all of it: the Critical Agent's evaluation
E_t of a round is what the sink measured over it (pass rate, duplicate rate from the dedup
service's near-duplicate search) plus the share of its accepted samples whose structural
pattern was already common (redundancy, observed by the planner on `sample.accepted`).

The Management Agent's rule (`decide`), written down in docs/evolution.md:
- explore for `explore_rounds` rounds first (the pool of accepted patterns fills);
- then expand: `expand_ratio` of each round is planned as expansions of promising accepted
  samples (the rest still explores), as long as the last expanding round kept pass rate
  ≥ `min_pass_rate`, duplicate rate < `max_duplicate_rate` and redundancy < `max_redundancy`;
- when one of them trips, or no seed is left, the next round explores again (and after
  `explore_rounds` more, expansion resumes).

Seed selection (§4.3.1): promising = accepted at the first attempt with no sense finding, a
first-generation SELECT; seeds used least first, then thin patterns and under-covered tables.
A seed is expanded up to `seed_uses` times, each time with another kind of variant first
(table, then column, then value: `preferred_kind`), and leaves the pool once used up, so
promising samples of later rounds take its place (session 10: each seed used once, used
seeds kept their place in the capped pool, and expanding rounds shrank 24 -> 12 -> 4 -> 2).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from proto.common import ExpansionKind, SeedMode, TaskType
from proto.run import Growth, GrowthMode, GrowthRound, PatternSeed, RunRequest, RunStatus
from proto.sample import SampleEnvelope
from shared.evolution.expand import has_variants
from shared.evolution.parents import Parent
from shared.sql.features import analyze_query


@dataclass(frozen=True)
class GrowthConfig:
    explore_rounds: int = 2  # §4.1.1: "after a fixed number of generation cycles"
    pattern_cap: int = 3
    max_redundancy: float = 0.5
    max_duplicate_rate: float = 0.3
    min_pass_rate: float = 0.7
    # Seeds kept in the plan, each with its draft: bounded so the plan stays far below the KV's
    # value limit (NATS max_payload, 1 MB by default).
    pool_cap: int = 24
    # How often one seed is expanded (each time onto another kind of variant first).
    seed_uses: int = 3
    min_round: int = 4
    seen_cap: int = 2048


_INDEX = re.compile(r"-(\d+)$")


def round_size(request: RunRequest, config: GrowthConfig = GrowthConfig()) -> int:
    """Samples per round: given, or a fifth of the target (so the loop has rounds to adapt in),
    within the in-flight window."""
    size = request.round_size or max(config.min_round, -(-request.count // 5))
    return max(1, min(size, request.max_in_flight))


def index_of(sample_id: str) -> int | None:
    found = _INDEX.search(sample_id)
    return int(found.group(1)) if found else None


def round_of(growth: Growth, index: int) -> GrowthRound | None:
    owner = None
    for candidate in growth.rounds:
        if candidate.first <= index:
            owner = candidate
    return owner


def _promising(envelope: SampleEnvelope) -> bool:
    validation = envelope.validation
    sense = validation.sense if validation is not None else None
    return (
        envelope.draft is not None
        and envelope.attempt == 1
        and envelope.blueprint.seed_mode not in (SeedMode.PATTERN, SeedMode.EVOLVE)
        and not envelope.blueprint.evolution
        and envelope.blueprint.task_type is not TaskType.MANIPULATION
        and envelope.draft.sql.lstrip().upper().startswith(("SELECT", "WITH"))
        and not (sense is not None and sense.findings)
    )


def observe_accepted(growth: Growth, envelope: SampleEnvelope, config: GrowthConfig) -> None:
    """Count an accepted sample into its round's evaluation and the pattern/table tallies, and
    keep it as a seed when it is promising. Idempotent per sample (a redelivery counts once)."""
    if envelope.draft is None or envelope.sample_id in growth.seen:
        return
    growth.seen.append(envelope.sample_id)
    del growth.seen[: -config.seen_cap]
    features = analyze_query(envelope.draft.sql).features
    pattern = features.pattern_hash if features is not None else ""
    tables = sorted(features.tables) if features is not None else []
    index = index_of(envelope.sample_id)
    owner = round_of(growth, index) if index is not None else None
    if owner is not None:
        owner.observed += 1
        owner.redundant += growth.patterns.get(pattern, 0) >= config.pattern_cap
        owner.accepted_expand += envelope.blueprint.seed_mode is SeedMode.PATTERN
        owner.accepted_evolve += envelope.blueprint.seed_mode is SeedMode.EVOLVE
    if envelope.blueprint.seed_mode is SeedMode.EVOLVE and envelope.blueprint.evolution:
        op = envelope.blueprint.evolution[-1].value
        growth.operators[op] = growth.operators.get(op, 0) + 1
    growth.patterns[pattern] = growth.patterns.get(pattern, 0) + 1
    for table in tables:
        growth.tables[table] = growth.tables.get(table, 0) + 1
    if not _promising(envelope) or not has_variants(
        Parent(envelope.sample_id, envelope.draft, envelope.blueprint)
    ):
        return
    draft = envelope.draft.model_copy(
        update={"sql_by_dialect": {}, "sql_context_by_dialect": {}, "reasoning": None}
    )
    seed = PatternSeed(
        sample_id=envelope.sample_id,
        pattern=pattern,
        tables=tables,
        blueprint=envelope.blueprint,
        draft=draft,
    )
    growth.pool.append(seed)
    # A used-up seed gives its place to a new one (it kept it before, and the pool ran dry).
    uses = Counter(growth.used)
    growth.pool[:] = [s for s in growth.pool if uses[s.sample_id] < config.seed_uses]
    if len(growth.pool) > config.pool_cap:
        # Keep the least used, then the thinnest patterns: a common one has enough samples.
        growth.pool.sort(key=lambda s: (uses[s.sample_id], growth.patterns.get(s.pattern, 0)))
        del growth.pool[config.pool_cap :]


def select_seeds(
    growth: Growth, count: int, avoid_schemas: frozenset[str], max_uses: int = 1
) -> list[PatternSeed]:
    """§4.3.1: seeds used fewer than `max_uses` times, the least used first, then thin
    patterns and under-covered tables; each at most once in a round."""
    uses = Counter(growth.used)

    def need(seed: PatternSeed) -> tuple[int, int, int, str]:
        covered = min((growth.tables.get(t, 0) for t in seed.tables), default=0)
        pattern = growth.patterns.get(seed.pattern, 0)
        return (uses[seed.sample_id], pattern, covered, seed.sample_id)

    fresh = [s for s in growth.pool if uses[s.sample_id] < max_uses]
    open_ = [s for s in fresh if s.blueprint.domain not in avoid_schemas]
    return sorted(open_, key=need)[:count]


_KIND_ORDER = tuple(ExpansionKind)


def preferred_kind(growth: Growth, seed: PatternSeed) -> ExpansionKind:
    """The kind of variant a seed's next expansion tries first: table, column, value, in turn
    over its uses (a second expansion of a seed moves another way than its first)."""
    return _KIND_ORDER[growth.used.count(seed.sample_id) % len(_KIND_ORDER)]


def close_round(growth: Growth, status: RunStatus | None) -> None:
    """Fix the open round's figures from the sink's counters (deltas since it opened)."""
    current = growth.rounds[-1] if growth.rounds else None
    if current is None or current.closed:
        return
    accepted = status.accepted if status else 0
    duplicate = status.duplicate if status else 0
    finished = status.finished if status else 0
    current.accepted = accepted - growth.base_accepted
    current.duplicate = duplicate - growth.base_duplicate
    current.finished = finished - growth.base_finished
    current.mean_sql_similarity = status.saturation.run.mean_sql_similarity if status else 0.0
    current.closed = True
    growth.base_accepted, growth.base_duplicate, growth.base_finished = (
        accepted,
        duplicate,
        finished,
    )


def decide(growth: Growth, config: GrowthConfig) -> tuple[GrowthMode, str]:
    """S_{t+1} from the closed rounds (Eq. 1), and why in words (kept for the report)."""
    closed = [r for r in growth.rounds if r.closed]
    uses = Counter(growth.used)
    has_seeds = any(uses[s.sample_id] < config.seed_uses for s in growth.pool)
    if not closed:
        return GrowthMode.EXPLORE, "first round explores"
    last = closed[-1]
    if last.mode is GrowthMode.EXPAND:
        finished = max(last.finished, 1)
        pass_rate = last.accepted / finished
        duplicate_rate = last.duplicate / finished
        redundancy = last.redundant / last.observed if last.observed else 1.0
        if pass_rate < config.min_pass_rate:
            return GrowthMode.EXPLORE, f"pass rate {pass_rate:.2f} < {config.min_pass_rate}"
        if duplicate_rate >= config.max_duplicate_rate:
            return GrowthMode.EXPLORE, f"duplicate rate {duplicate_rate:.2f} ≥ limit"
        if redundancy >= config.max_redundancy:
            return GrowthMode.EXPLORE, f"pattern redundancy {redundancy:.2f} ≥ limit"
        if not has_seeds:
            return GrowthMode.EXPLORE, "no unused promising seed"
        return GrowthMode.EXPAND, "expansion kept quality"
    streak = 0
    for past in reversed(closed):
        if past.mode is not GrowthMode.EXPLORE:
            break
        streak += 1
    if streak < config.explore_rounds:
        return GrowthMode.EXPLORE, f"exploring round {streak + 1} of {config.explore_rounds}"
    if not has_seeds:
        return GrowthMode.EXPLORE, "no promising seed yet"
    return GrowthMode.EXPAND, f"{streak} exploring rounds done"


__all__ = [
    "GrowthConfig",
    "close_round",
    "decide",
    "index_of",
    "observe_accepted",
    "preferred_kind",
    "round_size",
    "select_seeds",
]
