"""Coverage-driven table selection (SQL-Factory's Management Team: schedule by schema coverage).

SQL-Factory observes that treating all tables alike under-uses structurally rich tables and
over-uses easy ones. The planner therefore anchors each sample on one of the tables that anchored
the fewest samples of its domain so far in this run (ties broken at random): every table of a
domain is used before any is used again, whatever the generator would have preferred.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from shared.generation.template.schema.catalogue import load_catalogue


def coverage_key(domain: str, table: str) -> str:
    return f"{domain}.{table}"


def domain_tables(domain: str) -> list[str]:
    catalogue = load_catalogue()
    return [t.name for t in catalogue[domain].tables] if domain in catalogue else []


def choose_anchor(domain: str, coverage: Mapping[str, int], rng: random.Random) -> str | None:
    """The table a sample must use, favouring the least-covered; None if the domain is unknown."""
    tables = domain_tables(domain)
    if not tables:
        return None
    counts = {t: coverage.get(coverage_key(domain, t), 0) for t in tables}
    fewest = min(counts.values())
    return rng.choice([t for t in tables if counts[t] == fewest])
