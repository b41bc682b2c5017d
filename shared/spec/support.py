"""Warnings about a valid spec asking for what some part of the pipeline cannot deliver.

Validation (`validate_spec`) rejects what cannot be sampled; these flags are softer: the spec
samples fine, but a value is not portable across the three engines, or a generator ignores a
property or domain. `sqlsynth spec` prints them after building or checking a spec.
"""

from __future__ import annotations

from proto.common import JoinKind
from shared.spec.marginals import expected_distribution
from shared.spec.model import Spec
from shared.spec.parse import read_default_domains
from shared.spec.rules import WELL_KNOWN

# Properties the generators read besides the well-known ones (planned schema shape).
GENERATION_SETTINGS = frozenset(
    {"columns_per_table", "rows_per_table", "declares_primary_keys", "declares_foreign_keys"}
)
NOT_PORTABLE_JOINS = {
    JoinKind.RIGHT.value: "RIGHT JOIN is excluded from portable SQL (DataFramer removed it too)",
    JoinKind.FULL.value: "FULL JOIN does not exist in MySQL/MariaDB",
}


def flag_unsupported(spec: Spec) -> list[str]:
    """One line per value, property or domain that some engine or generator cannot honour."""
    flags: list[str] = []
    if "join_kind" in spec.by_name:
        drawn = expected_distribution(spec, "join_kind")
        for kind, reason in NOT_PORTABLE_JOINS.items():
            share = drawn.get(kind, 0.0)
            if share > 0:
                flags.append(
                    f"join_kind {kind!r} is drawn for {share:.1%} of samples: {reason}; with "
                    "--policy portable those samples fail (keep the portable_joins constraint)"
                )
    for prop in spec.properties:
        if prop.name not in WELL_KNOWN and prop.name not in GENERATION_SETTINGS:
            flags.append(
                f"property {prop.name!r} is not one the pipeline knows: the Claude engine reads "
                "it from the plan, the template engine ignores it, conformance does not check it"
            )
    catalogue = {name for name, _ in read_default_domains()}
    outside = [name for name, weight in spec.domains if weight > 0 and name not in catalogue]
    if outside:
        flags.append(
            f"domain(s) {', '.join(outside)} are not in the template catalogue: only the Claude "
            "engine can generate them"
        )
    return flags
