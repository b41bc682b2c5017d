"""From the builder's working record to the typed meaning the realizer reads.

The builder fills a mutable `Meaning` while it builds the tree (so words and SQL agree); this
module freezes it into `QuestionMeaning`, deciding the intent from the query's shape.
"""

from __future__ import annotations

from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.words.intent import (
    Agg,
    Change,
    Combine,
    Filter,
    Intent,
    Measure,
    Op,
    QuestionMeaning,
    Ranking,
    SetCombination,
    ValueKind,
)
from shared.generation.template.words.meaning import Cond, Meaning, Metric

_INTENTS = {
    "rows": Intent.LIST,
    "groups": Intent.BREAKDOWN,
    "totals": Intent.TOTALS,
    "update": Intent.UPDATE,
    "delete": Intent.DELETE,
    "insert": Intent.INSERT,
}
_DATE_WORDS = frozenset({"date", "day", "year", "since", "time", "month"})


def freeze_meaning(meaning: Meaning) -> QuestionMeaning:
    """The typed, immutable meaning of a built query."""
    subject = meaning.subject
    measures = tuple(_measure(m, subject) for m in meaning.metrics)
    shown = tuple(dict.fromkeys(meaning.shown))
    extras = tuple(meaning.details)
    intent = _INTENTS[meaning.kind]
    if intent is Intent.BREAKDOWN and meaning.set_op is not None and shown:
        # A set operation over groups selects only what its branches share: name those.
        measures = tuple(m for m in measures if m.label in shown)
        extras = tuple(e for e in extras if e in shown)
    if intent in (Intent.BREAKDOWN, Intent.TOTALS):
        shown = ()  # the group keys are said by "per <group>", totals by their measures
    measures = tuple({m.label: m for m in measures}.values())
    if intent is Intent.TOTALS and len(measures) == 1 and measures[0].counts_subject:
        intent = Intent.COUNT
    if intent is Intent.LIST:
        shown = tuple(s for s in shown if s not in extras)
    ranking = None
    if meaning.order is not None:
        order = meaning.order
        tokens = set(order.label.split())
        # Groups sorted by their key (not a measure) read as sorted by a name.
        keys = set(meaning.per) | set(meaning.shown)
        by_key = (
            intent is Intent.BREAKDOWN
            and order.label in keys
            and order.label not in {m.label for m in measures}
        )
        ranking = Ranking(
            by=order.label,
            descending=order.desc,
            textual=order.textual or by_key,
            dated=bool(_DATE_WORDS & tokens) or order.label.endswith((" on", " at")),
            counted=order.label.removeprefix("number of ")
            if order.label.startswith("number of ")
            else "",
            vague=order.vague,
            limit=meaning.limit,
        )
    combination = None
    if meaning.set_op is not None:
        part = meaning.set_op
        combination = SetCombination(
            Combine(part.op),
            tuple(freeze_cond(c, subject) for c in part.left),
            tuple(freeze_cond(c, subject) for c in part.right),
        )
    change: Change | None = meaning.change if meaning.dml is not None else None
    return QuestionMeaning(
        intent=intent,
        subject_one=meaning.subject_one,
        subject_many=subject,
        shown=shown,
        named=meaning.named
        and meaning.paired is None
        and intent is Intent.LIST
        and shown[:1] == tuple(meaning.shown[:1]),
        measures=measures,
        groups=tuple(meaning.per),
        filters=tuple(freeze_cond(c, subject) for c in meaning.filters),
        group_filters=tuple(freeze_cond(c, subject) for c in meaning.group_filters),
        ranking=ranking,
        limit=meaning.limit,
        distinct=meaning.distinct,
        combination=combination,
        extras=extras,
        change=change,
        paired_with=meaning.paired,
        ranked=meaning.ranked,
        optional=tuple(meaning.optional) if intent is Intent.LIST else (),
    )


def value_kind(ctype: ColumnType | None) -> ValueKind:
    if ctype is ColumnType.DATE:
        return ValueKind.DATE
    if ctype is ColumnType.TEXT:
        return ValueKind.TEXT
    return ValueKind.NUMBER


def freeze_cond(c: Cond, subject: str) -> Filter:
    parent = c.label == "parent"
    return Filter(
        op=Op(c.op),
        field="" if c.label in ("parent", "child") else c.label,
        values=c.values,
        kind=value_kind(c.ctype),
        related=c.related,
        parent=parent,
        inner=tuple(freeze_cond(i, subject) for i in c.inner),
        vague=c.vague,
        note=c.note,
        counts_subject=c.label == f"number of {subject}",
        owner=c.owner,
    )


def _measure(m: Metric, subject: str) -> Measure:
    agg = Agg(m.word) if m.word in {a.value for a in Agg} else Agg.TOTAL
    counts_subject = agg is Agg.COUNT and m.label == f"number of {subject}"
    return Measure(agg, m.label, counts_subject=counts_subject)
