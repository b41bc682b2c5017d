"""SQL-Factory's loop (§4.1–4.3) in one process: each cycle either explores (the planner and
the draft engine write new samples) or expands (value variants of accepted samples, no model
call), as `manage.next_mode` decides from the last cycle's evaluation. Both go through the
same stages (PipelineDriver); the report says what each mode produced and at what cost."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field

from proto import subjects
from proto.common import Outcome, Stage
from proto.run import RunRequest
from proto.sample import SampleEnvelope
from shared.evolution.evolve import EvolveLog
from shared.evolution.expand import expand_parent
from shared.evolution.manage import CycleEvaluation, ManageConfig, Mode, next_mode
from shared.evolution.rounds import parent_of_envelope
from shared.pipeline.emit import Emit
from shared.pipeline.planner import RunPlanner, new_plan
from shared.pipeline.routes import PipelineDriver
from shared.sql.features import analyze_query


@dataclass(frozen=True)
class GrowConfig:
    cycles: int = 8
    cycle_size: int = 20  # samples planned (explore) or variants drafted (expand) per cycle
    variants: int = 2  # variants per seed sample when expanding
    manage: ManageConfig = field(default_factory=ManageConfig)
    # Off: every cycle explores (the baseline the loop is compared with).
    expand: bool = True


@dataclass
class GrowReport:
    evaluations: list[CycleEvaluation] = field(default_factory=list)
    accepted: dict[Mode, list[SampleEnvelope]] = field(
        default_factory=lambda: {mode: [] for mode in Mode}
    )
    drafted: Counter[Mode] = field(default_factory=Counter)
    cpu_s: dict[Mode, float] = field(default_factory=lambda: dict.fromkeys(Mode, 0.0))
    log: EvolveLog = field(default_factory=EvolveLog)


def pattern_of(envelope: SampleEnvelope) -> str:
    features = analyze_query(envelope.draft.sql).features if envelope.draft else None
    return features.pattern_hash if features is not None else ""


def select_seeds(
    pool: list[SampleEnvelope], patterns: Counter[str], tables: Counter[str], count: int
) -> list[SampleEnvelope]:
    """SQL-Factory §4.3.1: accepted samples over under-covered tables and thin patterns first."""

    def need(envelope: SampleEnvelope) -> tuple[int, int]:
        features = analyze_query(envelope.draft.sql).features if envelope.draft else None
        used = min((tables[t] for t in features.tables), default=0) if features else 0
        return (patterns[pattern_of(envelope)], used)

    candidates = [e for e in pool if e.blueprint.task_type.value != "data manipulation"]
    return sorted(candidates, key=need)[:count]


def _explore(request: RunRequest, cycle: int, size: int) -> list[Emit]:
    planned = request.model_copy(
        update={"run_id": f"{request.run_id}-c{cycle}", "count": size, "seed": request.seed + cycle}
    )
    return RunPlanner(new_plan(planned)).advance(None)[:size]


def _expand(
    seeds: list[SampleEnvelope], request: RunRequest, config: GrowConfig, report: GrowReport
) -> list[Emit]:
    emits: list[Emit] = []
    rng = random.Random(request.seed + len(report.evaluations))
    for seed in seeds:
        for variant in expand_parent(parent_of_envelope(seed), config.variants, rng, report.log):
            envelope = SampleEnvelope(
                run_id=seed.run_id,
                sample_id=variant.sample_id,
                max_attempts=1,
                engines=seed.engines,
                blueprint=variant.blueprint,
                draft=variant.draft,
            ).record(Stage.GENERATOR, Outcome.DRAFTED, f"expanded from {seed.sample_id}")
            emits.append(Emit(subjects.SAMPLE_DRAFTED, envelope, Outcome.DRAFTED))
    return emits


async def grow(driver: PipelineDriver, request: RunRequest, config: GrowConfig) -> GrowReport:
    report = GrowReport()
    pool: list[SampleEnvelope] = []
    patterns: Counter[str] = Counter()
    tables: Counter[str] = Counter()
    # Each accepted sample seeds one expansion at most: one without a swappable literal would
    # otherwise head the queue (its pattern stays thin) in every expanding cycle.
    used: set[str] = set()
    for cycle in range(config.cycles):
        mode = next_mode(report.evaluations, config.manage) if config.expand else Mode.EXPLORE
        started = time.process_time()
        if mode is Mode.EXPAND:
            fresh = [e for e in pool if e.sample_id not in used]
            wanted = max(1, config.cycle_size // config.variants)
            seeds = select_seeds(fresh, patterns, tables, wanted)
            used.update(e.sample_id for e in seeds)
            emits = _expand(seeds, request, config, report)
        else:
            emits = _explore(request, cycle, config.cycle_size)
        final = await driver.run(emits)
        report.cpu_s[mode] += time.process_time() - started
        accepted = [e.envelope for e in final if e.subject == subjects.SAMPLE_ACCEPTED]
        redundant = 0
        for envelope in accepted:
            pattern = pattern_of(envelope)
            redundant += patterns[pattern] >= config.manage.pattern_cap
            patterns[pattern] += 1
            features = analyze_query(envelope.draft.sql).features if envelope.draft else None
            tables.update(features.tables if features else ())
        pool += accepted
        report.accepted[mode] += accepted
        report.drafted[mode] += len(emits)
        report.evaluations.append(CycleEvaluation(mode, len(emits), len(accepted), redundant))
    return report
