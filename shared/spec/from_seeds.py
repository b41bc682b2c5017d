"""The spec that reproduces a set of seeds (DataFramer: "seeds define the distribution you want to
match"), with the counts behind every probability kept as evidence.

Every property of the default spec is estimated from the measured seeds (shared.spec.
seed_measure), with the dependencies the data supports: task_type and num_tables given
complexity, join_kind given num_tables, every feature given complexity (and the feature it
needs: GROUP BY given an aggregate, HAVING given GROUP BY, LIMIT given ORDER BY). Values that
are impossible by definition (an easy query with a CTE, an analytics query without an
aggregate) get probability 0; every other allowed value is smoothed:

- a marginal gets `alpha` pseudo-counts per allowed value (add-alpha smoothing);
- a conditional branch is shrunk toward the pooled estimate with `strength` pseudo-seeds,
  so a thin branch (30 hard seeds) borrows from the rest and an empty one equals the pool.

`strict=True` turns both off: a value never seen gets probability 0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proto.common import JoinKind, SqlFeature
from shared.spec.domain_map import map_domains
from shared.spec.seed_estimate import SchemaBuilder, Smoothing, tally
from shared.spec.seed_measure import SeedMeasurements, measure_seeds
from shared.spec.validate import default_spec

# Below this share of seeds with a catalogue domain, the seeds' domains are not used.
MIN_MAPPED_SHARE = 0.5


@dataclass
class SeedSpec:
    """The spec document built from seeds, the measurements, and what to tell the user."""

    document: dict[str, Any]
    seeds: SeedMeasurements
    notes: list[str] = field(default_factory=list)


def build_domains(seeds: SeedMeasurements, notes: list[str]) -> tuple[Any, dict[str, Any]]:
    """(the `domains:` value, evidence): the seeds' domains mapped onto the catalogue, or the
    default list when the seeds have none or too few of them map."""
    default = [name for name, _ in default_spec().domains]
    labels = tally(seeds.rows, lambda r: r.domain)
    if not labels:
        return default, {"note": "the seeds have no domain field: the default domains"}
    mapping = map_domains(str(label) for label in labels)
    weights: Counter[str] = Counter()
    for label, count in labels.items():
        target = mapping[str(label)]
        if target is not None:
            weights[target] += int(count)
    mapped = sum(weights.values()) / sum(labels.values())
    evidence: dict[str, Any] = {
        "labels": {
            str(k): {"seeds": int(n), "mapped_to": mapping[str(k)]} for k, n in labels.items()
        },
        "mapped_share": round(mapped, 4),
    }
    if mapped < MIN_MAPPED_SHARE:
        notes.append(
            f"only {mapped:.0%} of the seeds' domain labels map to catalogue domains: "
            "kept the default domains"
        )
        evidence["note"] = "too few labels map to the catalogue: the default domains"
        return default, evidence
    unmapped = sorted(str(k) for k, v in mapping.items() if v is None)
    if unmapped:
        notes.append(f"domain labels with no catalogue domain (left out): {', '.join(unmapped)}")
    return dict(weights.most_common()), evidence


def build_document(seeds: SeedMeasurements, *, strict: bool = False, name: str = "") -> SeedSpec:
    """The spec document reproducing `seeds` (every property, evidence included)."""
    if not seeds.rows:
        raise ValueError(f"{seeds.source}: no seed could be measured (nothing to build from)")
    smoothing = Smoothing.choose(strict)
    build = SchemaBuilder(seeds, smoothing)
    notes: list[str] = []
    properties = [
        build.complexity(),
        build.task_type(),
        build.prompt_style(),
        build.num_tables(),
        build.join_kind(),
        *(build.feature(f) for f in SqlFeature),
        build.columns_per_table(),
        build.rows_per_table(),
        build.primary_keys(),
        build.foreign_keys(),
    ]
    filters = build.stated_filters()
    if filters is not None:
        properties.append(filters)
    lead = build.question_lead()
    if lead is not None:
        properties.append(lead)
    domains, domain_evidence = build_domains(seeds, notes)
    portable = (
        seeds.raw_join_kinds[JoinKind.RIGHT.value] + seeds.raw_join_kinds[JoinKind.FULL.value]
    )
    if portable:
        notes.append(
            f"{portable} seed(s) use RIGHT or FULL JOIN: not portable (MySQL/MariaDB have no FULL "
            "JOIN), counted as left joins; the portable_joins constraint is kept"
        )
    document: dict[str, Any] = {
        "version": 1,
        "name": name or f"from-seeds-{Path(seeds.source).stem}",
        "description": f"Measured from {seeds.total} seeds of {Path(seeds.source).name}.",
        "evidence": {
            "source": seeds.source,
            "format": seeds.kind,
            "measured": seeds.total,
            "excluded": dict(seeds.excluded),
            "adjusted": dict(seeds.adjustments),
            "unreadable": seeds.unreadable,
            "join_kinds_as_written": dict(seeds.raw_join_kinds),
            "smoothing": {"alpha": smoothing.alpha, "prior_strength": smoothing.strength},
            "domains": domain_evidence,
        },
        "domains": domains,
        "properties": properties,
        "constraints": default_spec().to_document()["constraints"],
    }
    return SeedSpec(document, seeds, notes)


def spec_from_seeds(
    path: str | Path,
    *,
    format: str = "auto",
    strict: bool = False,
    weight_by_count: bool = False,
    name: str = "",
    dialect: str | None = None,
) -> SeedSpec:
    """Measure the seeds of a file and build the spec that reproduces them."""
    seeds = measure_seeds(path, format=format, weight_by_count=weight_by_count, dialect=dialect)
    return build_document(seeds, strict=strict, name=name)
