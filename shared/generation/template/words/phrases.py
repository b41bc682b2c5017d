"""Noun phrases and modifiers for the realizer: values, conditions, measures, orderings.

Every function returns English for one typed piece of meaning. Plurals, singulars and
articles come from `inflect` (a maintained library) rather than hand-written suffix rules.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import inflect

from proto.sample import Scalar
from shared.generation.template.words.intent import Agg, Filter, Measure, Op, Ranking, ValueKind

_INFLECT = inflect.engine()
# A label's noun comes before a trailing participle or particle: "year opened" -> "years opened".
# Words after which a label's last word is not its head noun ("overtime hours this year":
# not "this years").
_PARTICLES = frozenset(
    {"since", "from", "of", "in", "on", "at", "per", "by", "with", "within", "this"}
)
_AGG_WORDS = frozenset({"highest", "lowest", "latest", "earliest", "total", "average"})


def plural(label: str) -> str:
    """'drug class' -> 'drug classes'; 'year opened' -> 'years opened'."""
    words = label.split()
    tail = next(
        (i for i, w in enumerate(words) if i > 0 and (w.endswith("ed") or w in _PARTICLES)),
        None,
    )
    if tail is None:
        return label if _already_plural(words[-1]) else str(_INFLECT.plural_noun(label))
    head = " ".join(words[:tail])
    if _already_plural(words[tail - 1]):
        return label  # "minutes played" is plural already: not "minutess played"
    return f"{_INFLECT.plural_noun(head)} {' '.join(words[tail:])}"


def _already_plural(word: str) -> bool:
    """A regular plural inflect reads back ("minutes" -> "minute" -> "minutes"); a singular
    ending in -ss, -us or -is ("class", "status", "analysis") is one inflect would cut."""
    if not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return False
    found = _INFLECT.singular_noun(word)
    return isinstance(found, str) and found != word and _INFLECT.plural_noun(found) == word


_NOT_NOUNS = frozenset({"is", "has", "if", "was", "did", "does", "can", "are", "had"})


def list_plural(label: str) -> str:
    """A listed field's plural ("the names and prices"), or the label as it is when it does
    not end in a countable noun ("is official", "written by", "ranking points")."""
    words = label.split()
    if not words or words[0] in _NOT_NOUNS or len(words[-1]) <= 2:
        return label
    if words[-1].endswith("s") or any(w in _PARTICLES for w in words[1:]):
        return label
    return plural(label)


def singular(noun: str) -> str:
    """'order lines' -> 'order line' (a noun already singular is kept)."""
    found = _INFLECT.singular_noun(noun)
    return found if isinstance(found, str) and found else noun


def counted(k: int | float | Scalar, plural_noun: str) -> str:
    """'1 order line', '3 order lines': the noun agrees with the number."""
    return f"{k} {singular(plural_noun) if k == 1 else plural_noun}"


def with_article(phrase: str) -> str:
    return str(_INFLECT.a(phrase))


def join_and(items: Sequence[str], word: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def value(v: Scalar, kind: ValueKind) -> str:
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    if kind is ValueKind.TEXT and isinstance(v, str):
        return f"'{v}'"
    return str(v)


def bare(f: Filter, rng: random.Random) -> str:
    """A condition as a noun phrase with its value: "price over 50", "status 'Open'"."""
    vals = [value(v, f.kind) for v in f.values] or [""]
    a, b = vals[0], vals[-1]
    label, dated = f.field, f.kind is ValueKind.DATE
    match f.op:
        case Op.EQ:
            return f"{label} on {a}" if dated else f"{label} {a}"
        case Op.NE:
            return f"{label} other than {a}"
        case Op.IN:
            return f"{label} {join_and(vals, 'or')}"
        case Op.GT:
            return f"{label} after {a}" if dated else f"{label} {rng.choice(['over', 'above'])} {a}"
        case Op.GE:
            if dated:
                # Shorter than "on or after", as inclusive; a label that ends in the word
                # already ("certified since") is not said "since since".
                return f"{label} {a}" if label.endswith(" since") else f"{label} since {a}"
            return rng.choice([f"{label} of at least {a}", f"{label} of {a} or more"])
        case Op.LT:
            if dated:
                return f"{label} before {a}"
            return f"{label} {rng.choice(['under', 'below'])} {a}"
        case Op.LE:
            return f"{label} on or before {a}" if dated else f"{label} of at most {a}"
        case Op.BETWEEN:
            return f"{label} from {a} to {b}" if dated else f"{label} between {a} and {b}"
        case Op.YEAR:
            return f"{label} in {a}"
        case Op.NULL:
            return f"no {label}"
        case Op.NOT_NULL:
            return with_article(label)
        case Op.RANK_TOP:
            return f"a rank of {a} or better by {label}"
    return related(f, rng)


def modifier(f: Filter, rng: random.Random) -> str:
    """A condition after the noun it restricts: "with price over 50", "that have no orders"."""
    if f.op in _RELATED:
        return related(f, rng)
    if f.op is Op.RANK_TOP:
        return f"ranked in the top {f.values[0]} by {f.field}"
    if f.op in (Op.EQ, Op.IN, Op.NE) and f.kind is ValueKind.TEXT and rng.random() < 0.3:
        vals = [value(v, f.kind) for v in f.values]
        verb = "is not" if f.op is Op.NE else "is"
        return f"whose {f.field} {verb} {join_and(vals, 'or')}"
    return f"with {bare(f, rng)}"


def modifiers(filters: Sequence[Filter], rng: random.Random) -> str:
    """Several conditions: "with status 'Open' and price over 50 that have no returns"."""
    plain = [f for f in filters if f.op not in _RELATED and f.op is not Op.RANK_TOP]
    other = [f for f in filters if f not in plain]
    parts: list[str] = []
    said = [modifier(f, rng) for f in other]
    if plain:
        first = modifier(plain[0], rng)
        if first.startswith("with "):
            # A related condition that also reads "with ..." (a count of related rows, a
            # comparison with an average) joins the list: "with X and Y", not "with X and
            # with Y" (issue 13: about 20 words).
            joined = [s[5:] for s in said if s.startswith("with ")]
            said = [s for s in said if not s.startswith("with ")]
            parts.append(
                "with " + join_and([first[5:], *(bare(f, rng) for f in plain[1:]), *joined])
            )
        else:
            parts.append(join_and([first, *(modifier(f, rng) for f in plain[1:])]))
    parts += said
    return join_and(parts)


def related(f: Filter, rng: random.Random) -> str:
    """Conditions on related rows (EXISTS, IN, scalar subqueries)."""
    rel = f.related
    inner = join_and([bare(i, rng) for i in f.inner])
    with_inner = f" with {inner}" if inner else ""
    if f.owner and f.op in (Op.HAS, Op.HAS_NO, Op.AMONG, Op.NOT_AMONG):
        # The condition is on a joined table's rows: say whose.
        if f.parent:
            return (
                f"whose {f.owner}'s {rel} has {inner}" if inner else f"whose {f.owner} has a {rel}"
            )
        no = "no " if f.op in (Op.HAS_NO, Op.NOT_AMONG) else ""
        return f"whose {f.owner} has {no}{rel}{with_inner}"
    match f.op:
        case Op.HAS if f.parent:
            return f"whose {rel} has {inner}" if inner else f"that have {with_article(rel)}"
        case Op.HAS:
            return rng.choice([f"that have {rel}{with_inner}", f"with some {rel}{with_inner}"])
        case Op.HAS_NO:
            return rng.choice([f"that have no {rel}{with_inner}", f"without any {rel}{with_inner}"])
        case Op.AMONG if f.parent:
            return f"whose {rel} has {inner}" if inner else f"whose {rel} is on record"
        case Op.AMONG:
            return f"that appear in {rel}{with_inner}"
        case Op.NOT_AMONG:
            return f"that appear in no {rel}{with_inner}"
        case Op.SHARE:
            return f"that share {with_article(f.field)} with {rel}{with_inner}"
        case Op.VS_AGG:
            op, word = str(f.values[0]), f.values[1]
            above = {">": "above", "<": "below", "=": "equal to", ">=": "at least", "<=": "at most"}
            # "of all findings" only when the rows compared are not the subject's own (an
            # empty `related`): "alerts with risk score above the average" says enough.
            of_all = f" of all {rel}" if rel else ""
            if op == "=":  # "with the latest detection date of all findings"
                return f"with the {word} {f.field}{of_all}"
            return f"with {f.field} {above.get(op, op)} the {word}{of_all}"
        case Op.COUNT_RELATED:
            op, k = str(f.values[0]), f.values[1]
            if op == "=" and k == 0:
                return f"with no {rel}"
            words = {">=": "at least", ">": "more than", "=": "exactly"}.get(op, "at least")
            return f"with {words} {counted(k, rel)}"
    return f"with {f.field}"


_RELATED = frozenset(
    {Op.HAS, Op.HAS_NO, Op.AMONG, Op.NOT_AMONG, Op.SHARE, Op.VS_AGG, Op.COUNT_RELATED}
)
# Conditions that read as "<field> <comparison>": after "with", and after "have".
PLAIN_OPS = frozenset(set(Op) - _RELATED - {Op.RANK_TOP, Op.NULL, Op.NOT_NULL})


def group_condition(f: Filter, subject: str, rng: random.Random) -> str:
    """A condition on a group's measure: "with at least 3 orders", "with a total over 50"."""
    counts = f.field.startswith("number of ") and f.kind is ValueKind.NUMBER
    if f.counts_subject or counts:
        # Any count reads "with at least 3 loans", not "with a number of loans of 3 or more".
        noun = subject if f.counts_subject else f.field.removeprefix("number of ")
        k = f.values[0] if f.values else 0
        if isinstance(k, float) and k.is_integer():
            k = int(k)
        words = {
            Op.GE: "at least",
            Op.GT: "more than",
            Op.LT: "fewer than",
            Op.LE: "at most",
            Op.EQ: "exactly",
        }.get(f.op)
        if words:
            return f"with {words} {counted(k, noun)}"
    if f.op in _RELATED:
        return related(f, rng)
    return f"with {with_article(bare(f, rng))}"


