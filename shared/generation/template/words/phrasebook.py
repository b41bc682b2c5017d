"""Words the question writer draws from: verbs, openers and connectors per prompt style, and
the ways to say each comparison. Data only; `questions.py` decides where each goes."""

from __future__ import annotations

from proto.common import PromptStyle

S = PromptStyle

LIST_VERBS = ("List", "Show", "Find", "Give me", "Display", "Return", "Get", "Pull up", "Fetch")
CONVERSATIONAL_OPENERS = (
    "Can you show me",
    "Could you pull up",
    "Would you mind listing",
    "I'd like to see",
    "Could you find",
    "Can you give me",
    "I need",
    "Could you tell me",
)
INFORMAL_OPENERS = (
    "hey, what are",
    "quick one: what are",
    "so what are",
    "any idea what are",
    "need",
    "gimme",
    "what're",
    "looking for",
)
MULTI_OPENERS = ("Find", "Identify", "Retrieve", "Determine", "Look up")
ALSO = ("and also show", "and additionally give", "then also report", "and include", "plus")
THEN_SORT = ("then sort them by", "and order the result by", "ranking them by", "sorted by")

# How each comparison reads in prose: (full phrase templates, terse templates). {l} label,
# {v} value, {a}/{b} pair.
COMPARE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "eq": (
        ("whose {l} is {v}", "with {l} {v}", "where the {l} is {v}", "having {l} {v}"),
        ("{l} {v}", "{l}={v}"),
    ),
    "ne": (
        ("whose {l} is not {v}", "with a {l} other than {v}", "excluding {l} {v}"),
        ("{l} != {v}", "not {l} {v}"),
    ),
    "in": (
        ("whose {l} is {a} or {b}", "with {l} in ({a}, {b})", "where the {l} is either {a} or {b}"),
        ("{l} {a}/{b}", "{l} in ({a},{b})"),
    ),
    "gt": (
        (
            "with {l} above {v}",
            "whose {l} exceeds {v}",
            "with a {l} greater than {v}",
            "with {l} over {v}",
        ),
        ("{l} > {v}", "{l} over {v}"),
    ),
    "ge": (
        ("with {l} of at least {v}", "whose {l} is {v} or more", "with {l} no lower than {v}"),
        ("{l} >= {v}", "{l} {v}+"),
    ),
    "lt": (
        ("with {l} below {v}", "whose {l} is under {v}", "with a {l} less than {v}"),
        ("{l} < {v}", "{l} under {v}"),
    ),
    "le": (
        ("with {l} of at most {v}", "whose {l} is {v} or less", "with {l} no higher than {v}"),
        ("{l} <= {v}", "{l} max {v}"),
    ),
    "between": (
        (
            "with {l} between {a} and {b}",
            "whose {l} falls between {a} and {b}",
            "with {l} from {a} to {b}",
        ),
        ("{l} {a}-{b}", "{l} between {a} and {b}"),
    ),
    "year": (
        ("with {l} in {v}", "whose {l} falls in {v}", "with a {l} during {v}"),
        ("{l} {v}", "{v}"),
    ),
    "null": (("with no {l}", "whose {l} is missing", "without a {l}"), ("no {l}", "{l} null")),
    "notnull": (
        ("that have a {l}", "whose {l} is recorded", "with a {l} set"),
        ("{l} present", "has {l}"),
    ),
}
DATE_COMPARE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "gt": (("with {l} after {v}", "whose {l} is later than {v}"), ("{l} after {v}",)),
    "ge": (
        ("with {l} on or after {v}", "whose {l} is {v} or later", "with {l} since {v}"),
        ("{l} since {v}", "{l} >= {v}"),
    ),
    "lt": (
        ("with {l} before {v}", "whose {l} is earlier than {v}", "with {l} prior to {v}"),
        ("{l} before {v}", "{l} < {v}"),
    ),
    "le": (("with {l} on or before {v}", "whose {l} is no later than {v}"), ("{l} <= {v}",)),
}
DESC_WORDS = ("highest first", "descending", "from highest to lowest", "largest first")
ASC_WORDS = ("lowest first", "ascending", "from lowest to highest", "smallest first")
DATE_DESC_WORDS = ("newest first", "latest first", "most recent first")
DATE_ASC_WORDS = ("oldest first", "earliest first", "in chronological order")
SORT_PHRASES = (
    "sorted by {l} ({d})",
    "ordered by {l}, {d}",
    "in order of {l} ({d})",
    "ranked by {l} ({d})",
)
GROUP_PHRASES = ("for each {p}", "per {p}", "broken down by {p}", "grouped by {p}", "by {p}")
FILLERS_INFORMAL = ("", "", " lol", " pls", " thx", "?")
