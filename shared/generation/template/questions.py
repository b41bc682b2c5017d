"""Questions in the planned prompt style, written from the query's meaning.

Every filter value, grouping, ordering and limit of the SQL is named, except that the informal
style says "recent", "pricey" or "top" for some of them; the explanation then states what
those words were taken to mean. Synonyms, openers and clause order vary with the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import inflect

from proto.common import PromptStyle
from shared.generation.template.meaning import Cond, Meaning
from shared.generation.template.phrasebook import (
    ALSO,
    CONVERSATIONAL_OPENERS,
    FILLERS_INFORMAL,
    GROUP_PHRASES,
    INFORMAL_OPENERS,
    LIST_VERBS,
    MULTI_OPENERS,
)
from shared.generation.template.question_parts import (
    Vocabulary,
    condition,
    fields_phrase,
    fix_articles,
    join_words,
    limit_phrase,
    metrics_phrase,
    sort_phrase,
    value,
)

S = PromptStyle
_INFLECT = inflect.engine()
_PARTICLES = frozenset({"since", "from", "of", "in", "on", "at", "per", "by"})


@dataclass
class Parts:
    subject: str
    adjectives: list[str]
    what: str  # the shown columns or the aggregates
    counting: bool  # the only output is a count of the subject
    conds: list[str]
    per: str
    having: list[str]
    extras: list[str]
    relations: list[str]
    order: str
    limit: str
    steps: list[str]
    ranked: str = ""  # the lead when it names order and limit ("the 3 latest orders")


def write_question(
    meaning: Meaning, style: PromptStyle, rng: random.Random, vocab: Vocabulary
) -> str:
    parts = _parts(meaning, style, rng, vocab)
    if meaning.dml is not None:
        text = _dml(meaning, parts, style, rng)
    else:
        writer = {
            S.DIRECT: _direct,
            S.IMPERATIVE: _imperative,
            S.CONVERSATIONAL: _conversational,
            S.TERSE: _terse,
            S.MULTI_PART: _multi_part,
            S.INFORMAL: _informal,
        }[style]
        text = writer(parts, meaning, rng)
    return _tidy(text, style)


def _parts(meaning: Meaning, style: PromptStyle, rng: random.Random, vocab: Vocabulary) -> Parts:
    terse = style is S.TERSE
    informal = style is S.INFORMAL
    subject = vocab.noun(meaning.subject, rng)
    vague = meaning.vague_conds() if informal else []
    conds = [condition(c, rng, vocab, terse) for c in meaning.filters if c not in vague]
    if meaning.set_op is not None:
        conds.append(_set_phrase(meaning, rng, vocab, terse))
    per = ""
    if meaning.per:
        per = rng.choice(GROUP_PHRASES).format(p=join_words(meaning.per))
        if terse:
            per = f"by {join_words(meaning.per)}"
    having = [_having(c, rng, vocab, terse, meaning.kind) for c in meaning.group_filters]
    counting = (
        meaning.kind in ("groups", "totals")
        and len(meaning.metrics) == 1
        and meaning.metrics[0].word == "count"
        and meaning.metrics[0].label.endswith(meaning.subject)
    )
    if meaning.kind in ("groups", "totals"):
        what = metrics_phrase(meaning.metrics, rng, vocab)
    else:
        shown = fields_phrase(meaning.shown, rng, vocab)
        what = f"the {'distinct ' if meaning.distinct else ''}{shown}"
    if meaning.kind in ("groups", "totals") and meaning.distinct and "distinct" not in what:
        what = f"{what} (counting distinct values)"
    extras = list(meaning.details)
    # Join types are not spoken: a person asks about customers, not about a LEFT JOIN.
    relations: list[str] = []
    order = sort_phrase(meaning.order, rng, terse) if meaning.order else ""
    limit = limit_phrase(meaning.limit, meaning.order, terse) if meaning.limit else ""
    adjectives = [c.vague for c in vague if c.vague]
    described = " ".join([*adjectives, subject])
    # Groups of vaguely described rows keep the longer wording, which names those rows.
    ranked = ""
    if not terse and not (adjectives and meaning.kind == "groups"):
        ranked = _ranked_lead(meaning, described, adjectives)
    if ranked:
        # "the 3 products with the highest price" says the order and the limit at once
        # (and, for groups, what the groups are).
        limit, order = "", ""
        if meaning.kind == "groups":
            per = ""
    return Parts(
        subject,
        [c.vague for c in vague if c.vague],
        what,
        counting,
        conds,
        per,
        having,
        extras,
        relations,
        order,
        limit,
        list(meaning.steps),
        ranked,
    )


def _set_phrase(meaning: Meaning, rng: random.Random, vocab: Vocabulary, terse: bool) -> str:
    part = meaning.set_op
    assert part is not None
    left = join_words([condition(c, rng, vocab, terse) for c in part.left])
    right = join_words([condition(c, rng, vocab, terse) for c in part.right])
    if terse:
        sign = {"UNION": "or", "UNION ALL": "plus", "INTERSECT": "and also", "EXCEPT": "but not"}[
            part.op
        ]
        return f"({left}) {sign} ({right})" if left else f"{sign} ({right})"
    if not left:
        words = {
            "UNION": "plus those",
            "UNION ALL": "plus (keeping repeats) those",
            "INTERSECT": "keeping only those",
            "EXCEPT": "leaving out those",
        }[part.op]
        return f"{words} {right}"
    return {
        "UNION": f"that are either {left} or {right}",
        "UNION ALL": f"{left}, followed by those {right} (keeping duplicates)",
        "INTERSECT": f"that are both {left} and {right}",
        "EXCEPT": f"{left} but not {right}",
    }[part.op]


def _having(c: Cond, rng: random.Random, vocab: Vocabulary, terse: bool, kind: str) -> str:
    shown = value(c.values[0], c.ctype, terse) if c.values else ""
    if terse:
        return f"{c.label} {'>=' if c.op == 'ge' else '>'} {shown}"
    words = "at least" if c.op == "ge" else "more than"
    if c.label == "number of matching rows":
        return f"that match {words} {shown} rows of the joined tables"
    lead = rng.choice(["only where the", "keeping only groups whose", "limited to groups whose"])
    if kind == "totals":
        lead = rng.choice(["provided that the", "but only if the"])
    return f"{lead} {vocab.label(c.label, rng)} is {words} {shown}"


def _tail(p: Parts, rng: random.Random, with_order: bool = True) -> str:
    clauses = [*p.conds]
    if p.per:
        clauses.append(p.per)
    clauses += p.having
    clauses += p.relations
    if p.extras:
        clauses.append("along with " + join_words(p.extras))
    if with_order and p.order:
        clauses.append(p.order)
    return ", ".join(c for c in clauses if c)


def _subject(p: Parts, adjectives: bool = True) -> str:
    adj = " ".join(p.adjectives) + " " if adjectives and p.adjectives else ""
    return f"{adj}{p.subject}"


def _ranked_lead(meaning: Meaning, subject: str, adjectives: list[str]) -> str:
    """'the product with the highest price', 'the 3 visit types with the most prescriptions':
    a result cut to its first rows by an order, or '' when there is no such cut."""
    order, k = meaning.order, meaning.limit
    if order is None or k is None or meaning.set_op is not None:
        return ""
    if meaning.kind == "groups" and len(meaning.per) == 1:
        group = meaning.per[0] if k == 1 else f"{k} {plural(meaning.per[0])}"
        if order.vague:
            return f"the {order.vague} {group}"
        if order.label.startswith("number of "):
            most = "most" if order.desc else "fewest"
            return f"the {group} with the {most} {order.label.removeprefix('number of ')}"
        return f"the {group} with the {'highest' if order.desc else 'lowest'} {order.label}"
    if meaning.kind != "rows":
        return ""
    one = " ".join([*adjectives, meaning.subject_one])
    if order.textual:
        first = "last" if order.desc else "first"
        head = f"{first} {one}" if k == 1 else f"{first} {k} {subject}"
        return f"the {head} by {order.label}"
    if order.vague:
        return f"the {order.vague} {k} {subject}" if k > 1 else f"the {order.vague} {one}"
    tokens = order.label.split()
    dated = bool({"date", "day", "year", "since"} & set(tokens)) or tokens[-1:] == ["on"]
    most = (
        ("latest" if order.desc else "earliest")
        if dated
        else ("highest" if order.desc else "lowest")
    )
    if k == 1:
        return f"the {one} with the {most} {order.label}"
    return f"the {k} {subject} with the {most} {order.label}"


def plural(label: str) -> str:
    """The plural of a column or noun label through `inflect`: 'drug class' -> 'drug
    classes', and 'year opened' -> 'years opened' (a trailing participle or particle keeps
    the noun before it)."""
    words = label.split()
    tail = next(
        (i for i, w in enumerate(words) if i > 0 and (w.endswith("ed") or w in _PARTICLES)),
        None,
    )
    if tail is None:
        return str(_INFLECT.plural_noun(label))
    head = " ".join(words[:tail])
    return f"{_INFLECT.plural_noun(head)} {' '.join(words[tail:])}"


def _lead(p: Parts, rng: random.Random) -> str:
    """'the top 5 products' / 'the products'."""
    if p.ranked:
        return p.ranked
    if p.limit:
        head = p.limit.replace("only the ", "the ")
        if head.endswith(" one"):
            return f"{head} of the {_subject(p)}"
        return f"{head} {_subject(p)}"
    return f"the {_subject(p)}"


def _of_lead(p: Parts, meaning: Meaning, rng: random.Random) -> str:
    """' of the products' after the shown columns, unless a count already names them
    ('the number of releases of the releases')."""
    if (
        meaning.kind in ("groups", "totals")
        and not (p.limit or p.ranked)
        and meaning.subject in p.what
    ):
        return ""
    return f" of {_lead(p, rng)}"


def _direct(p: Parts, meaning: Meaning, rng: random.Random) -> str:
    tail = _tail(p, rng)
    if p.counting and not p.per and not p.limit and not p.ranked:
        return f"How many {_subject(p)} are there {tail}?"
    if meaning.kind in ("groups", "totals"):
        if p.per and rng.random() < 0.5:
            rest = _tail(Parts(**{**p.__dict__, "per": ""}), rng)
            return f"{p.per.capitalize()}, what is {p.what}{_of_lead(p, meaning, rng)} {rest}?"
        return f"What is {p.what}{_of_lead(p, meaning, rng)} {tail}?"
    return f"What are {p.what} of {_lead(p, rng)} {tail}?"


def _imperative(p: Parts, meaning: Meaning, rng: random.Random) -> str:
    verb = rng.choice(LIST_VERBS)
    if rng.random() < 0.35 and p.conds and not p.limit and not p.ranked:
        first, *rest = p.conds
        tail = _tail(Parts(**{**p.__dict__, "conds": rest}), rng)
        return f"For {_subject(p)} {first}, {verb.lower()} {p.what} {tail}."
    return f"{verb} {p.what}{_of_lead(p, meaning, rng)} {_tail(p, rng)}."


def _conversational(p: Parts, meaning: Meaning, rng: random.Random) -> str:
    opener = rng.choice(CONVERSATIONAL_OPENERS)
    body = f"{p.what}{_of_lead(p, meaning, rng)} {_tail(p, rng)}"
    if p.counting and not p.per and rng.random() < 0.5:
        body = f"how many {_subject(p)} there are {_tail(p, rng)}"
        opener = rng.choice(["Could you tell me", "Can you check", "Do you know"])
    end = "?" if opener.startswith(("Can", "Could", "Would", "Do")) else ", please."
    return f"{opener} {body}{end}"


def _terse(p: Parts, meaning: Meaning, rng: random.Random) -> str:
    what = p.what.replace("the ", "")
    bits = [p.subject, *p.conds, what, p.per, *p.having, *p.relations, *p.extras, p.order, p.limit]
    if rng.random() < 0.5:
        bits = [
            what,
            p.subject,
            *p.conds,
            p.per,
            *p.having,
            *p.relations,
            *p.extras,
            p.order,
            p.limit,
        ]
    return " ".join(b for b in bits if b)


def _multi_part(p: Parts, meaning: Meaning, rng: random.Random) -> str:
    opener = rng.choice(MULTI_OPENERS)
    conds = ", ".join(p.conds)
    first = f"{opener} {_lead(p, rng)} {conds}".rstrip()
    also = rng.choice(ALSO)
    second = f"{also} {p.what}"
    if p.per:
        second += f" {p.per}"
    pieces = [first, second]
    if p.having:
        pieces.append(join_words(p.having))
    if p.extras:
        pieces.append("include " + join_words(p.extras))
    if p.order:
        pieces.append(p.order)
    if p.steps and rng.random() < 0.5:
        pieces.insert(0, "Step by step:")
        return " ".join(pieces[:1]) + " " + "; then ".join(pieces[1:]) + "."
    return ", ".join(pieces[:2]) + ("; " + "; ".join(pieces[2:]) if pieces[2:] else "") + "."


def _informal(p: Parts, meaning: Meaning, rng: random.Random) -> str:
    opener = rng.choice(INFORMAL_OPENERS)
    tail = _tail(p, rng)
    lead = _lead(p, rng)
    if meaning.kind in ("groups", "totals"):
        text = f"{opener} {p.what} for {lead} {tail}"
    else:
        text = f"{opener} {lead} {tail}, just {p.what}"
    if p.adjectives and rng.random() < 0.5:
        text += (
            rng.choice([" lately", " these days", " recently"])
            if any(a in ("recent", "latest", "newer") for a in p.adjectives)
            else ""
        )
    return text + rng.choice(FILLERS_INFORMAL)


def _dml(meaning: Meaning, p: Parts, style: PromptStyle, rng: random.Random) -> str:
    dml = meaning.dml
    assert dml is not None
    subject = _subject(p)
    conds = _tail(Parts(**{**p.__dict__, "order": ""}), rng)
    if dml.verb == "delete":
        action = f"{rng.choice(['delete', 'remove'])} the {subject} {conds}"
    elif dml.verb == "update":
        action = f"{dml.change} for the {subject} {conds}"
    else:
        action = f"copy the {subject} {conds} into {dml.table_plural} as new rows: {dml.change}"
    if meaning.limit:
        action += f" (only the first {meaning.limit} by new id)"
    elif p.order:
        action += f" (in order of {meaning.order.label if meaning.order else 'id'})"
    if style is S.DIRECT:
        return f"How do I {action}?"
    if style is S.CONVERSATIONAL:
        return f"{rng.choice(['Can you', 'Could you', 'Would you please'])} {action}?"
    if style is S.TERSE:
        return f"{dml.verb} {dml.table_plural}: {conds} -> {dml.change}"
    if style is S.MULTI_PART:
        then = {
            "delete": "delete them",
            "update": f"{dml.change} for each of them",
            "insert": f"copy them into {dml.table_plural} as new rows: {dml.change}",
        }[dml.verb]
        return f"Find the {subject} {conds}, and then {then}."
    if style is S.INFORMAL:
        return f"{rng.choice(['pls', 'can u', 'need to'])} {action}"
    return action[0].upper() + action[1:] + "."


def _tidy(text: str, style: PromptStyle) -> str:
    text = fix_articles(" ".join(text.split()))
    for bad, good in ((" ,", ","), (" ?", "?"), (" .", "."), (",,", ","), (" ;", ";"), ("..", ".")):
        text = text.replace(bad, good)
    if style not in (S.TERSE, S.INFORMAL) and text:
        text = text[0].upper() + text[1:]
    return text