def measure(m: Measure) -> str:
    return f"the {m.label}"


def order_words(r: Ranking, rng: random.Random) -> str:
    """How the rows are sorted, when no cut to the first rows names it already."""
    if r.vague:
        return f"{r.vague} first"  # informal only: the evidence states the order
    if r.counted:
        return f"{'most' if r.descending else 'fewest'} {r.counted} first"
    if r.textual:
        return f"sorted by {r.by}" + (" in reverse" if r.descending else "")
    if r.by.split()[0] in _AGG_WORDS:
        # Both ways said: "sorted by highest area" alone reads as highest first.
        return f"sorted by {r.by}" + (" descending" if r.descending else " ascending")
    if r.dated:
        return f"{'latest' if r.descending else 'earliest'} {r.by} first"
    return rng.choice(
        [
            f"{'highest' if r.descending else 'lowest'} {r.by} first",
            f"sorted by {r.by}" + (", highest first" if r.descending else ""),
        ]
    )


def superlative(r: Ranking) -> str:
    """'the highest price', 'the most orders', 'the latest order date' (what a cut ranks by)."""
    if r.counted:
        return f"the {'most' if r.descending else 'fewest'} {r.counted}"
    first = r.by.split()[0]
    same_end = ("highest", "latest") if r.descending else ("lowest", "earliest")
    if first in same_end:
        return f"the {r.by}"  # the group with the highest MAX holds the highest value
    if r.dated:
        return f"the {'latest' if r.descending else 'earliest'} {r.by}"
    return f"the {'highest' if r.descending else 'lowest'} {r.by}"


