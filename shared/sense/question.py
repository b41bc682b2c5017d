"""Question <-> SQL checks, offline: the outputs asked for against the SELECT list, ranking and
grouping words against LIMIT/ORDER BY/GROUP BY, literals both ways, style and length."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from sqlglot import exp

from proto.common import PromptStyle
from shared.sense.findings import SenseCheck
from shared.sense.record import ParsedRecord
from shared.sense.roles import is_identifier
from shared.sense.scopes import (
    SelectScope,
    Source,
    aggregates_in,
    build_scope,
    cte_queries,
    owner,
)
from shared.sense.structure import Hit, pinned_columns
from shared.sense.words import (
    GENERIC,
    identifier_words,
    mentions,
    mostly_mentions,
    question_words,
)
from shared.spec.prompt_style import classify_prompt_style

COUNT_WORDS = re.compile(r"\b(how many|number of|count of|total number|tally)\b")
AVERAGE_WORDS = re.compile(r"\b(average|mean|avg)\b")
TOTAL_WORDS = re.compile(r"(?<!in )(?<!how many )\btotal\b(?! (number|count)s?\b)")
# "average number of beds" aggregates a stored count: not a request to count rows.
_AGGREGATED_COUNT = re.compile(
    r"\b(average|mean|max|maximum|min|minimum|median|highest|lowest|largest|smallest)\s+$"
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
SUPERLATIVES = re.compile(
    r"\b(highest|lowest|most|least|largest|smallest|maximum|minimum|best|worst|earliest|latest|"
    r"oldest|youngest|fewest|greatest|top)\b"
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
            yield from _missing_outputs(parsed, scope)
            yield from _extra_outputs(parsed, scope)
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


def _text(parsed: ParsedRecord) -> str:
    return f"{parsed.record.question} {parsed.record.evidence}".lower()


def _referenced_columns(tree: exp.Expr) -> set[str]:
    return {c.name.lower() for c in tree.find_all(exp.Column)}


def _missing_outputs(parsed: ParsedRecord, scope: SelectScope) -> Iterator[Hit]:
    question = parsed.record.question.lower()
    tree = parsed.tree
    functions = {type(a) for a in tree.find_all(exp.AggFunc)}
    referenced = _referenced_columns(tree)
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
                (several and _spelled(written, question)) or _enumerated(written, question)
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


def _spelled(column: str, text: str) -> bool:
    """The question writes the identifier out as a phrase ("middle name" for middle_name)."""
    phrase = r"\W+".join(re.escape(w) for w in identifier_words(column))
    return bool(re.search(rf"\b{phrase}", question_text_stems(text)))


def question_text_stems(text: str) -> str:
    return " ".join(question_words(text))


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


def _extra_outputs(parsed: ParsedRecord, scope: SelectScope) -> Iterator[Hit]:
    select = scope.select
    text = _text(parsed)
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
    text = _text(parsed)
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
