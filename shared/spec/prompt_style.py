"""A small rule-based classifier of a question's style, into DataFramer's six prompt styles.

DataFramer lists the styles by example: direct questions ("What is the average delivery time for
orders in Q3?"), imperatives ("List all products with inventory below threshold"), conversational
requests ("Can you show me which customers haven't ordered recently?"), terse keywords ("total
sales by region 2024"), complex multi-part asks ("Find the top 5 suppliers by volume and also
show their average lead time grouped by category") and informal/ambiguous wording ("what are the
best performing stores lately"). The rules below are checked in this order; the first that
applies decides (docs/spec.md lists them):

1. conversational: a request framed as talk - "can you", "could you", "would you", "I'd like",
   "I would like", "I want", "I need", "please", "help me", "tell me", "let me know";
2. complex_multi_part: two asks in one - "and also", "as well as show", "and then", "in
   addition", "additionally", more than one sentence or question mark (a question followed
   by a sentence: "Which X ...? List the Y."), a semicolon, or a second command verb after
   "and" ("List X and show Y");
3. informal_ambiguous: a vague word - recent(ly) (not "most recent"), lately, best, worst,
   popular, trending, "a lot", "lots of", "these days", "top" not followed by a number;
4. direct_question: ends with "?" or starts with a wh-word or an auxiliary verb;
5. imperative: starts with a command verb (list, show, find, ...);
6. terse_keyword: at most eight words and no verb at all;
7. otherwise imperative when it ends with a full stop (a statement of what to do), else
   direct_question.
"""

from __future__ import annotations

import re

from proto.common import PromptStyle

CONVERSATIONAL = re.compile(
    r"\b(can you|could you|would you|will you|i'd like|i would like|i want|i need|please|"
    r"help me|tell me|let me know|i'm looking for|i am looking for|do you know)\b"
)
COMMAND_VERBS = frozenset(
    [
        "list",
        "show",
        "find",
        "get",
        "give",
        "display",
        "return",
        "count",
        "calculate",
        "compute",
        "determine",
        "identify",
        "retrieve",
        "select",
        "fetch",
        "sum",
        "rank",
        "sort",
        "order",
        "update",
        "delete",
        "insert",
        "add",
        "remove",
        "increase",
        "decrease",
        "set",
        "change",
        "create",
        "provide",
        "name",
        "obtain",
        "report",
        "summarize",
        "summarise",
        "compare",
        "modify",
        "mark",
        "record",
        "register",
        "generate",
        "output",
        "print",
        "enumerate",
        "filter",
        "group",
        "track",
        "analyze",
        "analyse",
        "describe",
        "include",
        "drop",
        "alter",
        "replace",
        "reduce",
        "raise",
        "lower",
        "assign",
        "move",
        "archive",
        "query",
        "check",
    ]
)
MULTI_PART = re.compile(
    r"\b(and also|and then|in addition|additionally|as well as (?:show|list|give|display|find))\b"
)
# Narrower than COMMAND_VERBS: "the name and order date" must not read as a second command.
SECOND_VERBS = (
    "show",
    "list",
    "give",
    "display",
    "find",
    "return",
    "calculate",
    "compute",
    "determine",
    "identify",
    "retrieve",
    "rank",
    "provide",
    "tell",
)
SECOND_COMMAND = re.compile(r"\band (?:then )?(" + "|".join(SECOND_VERBS) + r")\b")
# "most recent" is a precise superlative and "best-before" a compound, not vague wording.
VAGUE = re.compile(
    r"(?<!most )\b(recent|recently)\b|\b(lately|best|worst|popular|trending|a lot|lots of|"
    r"these days|nowadays|kinda|sorta|stuff)\b(?!-)|\btop\b(?!\s+(\d+|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|twenty|hundred)\b)"
)
QUESTION_STARTS = frozenset(
    [
        "what",
        "what's",
        "whats",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
    ]
)
# Words that make a text a sentence rather than keywords (a verb or a question word).
VERB_HINTS = COMMAND_VERBS | QUESTION_STARTS | frozenset({"be", "been", "being", "there"})
TERSE_MAX_WORDS = 8
WORD = re.compile(r"[a-z0-9']+")
# A full stop after a word of 3+ letters ("U.S. Army" is not a sentence break).
SENTENCE_BREAK = re.compile(r"[a-z]{3,}[.!?]\s+[A-Z]")
# A question mark ends a question whatever stands before it ("... 'AKO'? List the names."):
# a question then a second sentence is two asks (Spider's "Which X ...? List the Y.").
QUESTION_BREAK = re.compile(r"\?\s+[A-Z]")


def classify_prompt_style(question: str) -> PromptStyle | None:
    """The style of one question (None for an empty text)."""
    text = " ".join(question.split())
    if not text:
        return None
    lower = text.lower()
    words = WORD.findall(lower)
    if not words:
        return None
    if CONVERSATIONAL.search(lower):
        return PromptStyle.CONVERSATIONAL
    if _is_multi_part(text, lower, words):
        return PromptStyle.MULTI_PART
    if VAGUE.search(lower):
        return PromptStyle.INFORMAL
    if text.endswith("?") or words[0] in QUESTION_STARTS:
        return PromptStyle.DIRECT
    if words[0] in COMMAND_VERBS:
        return PromptStyle.IMPERATIVE
    if len(words) <= TERSE_MAX_WORDS and not VERB_HINTS & set(words):
        return PromptStyle.TERSE
    return PromptStyle.IMPERATIVE if text.endswith(".") else PromptStyle.DIRECT


def _is_multi_part(text: str, lower: str, words: list[str]) -> bool:
    if MULTI_PART.search(lower) or ";" in text or text.count("?") > 1:
        return True
    if SENTENCE_BREAK.search(text) or QUESTION_BREAK.search(text):
        return True
    # "List the X and show the Y": a second command after "and" (not the first word's own).
    return words[0] in COMMAND_VERBS and SECOND_COMMAND.search(lower) is not None
