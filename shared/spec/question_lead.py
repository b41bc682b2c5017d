"""How a question opens ("What", "Which", "How many", "List" ...): measured on seed questions,
planned as the spec property `question_lead` (conditional on the prompt style), and honoured
by the realizer, so a seeded run opens its questions as the seeds do."""

from __future__ import annotations

import re
from enum import StrEnum


class Lead(StrEnum):
    WHAT = "what"
    WHICH = "which"
    HOW_MANY = "how_many"
    LIST = "list"
    SHOW = "show"
    FIND = "find"
    GIVE = "give"
    RETURN = "return"
    OTHER = "other"


# Blueprint property of a sample planned from a seed with a question: that question's words,
# the length the template engine aims at (seed 001: a human question as the style reference).
QUESTION_WORDS = "question_words"

_WORD = re.compile(r"[a-z']+")
_FIRST = {
    "what": Lead.WHAT,
    "what's": Lead.WHAT,
    "which": Lead.WHICH,
    "list": Lead.LIST,
    "show": Lead.SHOW,
    "display": Lead.SHOW,
    "find": Lead.FIND,
    "give": Lead.GIVE,
    "return": Lead.RETURN,
    "get": Lead.GIVE,
}
# Imperative leads and the verb the realizer writes for each.
VERBS: dict[Lead, str] = {
    Lead.LIST: "List",
    Lead.SHOW: "Show",
    Lead.FIND: "Find",
    Lead.GIVE: "Give",
    Lead.RETURN: "Return",
}


def lead_of(question: str) -> Lead:
    """The lead of one question: its first word, "how many" as one."""
    words = _WORD.findall(question.lower())
    if not words:
        return Lead.OTHER
    if words[:2] == ["how", "many"]:
        return Lead.HOW_MANY
    return _FIRST.get(words[0], Lead.OTHER)


def parse_lead(value: object) -> Lead | None:
    try:
        return Lead(str(value)) if value is not None else None
    except ValueError:
        return None
