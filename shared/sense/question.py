"""Question <-> SQL checks, offline: the outputs asked for against the SELECT list
(outputs_missing.py, outputs_extra.py), ranking and grouping words against LIMIT/ORDER BY/GROUP BY,
literals both ways, style and length."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from proto.common import PromptStyle
from shared.sense.findings import SenseCheck
from shared.sense.outputs_extra import extra_outputs
from shared.sense.outputs_missing import missing_outputs
from shared.sense.record import ParsedRecord
from shared.sense.scopes import build_scope, cte_queries
from shared.sense.structure import Hit
from shared.spec.prompt_style import classify_prompt_style

# "at least 3" and "at most 5" are bounds, not rankings: a HAVING COUNT(*) >= 3 said plainly
# needs no ORDER BY (the evolution operators once avoided >= to dodge this misreading).
SUPERLATIVES = re.compile(
    r"\b(?<!\bat )(highest|lowest|most|least|largest|smallest|maximum|minimum|best|worst|"
    r"earliest|latest|oldest|youngest|fewest|greatest|top)\b"
)
TOP_N = re.compile(r"\b(?:top|first|last)\s+(\d+)\b")
EACH_WORDS = re.compile(r"\b(per|each|for every)\b")
QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")
NUMBER = re.compile(r"(?<![\w.-])(\d+(?:\.\d+)?)(?![\w.-])")
LENGTH_BOUNDS: dict[PromptStyle, tuple[int, int]] = {
    PromptStyle.TERSE: (2, 16),
    PromptStyle.DIRECT: (4, 45),
    PromptStyle.IMPERATIVE: (3, 45),
    PromptStyle.CONVERSATIONAL: (5, 55),
    PromptStyle.MULTI_PART: (8, 80),
    PromptStyle.INFORMAL: (3, 45),
}


def check_question(parsed: ParsedRecord) -> Iterator[Hit]:
    record = parsed.record
    if not record.question.strip():
        return
    tree = parsed.tree
    if isinstance(tree, exp.Query):
        outer = _outer_select(tree)
        if outer is not None:
            scope = build_scope(outer, cte_queries(tree))
            yield from missing_outputs(parsed, scope)
            yield from extra_outputs(parsed, scope)
        yield from _ranking_words(parsed)
    yield from _literals(parsed)
    yield from _style_and_length(parsed)


def _outer_select(tree: exp.Query) -> exp.Select | None:
    node: exp.Expr = tree
    while isinstance(node, exp.SetOperation):
        node = node.this
    if isinstance(node, exp.Subquery):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def _ranking_words(parsed: ParsedRecord) -> Iterator[Hit]:
    question = parsed.record.question.lower()
    tree = parsed.tree
    limits = {
        str(limit.expression.this)
        for limit in tree.find_all(exp.Limit)
        if isinstance(limit.expression, exp.Literal)
    }
    ranks = any(True for _ in tree.find_all(exp.RowNumber, exp.Window))
    for match in TOP_N.finditer(question):
        if match.group(1) not in limits and not ranks:
            yield Hit(
                SenseCheck.RANKING_WORDS,
                f"the question asks for {match.group(0)!r} but the SQL has no LIMIT "
                f"{match.group(1)}: add ORDER BY on the ranked measure and LIMIT {match.group(1)}",
            )
    orders = any(True for _ in tree.find_all(exp.Order)) or any(
        True for _ in tree.find_all(exp.Max, exp.Min)
    )
    if SUPERLATIVES.search(question) and not orders and not limits:
        yield Hit(
            SenseCheck.RANKING_WORDS,
            "the question ranks (highest, most, top ...) but the SQL neither orders nor takes a "
            "MAX/MIN: add the ranking",
        )
    groups = any(True for _ in tree.find_all(exp.Group)) or any(
        w.args.get("partition_by") for w in tree.find_all(exp.Window)
    )
    if EACH_WORDS.search(question) and not groups and not isinstance(tree, exp.Insert):
        yield Hit(
            SenseCheck.RANKING_WORDS,
            "the question asks per/each but the SQL groups nothing: add GROUP BY on what it "
            "groups by",
        )


def _literals(parsed: ParsedRecord) -> Iterator[Hit]:
    text = parsed.text()
    sql_literals = [lit for lit in parsed.tree.find_all(exp.Literal)]
    for literal in sql_literals:
        if not _in_predicate(literal):
            continue
        value = str(literal.this)
        if literal.is_string:
            if value.lower() not in text and value.strip("%").lower() not in text:
                yield Hit(
                    SenseCheck.LITERAL_NOT_IN_QUESTION,
                    f"the SQL compares with {value!r}, which the question does not state: name "
                    "it in the question or drop the filter",
                )
        elif not _number_in(value, text):
            yield Hit(
                SenseCheck.LITERAL_NOT_IN_QUESTION,
                f"the SQL compares with {value}, which the question does not state: name it in "
                "the question or drop the filter",
            )
    sql_text = parsed.record.sql.lower()
    for match in QUOTED.finditer(parsed.record.question):
        value = (match.group(1) or match.group(2)).lower()
        if value not in sql_text:
            yield Hit(
                SenseCheck.VALUE_NOT_IN_SQL,
                f"the question states {value!r}, which the SQL never uses: filter on it",
            )


def _in_predicate(literal: exp.Literal) -> bool:
    parent = literal.parent
    while parent is not None and not isinstance(parent, exp.Select | exp.Query):
        if isinstance(parent, exp.Where | exp.Having):
            return not isinstance(literal.parent, exp.Limit)
        parent = parent.parent
    return False


def _number_in(value: str, text: str) -> bool:
    try:
        number = float(value)
    except ValueError:
        return value in text
    spelled = {m.group(1) for m in NUMBER.finditer(text.replace(",", ""))}
    return any(abs(float(s) - number) < 1e-9 for s in spelled) or value in text


def _style_and_length(parsed: ParsedRecord) -> Iterator[Hit]:
    planned = parsed.record.planned_style
    if planned is None:
        return
    question = parsed.record.question
    classified = classify_prompt_style(question)
    if classified is not None and classified is not planned:
        yield Hit(
            SenseCheck.STYLE_MISMATCH,
            f"the question reads as {classified.value}, not the planned {planned.value}: "
            "rephrase it in the planned style",
        )
    low, high = LENGTH_BOUNDS[planned]
    count = len(question.split())
    if not low <= count <= high:
        yield Hit(
            SenseCheck.QUESTION_LENGTH,
            f"the question has {count} words; a {planned.value} question has {low}-{high}: "
            "shorten it (or complete it)",
        )
