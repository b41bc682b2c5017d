"""Outputs the question asks for that the SQL does not compute or read (missing_output)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from sqlglot import exp

from shared.sense.findings import SenseCheck
from shared.sense.record import ParsedRecord
from shared.sense.roles import is_identifier
from shared.sense.scopes import (
    SelectScope,
    aggregates_in,
    owner,
)
from shared.sense.structure import Hit
from shared.sense.words import (
    GENERIC,
    identifier_words,
    mentions,
    mostly_mentions,
    question_words,
)

COUNT_WORDS = re.compile(r"\b(how many|number of|count of|total number|tally)\b")
AVERAGE_WORDS = re.compile(r"\b(average|mean|avg)\b")
TOTAL_WORDS = re.compile(r"(?<!in )(?<!how many )\btotal\b(?! (number|count)s?\b)")
# "average number of beds" aggregates a stored count: not a request to count rows.
_AGGREGATED_COUNT = re.compile(
    r"\b(average|mean|max|maximum|min|minimum|median|highest|lowest|largest|smallest)\s+$"
)


def referenced_columns(tree: exp.Expr) -> set[str]:
    return {c.name.lower() for c in tree.find_all(exp.Column)}


def missing_outputs(parsed: ParsedRecord, scope: SelectScope) -> Iterator[Hit]:
    question = parsed.record.question.lower()
    tree = parsed.tree
    functions = {type(a) for a in tree.find_all(exp.AggFunc)}
    referenced = referenced_columns(tree)
    divides = any(True for _ in tree.find_all(exp.Div))
    stored_average = any(
        w in {"avg", "average", "mean"} for c in referenced for w in identifier_words(c)
    )
    if (
        AVERAGE_WORDS.search(question)
        and exp.Avg not in functions
        and not divides
        and not stored_average
    ):
        yield Hit(
            SenseCheck.MISSING_OUTPUT,
            "the question asks for an average but the SQL computes none: add AVG(...) of what "
            "it names to the SELECT list",
        )
    if _asks_count(question, parsed) and not functions & {exp.Count, exp.Sum}:
        yield Hit(
            SenseCheck.MISSING_OUTPUT,
            "the question asks for a count but the SQL counts nothing: add COUNT(...) to the "
            "SELECT list",
        )
    if _asks_total(question, parsed) and aggregates_in(scope.select) and exp.Sum not in functions:
        yield Hit(
            SenseCheck.MISSING_OUTPUT,
            "the question asks for a total but the SQL sums nothing: add SUM(...) of what it "
            "names to the SELECT list",
        )
    words = set(question_words(parsed.record.question))
    referenced_words = {w for name in referenced for w in identifier_words(name)}
    schema = parsed.schema
    for source in scope.sources.values():
        if source.table is None:
            continue
        table_words = set(identifier_words(source.table))
        for column in schema.facts.columns.get(source.table, ()):
            if column in referenced or schema.is_primary_key(source.table, column):
                continue
            if is_identifier(schema, source.table, column, schema.spelling(column)):
                continue
            if schema.foreign_key(source.table, column):
                continue
            specific = {t for t in identifier_words(column) if t not in GENERIC}
            if not specific or specific <= table_words or specific <= referenced_words:
                continue
            written = schema.spelling(column)
            several = len(identifier_words(written)) > 1
            if mentions(written, words) and (
                (several and spelled(written, question)) or _enumerated(written, question)
            ):
                yield Hit(
                    SenseCheck.MISSING_OUTPUT,
                    f"the question names {column} of {source.table}, which the SQL never "
                    "reads: add it to the SELECT list if it is asked for",
                )
    yield from _evidence_outputs(parsed, scope, referenced)
    yield from _grouping_asked(parsed, scope)


def _asks_total(question: str, parsed: ParsedRecord) -> bool:
    """ "total" that is not the name of a column ("total assets" is total_assets)."""
    columns = {c for cols in parsed.schema.facts.columns.values() for c in cols}
    for match in TOTAL_WORDS.finditer(question):
        following = question_words(question[match.end() :])[:1]
        if not following or not any(
            c.startswith("total") and following[0] in identifier_words(c) for c in columns
        ):
            return True
    return False


def _asks_count(question: str, parsed: ParsedRecord) -> bool:
    """A count word that is not part of a column's name ("number of runways" is a column)."""
    columns = {
        w
        for cols in parsed.schema.facts.columns.values()
        for c in cols
        for w in identifier_words(c)
    }
    for match in COUNT_WORDS.finditer(question):
        following = question_words(question[match.end() :])[:1]
        preceding = question_words(question[: match.start()])[-1:]
        if preceding and preceding[0] in columns:
            continue  # "follower count of all members": the count is a column
        if _AGGREGATED_COUNT.search(question[: match.start()]):
            continue
        if not following or following[0] not in columns:
            return True
    return False