def _ranked_by(r: Ranking) -> str:
    """'with the highest price'; a measure that already says the other end reads 'whose
    lowest price is highest' (not 'with the highest lowest price')."""
    first = r.by.split()[0] if r.by else ""
    opposite = ("lowest", "earliest") if r.descending else ("highest", "latest")
    if first in opposite:
        end = (
            ("latest" if r.descending else "earliest")
            if r.dated
            else ("highest" if r.descending else "lowest")
        )
        return f"whose {r.by} is {end}"
    return f"with {superlative(r)}"


def ranked_rows(r: Ranking, one: str, many: str) -> str:
    """'the 3 products with the highest price', 'the first 5 stops by stop name'."""
    k = r.limit or 1
    if r.textual:
        first = "last" if r.descending else "first"
        return f"the {first} {one} by {r.by}" if k == 1 else f"the {first} {k} {many} by {r.by}"
    if r.vague:
        return f"the {r.vague} {one}" if k == 1 else f"the {r.vague} {k} {many}"
    head = one if k == 1 else f"{k} {many}"
    return f"the {head} {_ranked_by(r)}"


def ranked_groups(r: Ranking, group: str, *, elide: bool) -> str:
    """'the 3 channels with the most orders'; with `elide`, 'the 3 channels with the most'
    (the measure was named just before)."""
    k = r.limit or 1
    head = group if k == 1 else f"{k} {plural(group)}"
    if r.vague:
        return f"the {r.vague} {head}"
    if r.textual:
        return f"the {'last' if r.descending else 'first'} {head} by {r.by}"
    if not elide:
        return f"the {head} {_ranked_by(r)}"
    first = r.by.split()[0]
    if r.counted:
        word = "most" if r.descending else "fewest"
    elif first in ("latest", "earliest") or r.dated:
        word = "latest" if r.descending else "earliest"
    else:
        word = "highest" if r.descending else "lowest"
    return f"the {head} with the {word}"


__all__ = [
    "Agg",
    "bare",
    "counted",
    "group_condition",
    "join_and",
    "measure",
    "modifier",
    "modifiers",
    "order_words",
    "plural",
    "ranked_groups",
    "ranked_rows",
    "singular",
    "superlative",
    "value",
    "with_article",
]
