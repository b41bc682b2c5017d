"""The evolved question: the parent's question with the change put into words.

This is the one place evolved SQL gets words (swap point for the typed-meaning realizer of the
questions issue, #13). Until that lands it reuses the template engine's phrase functions for
conditions (`question_parts.condition`, the phrasebook's comparisons) and writes one clause per
`ChangeKind`; a change it cannot word (a widened value not found in the question) gives None,
and the candidate is not used.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum

import sqlglot

from proto.common import PromptStyle
from proto.sample import Scalar
from shared.evolution.context import EvolveContext, owned, view_query
from shared.evolution.describe import describe_query
from shared.evolution.model import Change, ChangeKind
from shared.evolution.names import names_of
from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.words import realize
from shared.generation.template.words.meaning import Cond
from shared.generation.template.words.question_parts import (
    Vocabulary,
    condition,
    fix_articles,
    value,
)

_END = re.compile(r"[\s?.!]+$")
_OPS = {"gt": "above", "lt": "below"}


def _ctype(change: Change) -> ColumnType:
    if change.is_date:
        return ColumnType.DATE
    return ColumnType.TEXT if change.is_text else ColumnType.DECIMAL


def _condition(change: Change, rng: random.Random, terse: bool) -> str:
    cond = Cond(op=change.op, label=change.label, values=change.values, ctype=_ctype(change))
    return condition(cond, rng, Vocabulary(), terse)


def _show(v: Scalar, change: Change, terse: bool = False) -> str:
    return value(v, _ctype(change), terse)


def _restrict(change: Change, condition: str) -> str:
    """A filter's lead: in an aggregate query it restricts the rows counted, not the groups;
    before a LIMIT it restricts the rows ranked ("among those"), not the ones returned."""
    if change.counted:
        return f"counting only {change.counted} {condition}"
    return f"{'among' if change.limited else 'only'} those {condition}"


def phrase_of(change: Change, rng: random.Random, terse: bool = False) -> str:
    """The clause that says what the change added (appended to the parent's question)."""
    kind = change.kind
    within = f" within each {change.within}" if change.within else ""
    if kind is ChangeKind.ADD_METRIC:
        return f"and also the {change.word} {change.label}{within}"
    if kind is ChangeKind.ADD_RANK:
        # Not "each" (asks for a grouping) nor "highest" (asks for an ORDER BY or MAX): the
        # sense checks' question rules read those words (ranking_words warnings).
        return f"with a rank number by {change.label} in descending order{within}"
    if kind is ChangeKind.ADD_BETWEEN:
        return _restrict(change, _condition(change, rng, terse))
    if kind is ChangeKind.ADD_BAND:
        cut, high, low = change.values
        # The cut said as "X or more" / "on or after D".
        bound = (
            f"on or after {_show(cut, change)}"
            if change.is_date
            else f"{_show(cut, change)} or more"
        )
        if change.blank:
            below = f"before {_show(cut, change)}" if change.is_date else "below that"
            return (
                f"along with a {change.label} band ('{high}' when {bound}, '{low}' when {below},"
                f" none without a {change.label})"
            )
        return f"along with a {change.label} band ('{high}' when {bound}, otherwise '{low}')"

    if kind is ChangeKind.ADD_FILTER:
        return _restrict(change, _condition(change, rng, terse))
    if kind is ChangeKind.ADD_HAVING:
        return f"keeping only groups of more than {change.values[0]} {change.noun or 'rows'}"
    if kind is ChangeKind.JOIN_SHOW:
        return f"along with their {owned(change.noun, change.label)}"
    if kind is ChangeKind.JOIN_COUNT:
        return f"along with the number of {change.label} each has (0 when none)"
    if kind is ChangeKind.JOIN_FILTER:
        cond = _condition(replace(change, label=owned(change.noun, change.label)), rng, terse)
        return _restrict(change, cond)
    if kind is ChangeKind.ABOVE_AVERAGE:
        label, side = change.label, _OPS[change.op]
        return _restrict(change, f"with {label} {side} the average {label} of all {change.noun}")
    if kind is ChangeKind.CTE_ABOVE_AVERAGE:
        label = change.label
        return f"keeping only the groups whose {label} is above the average {label} of all groups"
    if kind is ChangeKind.EXISTS_CHILD:
        # Before a LIMIT the check picks the candidates ranked, not the rows returned.
        lead = "among" if change.limited else "considering only"
        if change.negated:
            return f"{lead} {change.noun} that have no {change.label}"
        return f"{lead} {change.noun} that have a {change.label} on record"
    if kind is ChangeKind.EXCEPT_FILTER:
        return f"excluding those {_condition(change, rng, terse)}"
    raise ValueError(f"no words for {kind}")  # WIDEN_IN rewrites in place (reword_question)


def _find_once(question: str, form: str) -> re.Match[str] | None:
    """The one place `form` stands alone in the question ("4" not inside "2024-04-01"); None
    when it is absent or appears twice (which of them the SQL's literal is would be a guess)."""
    pattern = re.compile(r"(?<![\w.-])" + re.escape(form) + r"(?![\w-]|\.\d)")
    found = list(pattern.finditer(question))
    return found[0] if len(found) == 1 else None


def _replace_literal(question: str, forms: list[str], make: Callable[[str], str]) -> str | None:
    for form in forms:
        match = _find_once(question, form)
        if match is not None:
            return question[: match.start()] + make(form) + question[match.end() :]
    return None


def _widen(question: str, change: Change) -> str | None:
    current, other = change.values
    forms = [f"'{current}'", f'"{current}"', str(current)]

    def widened(form: str) -> str:
        mark = form[0] if form[0] in "'\"" else ""
        return f"{form} or {mark}{other}{mark}"

    return _replace_literal(question, forms, widened)


def _swap(question: str, change: Change) -> str | None:
    current, other = change.values
    shown = other if isinstance(other, str) else value(other, None, False)

    def swapped(form: str) -> str:
        mark = "'" if form.startswith("'") else ""
        return f"{mark}{shown}{mark}"

    return _replace_literal(question, spellings(current), swapped)


def spellings(v: Scalar) -> list[str]:
    """How a question may write a literal: quoted, bare, or as the template prints numbers."""
    forms = [f"'{v}'", str(v)]
    if isinstance(v, float):
        forms += [value(v, None, False), f"{v:.2f}"]
    return list(dict.fromkeys(forms))


def rename_words(text: str, renames: dict[str, str]) -> tuple[str, set[str]]:
    """Every whole-word occurrence of each key replaced in one pass (longest key first, so a
    column's words are not half-replaced by its table's); the keys found."""
    if not renames:
        return text, set()
    keys = sorted(renames, key=len, reverse=True)
    alternatives = "|".join(re.escape(k) for k in keys)
    pattern = re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])", re.IGNORECASE)
    found: set[str] = set()

    def swap(match: re.Match[str]) -> str:
        key = next(k for k in keys if k.lower() == match.group(0).lower())
        found.add(key)
        return renames[key]

    return pattern.sub(swap, text), found