_REFERS = re.compile(r"refers? to ([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)?)\s*(?:[;,.]|and\b|$)")


def _evidence_outputs(
    parsed: ParsedRecord, scope: SelectScope, referenced: set[str]
) -> Iterator[Hit]:
    """BIRD's evidence maps a phrase to a column ("website refers to url"): it must be read."""
    tables = {s.table for s in scope.sources.values() if s.table}
    for match in _REFERS.finditer(parsed.record.evidence):
        column = match.group(1).split(".")[-1].lower()
        owners = [t for t in tables if column in parsed.schema.facts.columns.get(t, ())]
        if owners and column not in referenced:
            yield Hit(
                SenseCheck.MISSING_OUTPUT,
                f"the evidence maps part of the question to {column}, which the SQL never "
                "reads: add it to the SELECT list",
            )


_EACH_PHRASE = re.compile(r"\b(?:each|per|for every|for each)\s+((?:[a-z-]+\s+){0,2}[a-z-]+)")
_PHRASE_END = frozenset(
    {
        "in",
        "of",
        "for",
        "the",
        "from",
        "at",
        "on",
        "with",
        "by",
        "and",
        "or",
        "to",
        "that",
        "who",
        "which",
        "where",
        "during",
        "over",
        "since",
        "between",
        "as",
        "ordered",
        "sorted",
    }
)


def _grouping_asked(parsed: ParsedRecord, scope: SelectScope) -> Iterator[Hit]:
    """ "for each supplier" with a GROUP BY on something else: the grouping asked is missing."""
    group = scope.select.args.get("group")
    if group is None:
        return
    schema = parsed.schema
    for match in _EACH_PHRASE.finditer(parsed.record.question.lower()):
        phrase = list(itertools.takewhile(lambda w: w not in _PHRASE_END, match.group(1).split()))
        wanted = set(question_words(" ".join(phrase)))
        if not wanted:
            continue
        satisfied = False
        for key in group.expressions:
            for column in key.find_all(exp.Column):
                source = owner(column, scope, schema)
                name = column.name.lower()
                if mostly_mentions(schema.spelling(name), wanted):
                    satisfied = True
                elif (
                    source is not None
                    and source.table
                    and schema.is_primary_key(source.table, name)
                ):
                    satisfied |= bool(set(identifier_words(source.table)) & wanted) or any(
                        len(w) >= 4 and w in source.table for w in wanted
                    )
        if not satisfied:
            yield Hit(
                SenseCheck.MISSING_OUTPUT,
                f"the question asks per {' '.join(phrase)!r} but the SQL groups by something "
                "else: group by (and select) what it names",
            )


def _enumerated(column: str, text: str) -> bool:
    """One of the identifier's words sits right in a list of outputs ("X, Y and Z")."""
    lower = text.lower()
    for word in identifier_words(column):
        if word in GENERIC:
            continue
        token = re.escape(word) + r"(?:s|es|ed|ing)?\b"
        if re.search(rf"(,|\band)\s+{token}|\b{token}\s*(,|\band\b)", lower):
            return True
    return False


def spelled(column: str, text: str) -> bool:
    """The question writes the identifier out as a phrase ("middle name" for middle_name)."""
    phrase = r"\W+".join(re.escape(w) for w in identifier_words(column))
    return bool(re.search(rf"\b{phrase}", question_text_stems(text)))


def question_text_stems(text: str) -> str:
    return " ".join(question_words(text))
