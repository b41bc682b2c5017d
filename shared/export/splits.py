"""Train / validation / test by base schema: no database appears in two splits.

A split by sample would put the same schema (often the same rows) in train and test, and the
test score would measure memorised tables, not generalisation (seed 002 §2: the cross-domain
setting keeps the domains of train, dev and test apart).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitPlan:
    """Target shares of records for validation and test; train takes the rest."""

    validation: float = 0.1
    test: float = 0.1
    salt: str = "sqlsynth"


def order_key(schema: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{schema}".encode()).hexdigest()


def assign_splits(counts: Mapping[str, int], plan: SplitPlan | None = None) -> dict[str, str]:
    """Schema → split. Schemas in a hash order fill test, then validation, up to their share
    of records, the rest is train; with three schemas or more every split gets at least one."""
    plan = plan or SplitPlan()
    schemas = sorted(counts, key=lambda s: order_key(s, plan.salt))
    total = sum(counts.values())
    targets = {"test": plan.test * total, "validation": plan.validation * total}
    assignment: dict[str, str] = {}
    filled: Counter[str] = Counter()
    remaining = len(schemas)
    for schema in schemas:
        split = "train"
        for name in ("test", "validation"):
            # Keep one schema for train whatever the shares say.
            fits = filled[name] + counts[schema] <= max(targets[name], 1)
            if remaining > 1 and (filled[name] == 0 or (filled[name] < targets[name] and fits)):
                split = name
                break
        assignment[schema] = split
        filled[split] += counts[schema]
        remaining -= 1
    return assignment
