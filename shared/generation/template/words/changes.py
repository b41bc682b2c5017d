"""Questions that ask for a change to the data (INSERT, UPDATE, DELETE), saying exactly what
changes and which rows."""

from __future__ import annotations

import random

from proto.common import PromptStyle
from shared.generation.template.words.intent import (
    Change,
    ChangeKind,
    Intent,
    QuestionMeaning,
)
from shared.generation.template.words.phrases import (
    bare,
    group_condition,
    join_and,
    modifier,
    modifiers,
    ranked_rows,
    value,
    with_article,
)

S = PromptStyle


def change_words(c: Change, rng: random.Random) -> str:
    """'raise the unit price by 20%', "set the status to 'Closed'"."""
    match c.kind:
        case ChangeKind.RAISE_PCT:
            return f"{rng.choice(['raise', 'increase'])} the {c.field} by {c.amount}%"
        case ChangeKind.CUT_PCT:
            return f"{rng.choice(['cut', 'lower', 'reduce'])} the {c.field} by {c.amount}%"
        case ChangeKind.ADD:
            return f"increase the {c.field} by {c.amount}"
        case _:
            return f"set the {c.field} to {value(c.value, c.value_kind)}"


def realize_change(m: QuestionMeaning, style: PromptStyle, rng: random.Random) -> str:
    """(the action on the rows, the rows) arranged in the style."""
    c = m.change
    assert c is not None
    rows = _rows(m, rng, informal=style is S.INFORMAL)
    if m.intent is Intent.DELETE:
        verb = rng.choice(["delete", "remove"])
        action, on_them = f"{verb} {rows}", f"{verb} them"
    elif m.intent is Intent.UPDATE:
        words = change_words(c, rng)
        if c.only_if is not None:
            words += f" (only those with {bare(c.only_if, rng)})"
        action, on_them = f"{words} for {rows}", f"{words} for each of them"
    elif c.kind is ChangeKind.NEW:
        given = join_and([f"{label} {value(v, k)}" for label, v, k in c.values])
        new = f"add {with_article(c.table_one)} with {given}"
        action = f"{new} for {rows}" if m.filters else new
        on_them = f"{new} for it"
    else:
        changed = f", but {change_words(c, rng)}" if c.field else ""
        if c.only_if is not None:
            changed += f" where it has {bare(c.only_if, rng)}"
        action = f"copy {rows} as new {c.table_many}{changed}"
        on_them = f"copy them as new {c.table_many}{changed}"
    if m.limit and m.ranking is not None and m.intent is Intent.INSERT:
        first = "the first one" if m.limit == 1 else f"the first {m.limit}"
        action += f", only {first} by {m.ranking.by}"
        on_them += f", only {first} by {m.ranking.by}"
    if style is S.DIRECT:
        return f"How do I {action}?"
    if style is S.CONVERSATIONAL:
        return f"{rng.choice(['Can you', 'Could you'])} {action}?"
    if style is S.TERSE:
        return action.replace("the ", "")
    if style is S.MULTI_PART:
        return f"Find {rows}, and then {on_them}."
    if style is S.INFORMAL:
        return f"{rng.choice(['pls', 'can u', 'need to'])} {action}"
    return action[0].upper() + action[1:] + "."


def _rows(m: QuestionMeaning, rng: random.Random, *, informal: bool) -> str:
    vague = m.vague_filters() if informal else ()
    conds = modifiers([f for f in m.filters if f not in vague], rng)
    having = [group_condition(f, m.subject_many, rng) for f in m.group_filters]
    combo = ""
    if m.combination is not None:
        right = join_and([modifier(f, rng) for f in m.combination.right])
        combo = f"plus those {right}" if right else ""
    adjectives = " ".join(f.vague or "" for f in vague)
    noun = f"{'the distinct ' if m.distinct else 'the '}{adjectives} {m.subject_many}"
    if m.ranking is not None and m.ranking.limit and m.intent is not Intent.INSERT:
        # "the 3 orders with the earliest order date": the rows an UPDATE or DELETE ranks.
        one = f"{adjectives} {m.subject_one}".strip()
        noun = ranked_rows(m.ranking, one, f"{adjectives} {m.subject_many}".strip())
    return " ".join(p for p in (noun, conds, join_and(having), combo) if p)
