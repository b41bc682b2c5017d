"""Saturation: is the pool still growing in new directions? (SQL-Factory, §5.2.5)

SQL-Factory stops when its expansion dominates and "the similarity curve shows a persistent
upward trend". Here each judged sample is one observation (duplicate or not, its nearest
question cosine and SQL hybrid score to the accepted pool) kept in rolling windows per run, per
schema and per property region (domain / task type / complexity: the planner's vocabulary), and
`saturation_advice` turns the windows into what the planner can act on: regions and schemas to
plan less of, and whether to stop a run started with `--until-saturated`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from proto.run import SaturationWindow

RUN_WINDOW = 200
KEY_WINDOW = 50


@dataclass(frozen=True)
class Observation:
    duplicate: bool
    sql_similarity: float
    question_similarity: float | None = None


def observation_from_scores(
    duplicate: bool, scores: dict[str, float], has_question: bool = True
) -> Observation:
    """The observation a DedupVerdict carries (its `duplicate` and `scores`), so that whoever
    sees every verdict of a run (the sink) can track saturation exactly, across replicas."""
    exact = scores.get("similarity", 0.0)  # the exact layer scores 1.0 and nothing else
    return Observation(
        duplicate=duplicate,
        sql_similarity=scores.get("sql_hybrid", exact),
        question_similarity=scores.get("question_cosine", exact) if has_question else None,
    )


class WindowStats(SaturationWindow):
    """Figures of one rolling window (the fields are the run status's SaturationWindow);
    `seen` counts every observation ever made for the key."""

    @classmethod
    def of(cls, seen: int, window: Sequence[Observation]) -> WindowStats:
        if not window:
            return cls(seen=seen)
        sql = [o.sql_similarity for o in window]
        questions = [o.question_similarity for o in window if o.question_similarity is not None]
        half = len(sql) // 2
        trend = _mean(sql[half:]) - _mean(sql[:half]) if half else 0.0
        return cls(
            seen=seen,
            window=len(window),
            duplicate_rate=sum(o.duplicate for o in window) / len(window),
            mean_sql_similarity=_mean(sql),
            mean_question_similarity=_mean(questions),
            similarity_trend=trend,
        )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class RunSaturation:
    run_id: str
    run: WindowStats = field(default_factory=WindowStats)
    schemas: dict[str, WindowStats] = field(default_factory=dict)
    regions: dict[str, WindowStats] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def dump(stats: dict[str, WindowStats]) -> dict[str, Any]:
            return {key: value.model_dump() for key, value in stats.items()}

        return {
            "run_id": self.run_id,
            "run": self.run.model_dump(),
            "schemas": dump(self.schemas),
            "regions": dump(self.regions),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSaturation:
        return cls(
            run_id=str(data["run_id"]),
            run=WindowStats(**data.get("run", {})),
            schemas={k: WindowStats(**v) for k, v in data.get("schemas", {}).items()},
            regions={k: WindowStats(**v) for k, v in data.get("regions", {}).items()},
        )


class _Window:
    def __init__(self, size: int) -> None:
        self.items: deque[Observation] = deque(maxlen=size)
        self.seen = 0

    def add(self, observation: Observation) -> None:
        self.items.append(observation)
        self.seen += 1

    def stats(self) -> WindowStats:
        return WindowStats.of(self.seen, list(self.items))


class SaturationTracker:
    """Rolling windows per run, schema and region (in memory; one per dedup process)."""

    def __init__(self, run_window: int = RUN_WINDOW, key_window: int = KEY_WINDOW) -> None:
        self.run_window = run_window
        self.key_window = key_window
        self._runs: dict[str, _Window] = {}
        self._schemas: dict[str, dict[str, _Window]] = {}
        self._regions: dict[str, dict[str, _Window]] = {}

    def observe(self, run_id: str, schema: str, region: str, observation: Observation) -> None:
        self._runs.setdefault(run_id, _Window(self.run_window)).add(observation)
        schemas = self._schemas.setdefault(run_id, {})
        schemas.setdefault(schema, _Window(self.key_window)).add(observation)
        regions = self._regions.setdefault(run_id, {})
        regions.setdefault(region, _Window(self.key_window)).add(observation)

    def runs(self) -> list[str]:
        return list(self._runs)

    def run_stats(self, run_id: str) -> WindowStats:
        """The run's window alone (cheap enough for every verdict; `stats` walks every key)."""
        run = self._runs.get(run_id)
        return run.stats() if run else WindowStats()

    def schema_stats(self, run_id: str, schema: str) -> WindowStats:
        window = self._schemas.get(run_id, {}).get(schema)
        return window.stats() if window else WindowStats()

    def region_stats(self, run_id: str, region: str) -> WindowStats:
        window = self._regions.get(run_id, {}).get(region)
        return window.stats() if window else WindowStats()

    def stats(self, run_id: str) -> RunSaturation:
        run = self._runs.get(run_id)
        return RunSaturation(
            run_id=run_id,
            run=run.stats() if run else WindowStats(),
            schemas={k: w.stats() for k, w in self._schemas.get(run_id, {}).items()},
            regions={k: w.stats() for k, w in self._regions.get(run_id, {}).items()},
        )


def merge_saturation(views: Iterable[RunSaturation]) -> RunSaturation | None:
    """Combine the views of several dedup replicas (each saw a share of the samples).

    Rates and means are weighted by window size: an approximation of one window over all
    samples, exact when the replicas' windows are disjoint and not yet full.
    """
    views = list(views)
    if not views:
        return None

    def combine(stats: list[WindowStats]) -> WindowStats:
        total = sum(s.window for s in stats)
        if not total:
            return WindowStats(seen=sum(s.seen for s in stats))

        def weighted(attr: str) -> float:
            return float(sum(getattr(s, attr) * s.window for s in stats)) / total

        return WindowStats(
            seen=sum(s.seen for s in stats),
            window=total,
            duplicate_rate=weighted("duplicate_rate"),
            mean_sql_similarity=weighted("mean_sql_similarity"),
            mean_question_similarity=weighted("mean_question_similarity"),
            similarity_trend=weighted("similarity_trend"),
        )

    def combine_keys(maps: list[dict[str, WindowStats]]) -> dict[str, WindowStats]:
        keys = sorted({key for m in maps for key in m})
        return {key: combine([m[key] for m in maps if key in m]) for key in keys}

    return RunSaturation(
        run_id=views[0].run_id,
        run=combine([v.run for v in views]),
        schemas=combine_keys([v.schemas for v in views]),
        regions=combine_keys([v.regions for v in views]),
    )


@dataclass(frozen=True)
class SaturationPolicy:
    # A window judges nothing before it holds this many observations.
    min_samples: int = 30
    # A schema or region is "mostly redundant" at this duplicate rate: plan it less.
    key_duplicate_rate: float = 0.5
    # The run is saturated at this duplicate rate over its window...
    stop_duplicate_rate: float = 0.7
    # ... or when new samples sit this close to the pool and keep getting closer (SQL-Factory).
    stop_similarity: float = 0.85


@dataclass(frozen=True)
class SaturationAdvice:
    stop: bool
    avoid_schemas: tuple[str, ...] = ()
    avoid_regions: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


def saturation_advice(
    stats: RunSaturation, policy: SaturationPolicy | None = None
) -> SaturationAdvice:
    """What the planner should do with a run's saturation figures (a pure function)."""
    policy = policy or SaturationPolicy()

    def redundant(stats_by_key: dict[str, WindowStats]) -> tuple[str, ...]:
        return tuple(
            sorted(
                key
                for key, s in stats_by_key.items()
                if s.window >= policy.min_samples and s.duplicate_rate >= policy.key_duplicate_rate
            )
        )

    avoid_schemas, avoid_regions = redundant(stats.schemas), redundant(stats.regions)
    reasons: list[str] = []
    run = stats.run
    if run.window >= policy.min_samples:
        if run.duplicate_rate >= policy.stop_duplicate_rate:
            reasons.append(
                f"duplicate rate {run.duplicate_rate:.2f} >= {policy.stop_duplicate_rate:.2f} "
                f"over the last {run.window} samples"
            )
        if run.mean_sql_similarity >= policy.stop_similarity and run.similarity_trend > 0:
            reasons.append(
                f"mean similarity to the pool {run.mean_sql_similarity:.2f} >= "
                f"{policy.stop_similarity:.2f} and rising ({run.similarity_trend:+.3f})"
            )
        judged = [s for s in stats.schemas.values() if s.window >= policy.min_samples]
        if judged and len(avoid_schemas) == len(stats.schemas):
            reasons.append(f"every schema ({len(judged)}) is mostly redundant")
    return SaturationAdvice(
        stop=bool(reasons),
        avoid_schemas=avoid_schemas,
        avoid_regions=avoid_regions,
        reasons=tuple(reasons),
    )
