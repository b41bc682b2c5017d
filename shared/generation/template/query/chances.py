"""The chances the query builder draws with, named in one place.

Each field is the probability that `rng.random() < p` takes the first branch at one choice of
query/ (the module that draws it in brackets). Changing one changes which queries a seed gives;
the words' own chances (`words/`) and schema shapes (`schema/variants.py`, `instance/rows.py`)
keep theirs beside their code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chances:
    # Plan (base.py)
    leaf_subject: float = 0.5  # a one-table query reads a table no other table references
    one_leaf_to_subquery: float = 0.4  # with a join kind planned, a leaf of 3+ tables moves
    # Shape of a SELECT (compose.py, core.py)
    analytics_groups: float = 0.5  # an analytics aggregate is per group rather than one total
    top_n_per_group: float = 0.7  # a wrapped window over rows keeps the top rows per group
    outer_totals: float = 0.6  # wrapped totals are taken over the inner query's rows
    extra_measure_grouped: float = 0.25  # groups show a value measure beside their count
    extra_measure_totals: float = 0.6  # totals show a value measure beside their count
    # What a level shows (outputs.py)
    date_metric: float = 0.3  # a date column joins the measures (its MAX or MIN)
    group_window_rank: float = 0.6  # a window over groups ranks them rather than totals them
    # Order (compose.py)
    groups_desc: float = 0.75  # groups sorted by their metric, highest first
    rows_desc: float = 0.7  # rows sorted by a measure, date or count, highest first
    # Filters (predicates.py, subqueries.py)
    not_null_filter: float = 0.3  # a nullable column offers IS NOT NULL among its filters
    witness_first: float = 0.5  # an IN list names the witness value first
    scalar_on_own_table: float = 0.7  # a scalar subquery reads the subject's own table
    subquery_on_own_table: float = 0.3  # another subquery reads the subject's own table
    subquery_unfiltered: float = 0.25  # a correlated subquery leaves out its inner filter
    # Data changes (dml.py, dml_parts.py)
    update_not_delete: float = 0.55  # an insert that fits no new row becomes an update
    ranked_target_desc: float = 0.5  # a ranked change picks the highest rows, not the lowest
    price_up: float = 0.6  # a change to an amount raises it rather than lowers it


CHANCES = Chances()
