"""Phrases for the pieces of a question: values, conditions, fields, sorting, groups.

Each function takes the random source, so synonyms and word order vary with the seed while
every value and grouping the SQL uses is named.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from proto.sample import Scalar
from shared.generation.template.schema.schema_model import ColumnType, Domain
from shared.generation.template.words.meaning import Cond, Metric, Ordering
from shared.generation.template.words.phrasebook import (
    ASC_WORDS,
    COMPARE,
    DATE_ASC_WORDS,
    DATE_COMPARE,
    DATE_DESC_WORDS,
    DESC_WORDS,
    SORT_PHRASES,
)


@dataclass
class Vocabulary:
    """Synonyms from the domain file: for table plurals and for column labels."""

    nouns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, domain: Domain) -> Vocabulary:
        vocab = cls()
        for table in domain.tables:
            if table.name in domain.synonyms:
                vocab.nouns[table.plural] = domain.synonyms[table.name]
            for col in table.columns:
                if col.name in domain.synonyms:
                    vocab.labels[col.label] = domain.synonyms[col.name]
        return vocab

    def noun(self, plural: str, rng: random.Random) -> str:
        options = self.nouns.get(plural, ())
        return rng.choice(options) if options and rng.random() < 0.35 else plural

    def label(self, label: str, rng: random.Random) -> str:
        for known, options in self.labels.items():
            if known in label and rng.random() < 0.3:
                return label.replace(known, rng.choice(options))
        return label


_VOWEL = re.compile(r"\b([Aa]) (?!(?:uni|use|usu|one|eu))([aeiouAEIOU])")


def fix_articles(text: str) -> str:
    """'a annual budget' reads 'an annual budget'."""
    return _VOWEL.sub(lambda m: f"{m.group(1)}n {m.group(2)}", text)


def value(v: Scalar, ctype: ColumnType | None, terse: bool) -> str:
    if isinstance(v, float):
        text = f"{v:.2f}".rstrip("0").rstrip(".")
        return text
    if isinstance(v, str) and ctype is ColumnType.TEXT and not terse:
        return f"'{v}'"
    return str(v)


def condition(c: Cond, rng: random.Random, vocab: Vocabulary, terse: bool) -> str:
    """One condition in words (subquery conditions describe the related rows)."""
    label = vocab.label(c.label, rng) if c.label not in ("child", "parent") else c.label
    if c.op in ("has", "has_no", "among", "not_among", "share", "vs_agg", "count_related"):
        return _related(c, rng, vocab, terse)
    if c.op == "rank_top":
        top = c.values[0]
        return f"{'top' if terse else 'ranked in the top'} {top} by {c.label}"
    table = DATE_COMPARE if c.ctype is ColumnType.DATE and c.op in DATE_COMPARE else COMPARE
    full, short = table.get(c.op, COMPARE["eq"])
    template = rng.choice(short if terse else full)
    vals = [value(v, c.ctype, terse) for v in c.values] or [""]
    return template.format(l=label, v=vals[0], a=vals[0], b=vals[-1] if len(vals) > 1 else vals[0])


def _inner(c: Cond, rng: random.Random, vocab: Vocabulary, terse: bool) -> str:
    parts = [condition(i, rng, vocab, terse) for i in c.inner]
    return " and ".join(p for p in parts if p)


def _related(c: Cond, rng: random.Random, vocab: Vocabulary, terse: bool) -> str:
    inner = _inner(c, rng, vocab, terse)
    tail = f" {inner}" if inner else ""
    rel = c.related
    if c.op == "has":
        if c.label == "parent":
            return f"whose {rel}{tail or ' exists'}" if inner else f"that have a {rel}"
        return rng.choice(
            [
                f"that have at least one {_one(rel)}{tail}",
                f"with some {rel}{tail}",
                f"having {rel}{tail}",
            ]
        )
    if c.op == "has_no":
        return rng.choice([f"that have no {rel}", f"without any {rel}", f"with no {rel} at all"])
    if c.op == "among":
        if c.label == "parent":
            return f"whose {rel} is one{tail or ' on record'}"
        return rng.choice([f"that appear among {rel}{tail}", f"referenced by {rel}{tail}"])
    if c.op == "not_among":
        return rng.choice([f"that appear in no {rel}", f"never referenced by any {rel}"])
    if c.op == "share":
        return f"that share a {c.label} with {rel}{tail}"
    if c.op == "vs_agg":
        op, word = c.values[0], c.values[1]
        rel_words = {
            ">": "above",
            "<": "below",
            "=": "equal to",
            ">=": "at least",
            "<=": "at most",
        }.get(str(op), str(op))
        return f"whose {c.label} is {rel_words} the {word} {c.label} of all {rel}"
    op, k = c.values[0], c.values[1]
    if op == "=" and k == 0:
        return f"with no {rel}"
    return f"with at least {k} {rel}"


def _one(plural: str) -> str:
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    if plural.endswith("ses") or plural.endswith("xes"):
        return plural[:-2]
    return plural[:-1] if plural.endswith("s") else plural


def join_words(items: list[str]) -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def fields_phrase(labels: list[str], rng: random.Random, vocab: Vocabulary) -> str:
    return join_words([vocab.label(lab, rng) for lab in dict.fromkeys(labels)])


def metrics_phrase(metrics: list[Metric], rng: random.Random, vocab: Vocabulary) -> str:
    words = []
    for m in metrics:
        label = vocab.label(m.label, rng)
        if m.word == "count" and label.startswith("number of") and rng.random() < 0.4:
            label = label.replace("number of", "count of", 1)
        words.append(f"the {label}")
    return join_words(words)


def sort_phrase(order: Ordering, rng: random.Random, terse: bool) -> str:
    tokens = order.label.split()
    dated = bool({"date", "day", "year", "since"} & set(tokens)) or tokens[-1:] == ["on"]
    words = (
        (DATE_DESC_WORDS if dated else DESC_WORDS)
        if order.desc
        else (DATE_ASC_WORDS if dated else ASC_WORDS)
    )
    if terse:
        return f"by {order.label} {'desc' if order.desc else 'asc'}"
    return rng.choice(SORT_PHRASES).format(l=order.label, d=rng.choice(words))


def limit_phrase(limit: int, order: Ordering | None, terse: bool) -> str:
    if terse:
        return f"top {limit}" if order and order.desc else f"first {limit}"
    if order is None:
        return f"at most {limit} rows"
    word = order.vague or ("top" if order.desc else "first")
    return f"the {word} {limit}" if limit > 1 else f"only the {word} one"