def _reschema(question: str, change: Change) -> str | None:
    """Redrawn literals, then renamed columns and table, each as the question spells them."""
    text: str | None = question
    for old, new in change.swaps:
        text = _swap(text, Change(ChangeKind.SWAP_VALUE, values=(old, new))) if text else None
    if text is None:
        return None
    columns = dict(change.renames)
    text, found = rename_words(text, {**dict(change.nouns), **columns})
    if set(columns) - found or (change.nouns and not found - set(columns)):
        return None  # a renamed name the question does not say: its words would not follow
    return fix_articles(text)


def explain_schema_change(explanation: str, change: Change) -> str:
    text = explanation
    for old, new in change.swaps:
        text = _swap(text, Change(ChangeKind.SWAP_VALUE, values=(old, new))) or text
    text, _ = rename_words(text, {**dict(change.idents), **dict(change.nouns)})
    return rename_words(text, dict(change.renames))[0]


class Reword(StrEnum):
    """Where an expanded question's words come from: the parent's question with the change put
    in place, or realized afresh from the variant's own tree (falling back to in place when
    the tree has a part `describe_query` cannot say)."""

    IN_PLACE = "in-place"
    REALIZED = "realized"


def realize_sql(
    sql: str, ctx: EvolveContext, style: PromptStyle, rng: random.Random, domain: str = ""
) -> str | None:
    """A whole question for `sql` from the meaning read off its tree (in the words of its
    template domain when it has one), or None when part of it cannot be said."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return None
    view = view_query(tree)
    names = names_of(domain)
    meaning = describe_query(view, ctx, names) if view is not None else None
    return None if meaning is None else realize(meaning, style, rng, names.wording)


def reword_question(
    question: str, change: Change, style: PromptStyle, rng: random.Random
) -> str | None:
    """The parent's question, reworded for the evolved SQL; None when the change cannot be said."""
    if change.kind is ChangeKind.SWAP_SCHEMA:
        return _reschema(question, change)
    if change.kind is ChangeKind.WIDEN_IN:
        return _widen(question, change)
    if change.kind is ChangeKind.SWAP_VALUE:
        return _swap(question, change)
    terse = style is PromptStyle.TERSE
    end = _END.search(question)
    stem = question[: end.start()] if end else question
    closing = "" if terse else ("?" if end and "?" in end.group() else ".")
    separator = " " if terse else ", "
    return fix_articles(f"{stem}{separator}{phrase_of(change, rng, terse)}{closing}")


def explain_change(explanation: str, change: Change, rng: random.Random) -> str:
    """The parent's explanation and one sentence for what the evolution changed."""
    if change.kind is ChangeKind.SWAP_SCHEMA:
        return explain_schema_change(explanation, change)
    if change.kind is ChangeKind.SWAP_VALUE:
        return explanation  # the same query with another value: the explanation's words hold
    if change.kind is ChangeKind.WIDEN_IN:
        what = f"the {change.label} may also be {_show(change.values[1], change)}"
    else:
        what = phrase_of(change, rng)
    return f"{explanation.rstrip()} The evolved query then adds: {what}."
