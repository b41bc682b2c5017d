"""The typed meaning of a query: what a person asks for, with no SQL and no English.

This is the only contract between the query builder and the words. `freeze.py` makes it from
the builder's working record (`template.meaning.Meaning`); `realize.py` turns it into one
question in a prompt style. Labels (column and noun phrases such as "unit price") are data; every
connecting word is chosen by the realizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from proto.sample import Scalar


class Intent(Enum):
    """What the question asks for, decided from the query's shape."""

    LIST = "list"  # rows of the subject with some of their fields
    COUNT = "count"  # how many of the subject
    TOTALS = "totals"  # aggregates over all matching rows
    BREAKDOWN = "breakdown"  # aggregates per group
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


class Op(Enum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    BETWEEN = "between"
    YEAR = "year"
    NULL = "null"
    NOT_NULL = "notnull"
    # Related rows (subqueries): the related noun is in `Filter.related`.
    HAS = "has"
    HAS_NO = "has_no"
    AMONG = "among"
    NOT_AMONG = "not_among"
    SHARE = "share"
    VS_AGG = "vs_agg"
    COUNT_RELATED = "count_related"
    # In the top k of a window ranking (`field` is what it ranks by).
    RANK_TOP = "rank_top"


class ValueKind(Enum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


class Agg(Enum):
    COUNT = "count"
    TOTAL = "total"
    AVERAGE = "average"
    HIGHEST = "highest"
    LOWEST = "lowest"
    LATEST = "latest"
    EARLIEST = "earliest"
    DISTINCT = "distinct"


class Combine(Enum):
    UNION = "UNION"
    UNION_ALL = "UNION ALL"
    INTERSECT = "INTERSECT"
    EXCEPT = "EXCEPT"


class ChangeKind(Enum):
    SET = "set"  # set a field to a value
    RAISE_PCT = "raise_pct"
    CUT_PCT = "cut_pct"
    ADD = "add"  # add a step to a count
    COPY = "copy"  # copy rows as new rows (INSERT … SELECT)
    NEW = "new"  # one new row with the given values (INSERT … VALUES)
    REMOVE = "remove"  # DELETE


@dataclass(frozen=True)
class Filter:
    """One condition on the subject's rows (or, in `group_filters`, on a group's measure).

    `field` is a label ("order date"); `related` the related rows' noun for subquery ops and,
    for a parent relation (`parent=True`), the parent's singular noun. `vague` is the informal
    word standing for it ("recent") and `note` what that word was taken to mean.
    """

    op: Op
    field: str = ""
    values: tuple[Scalar, ...] = ()
    kind: ValueKind = ValueKind.NUMBER
    related: str = ""
    parent: bool = False
    inner: tuple[Filter, ...] = ()
    vague: str | None = None
    note: str | None = None
    # For a count of the subject's own rows ("number of orders"): the group filter reads
    # "with at least 3 orders".
    counts_subject: bool = False
    owner: str = ""  # related rows: the joined table restricted, when not the subject


@dataclass(frozen=True)
class Measure:
    agg: Agg
    label: str  # the whole noun phrase: "number of orders", "total unit price"
    counts_subject: bool = False  # a plain count of the subject's rows


@dataclass(frozen=True)
class Ranking:
    by: str  # the label ordered by
    descending: bool
    textual: bool = False  # alphabetical, not an amount
    dated: bool = False
    counted: str = ""  # the plural noun when `by` is a count ("number of orders" -> "orders")
    vague: str | None = None  # "top", "best"
    limit: int | None = None


@dataclass(frozen=True)
class SetCombination:
    combine: Combine
    left: tuple[Filter, ...]
    right: tuple[Filter, ...]


@dataclass(frozen=True)
class Change:
    """What a data change does, for INSERT/UPDATE/DELETE questions."""

    kind: ChangeKind
    table_one: str
    table_many: str
    field: str = ""
    value: Scalar = None
    value_kind: ValueKind = ValueKind.NUMBER
    amount: float | int | None = None  # percent or step
    # A change applied only to rows meeting one more condition (a CASE), and the fields a new
    # row is given (INSERT … VALUES).
    only_if: Filter | None = None
    values: tuple[tuple[str, Scalar, ValueKind], ...] = ()
    renumbered: bool = False  # INSERT … SELECT: the copies get new ids


@dataclass(frozen=True)
class QuestionMeaning:
    intent: Intent
    subject_one: str
    subject_many: str
    shown: tuple[str, ...] = ()
    named: bool = False  # shown[0] is the subject's label: "Which products ..." names it
    measures: tuple[Measure, ...] = ()
    groups: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    group_filters: tuple[Filter, ...] = ()
    ranking: Ranking | None = None
    limit: int | None = None
    distinct: bool = False
    combination: SetCombination | None = None
    extras: tuple[str, ...] = ()  # extra computed columns (a rank, a running total, a band)
    change: Change | None = None
    # A CROSS JOIN's partner (singular, plural): the rows are pairings of the subject with it.
    paired_with: tuple[str, str] | None = None
    # An extra that ranks the rows by a listed measure: (the extra, the measure's label).
    ranked: tuple[str, str] | None = None
    # Listed labels a row may lack (read from a LEFT-joined child): said "(if any)".
    optional: tuple[str, ...] = ()

    def vague_filters(self) -> tuple[Filter, ...]:
        """The filters an informal question names by a vague word (at most two, one per word:
        "pricey pricey order lines" says nothing twice; the second is said with its value)."""
        by_word = {f.vague: f for f in reversed(self.filters) if f.vague}
        return tuple(f for f in self.filters if f.vague and by_word[f.vague] is f)[:2]
