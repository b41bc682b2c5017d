"""Outputs the SQL selects that the question does not ask for (extra_output)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from shared.sense.findings import SenseCheck
from shared.sense.outputs_missing import question_text_stems
from shared.sense.record import ParsedRecord
from shared.sense.scopes import (
    SelectScope,
    Source,
    aggregates_in,
    owner,
)
from shared.sense.structure import Hit, pinned_columns
from shared.sense.words import (
    GENERIC,
    identifier_words,
    mostly_mentions,
    question_words,
)

GROUP_WORDS = re.compile(
    r"\b(by|per|each|every|for all|respective|which|breakdown|broken down|group|grouped|list)\b"
)
SINGLE_VALUE_START = re.compile(r"^\s*(what is|what's|what was|how many|how much)\b")
NAME_WORDS = frozenset(
    {"name", "who", "whom", "whose", "which", "list", "show", "called", "named", "titled"}
)
ID_WORDS = frozenset({"id", "ids", "identifier", "number", "code", "key"})
AGG_WORDS: dict[type[exp.Expr], frozenset[str]] = {
    exp.Count: frozenset({"how", "many", "number", "count", "total", "tally"}),
    exp.Sum: frozenset(
        {"total", "sum", "overall", "combined", "altogether", "much", "many", "amount"}
    ),
    exp.Avg: frozenset({"average", "mean", "avg"}),
    exp.Max: frozenset(
        {
            "max",
            "maximum",
            "highest",
            "largest",
            "most",
            "latest",
            "biggest",
            "top",
            "greatest",
            "longest",
            "oldest",
            "best",
            "peak",
            "last",
            "recent",
            "newest",
        }
    ),
    exp.Min: frozenset(
        {
            "min",
            "minimum",
            "lowest",
            "smallest",
            "least",
            "earliest",
            "fewest",
            "youngest",
            "shortest",
            "worst",
            "first",
            "cheapest",
            "oldest",
        }
    ),
}


def _projection_parts(select: exp.Select) -> Iterator[exp.Expr]:
    for projection in select.expressions:
        yield projection.this if isinstance(projection, exp.Alias) else projection


def _keys_of(select: exp.Select) -> set[str]:
    """Columns that order or group: selecting them shows what the ranking/grouping is on."""
    keys: set[str] = set()
    group = select.args.get("group")
    for node in [*(group.expressions if group else [])]:
        keys |= {c.name.lower() for c in node.find_all(exp.Column)}
    for order in select.find_all(exp.Order):
        keys |= {c.name.lower() for c in order.find_all(exp.Column)}
    for window in select.find_all(exp.Window):
        for node in window.args.get("partition_by") or []:
            keys |= {c.name.lower() for c in node.find_all(exp.Column)}
    return keys


def extra_outputs(parsed: ParsedRecord, scope: SelectScope) -> Iterator[Hit]:
    select = scope.select
    text = parsed.text()
    words = set(question_words(text))
    pinned = pinned_columns(scope, parsed.schema)
    has_aggregate = bool(aggregates_in(select))
    grouped = select.args.get("group") is not None
    keys = _keys_of(select)
    filtered = _filtered_columns(select)
    single_value = (
        bool(SINGLE_VALUE_START.search(parsed.record.question.lower()))
        and not GROUP_WORDS.search(parsed.record.question.lower())
        and select.args.get("limit") is None
    )
    for part in _projection_parts(select):
        if isinstance(part, exp.Column) and not isinstance(part.this, exp.Star):
            name = part.name.lower()
            source = owner(part, scope, parsed.schema)
            value = pinned.get((source.alias, name)) if source else None
            if value is not None and not (
                _asked_by(name, text) or _asked_beside_filter(name, value, text)
            ):
                yield _extra(
                    f"{part.sql()} is pinned by the WHERE to {value}: every row repeats it"
                )
                continue
            if has_aggregate and not grouped:
                yield _extra(f"{part.sql()} stands beside an aggregate without GROUP BY")
                continue
            if grouped and name in keys and single_value:
                yield _extra(f"the question asks for one value, but the SQL groups by {part.sql()}")
                continue
            if name in keys or _inner_key(source, name):
                continue
            if name in filtered and _written_once(part.name, text):
                yield _extra(f"{part.sql()} is only a filter in the question, not an output")
                continue
            if not _named(part.name, words):
                yield _extra(f"{part.sql()} is selected but the question does not ask for it")
        elif isinstance(part, exp.AggFunc) and type(part) in AGG_WORDS:
            argument = part.find(exp.Column)
            if argument is not None and _named(argument.name, words):
                continue
            if AGG_WORDS[type(part)] & words:
                continue
            yield _extra(f"{part.sql()} is selected but the question does not ask for it")


def _filtered_columns(select: exp.Select) -> set[str]:
    where = select.args.get("where")
    if where is None:
        return set()
    return {
        c.name.lower()
        for c in where.find_all(exp.Column)
        if any(isinstance(s, exp.Literal) for s in c.parent.iter_expressions())
    }


_FILTER_LEAD = r"(whose|where|with|having|without|excluding|except)"


def _written_once(column: str, text: str) -> bool:
    """Named once in the question, right after a filter word ("whose accessibility is not")."""
    phrase = r"\W+".join(re.escape(w) for w in identifier_words(column) if w not in GENERIC)
    stems = question_text_stems(text)
    if not phrase or len(re.findall(rf"\b{phrase}", stems)) != 1:
        return False
    return bool(re.search(rf"\b{_FILTER_LEAD}\s+(the\s+)?{phrase}", stems))


def _inner_key(source: Source | None, name: str) -> bool:
    """A derived table's column that the derived query groups or orders by."""
    if source is None or not isinstance(source.query, exp.Select):
        return False
    return name in _keys_of(source.query)


def _extra(reason: str) -> Hit:
    return Hit(
        SenseCheck.EXTRA_OUTPUT,
        f"{reason}; drop it from the SELECT list (or name it in the question)",
    )


def _asked_beside_filter(column: str, value: str, text: str) -> bool:
    """Its name is written as an output, not only as the filter that pins it."""
    phrase = r"\W+".join(re.escape(w) for w in identifier_words(column))
    written = len(re.findall(rf"\b{phrase}", question_text_stems(text)))
    return written >= 2 or (written == 1 and value.strip("'").lower() not in text)


def _asked_by(column: str, text: str) -> bool:
    tokens = [t for t in identifier_words(column) if t not in GENERIC] or identifier_words(column)
    return any(
        re.search(rf"\b(by|per|each|every|for all)\b(\W+\w+){{0,2}}\W+{re.escape(t)}", text)
        for t in tokens
    )


def _named(identifier: str, words: set[str]) -> bool:
    parts = set(identifier_words(identifier))
    if parts & {"name", "forename", "surname", "firstname", "lastname", "title"}:
        return True  # the label of the thing asked for ("the city" shows its name)
    said = mostly_mentions(identifier, words)
    if said is not None:
        return said
    return bool(ID_WORDS & words)
