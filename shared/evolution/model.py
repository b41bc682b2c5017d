"""The operators, and what one evolution changed, as structured values (words come later)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from proto.common import EvolutionOperator
from proto.sample import Scalar

# The enum lives in proto (the blueprint carries a sample's lineage); named here for short.
Operator = EvolutionOperator


class ChangeKind(StrEnum):
    """What an operator did to the query, for the question writer (one phrase each)."""

    ADD_METRIC = "add_metric"  # func: another aggregate in a grouped/aggregate query
    ADD_RANK = "add_rank"  # func: a RANK() window over a numeric column
    WIDEN_IN = "widen_in"  # op: `col = a` became `col IN (a, b)`
    ADD_BETWEEN = "add_between"  # op: a BETWEEN range filter
    ADD_BAND = "add_band"  # op: a CASE WHEN band in the SELECT list
    ADD_FILTER = "add_filter"  # logic: another WHERE conjunct
    ADD_HAVING = "add_having"  # logic: a HAVING over the groups' count
    JOIN_SHOW = "join_show"  # join: a parent table joined along a foreign key, a column shown
    JOIN_FILTER = "join_filter"  # join: a parent table joined along a foreign key and filtered
    JOIN_COUNT = "join_count"  # join: a referencing table LEFT JOINed, its rows counted per row
    ABOVE_AVERAGE = "above_average"  # nest: compared with a scalar subquery's average
    CTE_ABOVE_AVERAGE = "cte_above_average"  # nest: groups in a CTE above the groups' average
    EXISTS_CHILD = "exists_child"  # set: EXISTS / NOT EXISTS over a referencing table
    EXCEPT_FILTER = "except_filter"  # set: EXCEPT the rows of a filtered copy
    SWAP_VALUE = "swap_value"  # expansion: the same structure with another literal
    SWAP_SCHEMA = "swap_schema"  # expansion: the same skeleton on another table or column


@dataclass(frozen=True)
class Change:
    """One evolution's meaning. `label` names a column in words ("unit price"), `noun` a table
    ("order items"), `op` a comparison (eq, ne, gt, ge, lt, le, in, between), `values` the
    literals the SQL now holds, `negated` flips EXISTS, `replaces` the literal it widened."""

    kind: ChangeKind
    label: str = ""
    noun: str = ""
    op: str = ""
    values: tuple[Scalar, ...] = ()
    word: str = ""  # an aggregate word: total, average, highest, lowest
    negated: bool = False
    replaces: Scalar = None
    is_date: bool = False
    is_text: bool = False
    # ADD_BAND over a column that can be NULL (nullable, or on a LEFT JOIN's optional side):
    # a row without a value gets no band rather than the lower one.
    blank: bool = False
    # ADD_METRIC / ADD_RANK over a window partitioned by a column: that column in words
    # ("rank by price within each course").
    within: str = ""
    # Set from the query, not by the operator: what a filter restricts in an aggregate query
    # ("counting only invoices ..."), and whether a LIMIT follows the filter ("among those").
    counted: str = ""
    limited: bool = False
    # SWAP_SCHEMA: words of renamed columns (each must be in the question), words of the renamed
    # table (one form must be), identifiers (for the explanation), literals redrawn (old, new).
    renames: tuple[tuple[str, str], ...] = ()
    nouns: tuple[tuple[str, str], ...] = ()
    idents: tuple[tuple[str, str], ...] = ()
    swaps: tuple[tuple[Scalar, Scalar], ...] = ()


@dataclass(frozen=True)
class Evolution:
    """An evolved SQL text (SQLite dialect) and the structured change behind it."""

    sql: str
    operator: Operator
    change: Change
