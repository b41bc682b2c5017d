"""What a built query means, in structured form: the question writer and the explanation both
read this record, which the builder fills while it builds the tree (so words and SQL agree)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from proto.sample import Scalar
from shared.generation.template.schema.schema_model import ColumnType

if TYPE_CHECKING:  # words.freeze reads this module: a runtime import would be a cycle
    from shared.generation.template.words.intent import Change


@dataclass(frozen=True)
class Cond:
    """One condition in words.

    Simple ops compare a field (`label`) with `values`: eq, ne, in, gt, ge, lt, le, between,
    year, null, notnull. Subquery ops describe related rows: has / has_no (EXISTS), among /
    not_among (IN), vs_agg (compared with an aggregate: values = (comparison, aggregate word)).
    """

    op: str
    label: str = ""
    values: tuple[Scalar, ...] = ()
    ctype: ColumnType | None = None
    related: str = ""
    inner: tuple[Cond, ...] = ()
    # An informal word standing for the condition ("recent", "pricey") and what it was taken to
    # mean, for the informal style and the explanation.
    vague: str | None = None
    note: str | None = None
    # For related rows: the noun of the joined table the condition restricts, when it is not
    # the subject ("community" in "comments whose community has memberships …").
    owner: str = ""


@dataclass(frozen=True)
class Metric:
    label: str  # "number of orders", "total unit price"
    word: str  # count, total, average, highest, lowest, distinct


@dataclass
class Ordering:
    label: str
    desc: bool
    vague: str | None = None  # "top", "best", "latest"
    textual: bool = False  # sorted by a text (first alphabetically), not by an amount


@dataclass
class SetPart:
    op: str  # UNION, UNION ALL, INTERSECT, EXCEPT
    left: list[Cond]
    right: list[Cond]


@dataclass
class DmlPart:
    verb: str  # update, delete, insert
    table_noun: str
    table_plural: str
    change: str = ""  # "raise unit price by 10%", "set sales channel to 'Online'"


@dataclass
class Meaning:
    subject: str  # plural noun of what the rows are ("products", "categories")
    subject_one: str
    kind: str = "rows"  # rows, groups, totals, update, delete, insert
    shown: list[str] = field(default_factory=list)
    named: bool = False  # shown[0] is the subject's own label ("product name")
    metrics: list[Metric] = field(default_factory=list)
    per: list[str] = field(default_factory=list)
    filters: list[Cond] = field(default_factory=list)
    group_filters: list[Cond] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)
    # A CROSS JOIN's partner (singular, plural): the rows are pairings, and the question says
    # so ("pairings of trainers and membership plans").
    paired: tuple[str, str] | None = None
    # A window ranking the groups by a listed measure: (the rank's label, the measure's label),
    # so the words say "and its rank" after the measure instead of repeating it.
    ranked: tuple[str, str] | None = None
    details: list[str] = field(default_factory=list)
    order: Ordering | None = None
    limit: int | None = None
    distinct: bool = False
    # Listed labels read from a LEFT-joined table: blank for rows without such a child, so
    # the question says "(if any)" after them.
    optional: list[str] = field(default_factory=list)
    set_op: SetPart | None = None
    steps: list[str] = field(default_factory=list)
    dml: DmlPart | None = None
    change: Change | None = None  # the typed change a DML statement makes
    tables: list[str] = field(default_factory=list)  # table names read, for the explanation
    joins: list[str] = field(default_factory=list)  # join descriptions for the explanation
    notes: list[str] = field(default_factory=list)  # interpretations of vague words
    # Definitions of computed labels (a band's cut), keyed by the label: the evidence states
    # those the question names, for every style.
    definitions: dict[str, str] = field(default_factory=dict)

    def vague_conds(self) -> list[Cond]:
        """The conditions an informal question names by a vague word (at most two, one per
        word, as the question's wording picks them)."""
        by_word = {c.vague: c for c in reversed(self.filters) if c.vague}
        return [c for c in self.filters if c.vague and by_word[c.vague] is c][:2]

    def vague_notes(self) -> list[str]:
        """What the informal question's vague words mean, for the explanation."""
        found = [c.note for c in self.vague_conds() if c.note]
        if self.order is not None and self.order.vague:
            found.append(
                f"'{self.order.vague}' means sorting by {self.order.label} from highest to lowest"
            )
        return list(dict.fromkeys([*found, *self.notes]))
