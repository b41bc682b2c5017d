"""How long the strings a statement can build may get, read from its tree: a screen bound on the
work engines cannot interrupt.

PostgreSQL's strpos() and MariaDB's LOCATE()/LIKE compare a needle at every offset of a
haystack without ever looking at a cancel or KILL: over tens of kB one call runs for seconds to
minutes, and goes on burning the server's CPU after the check has been stopped. The engines
cannot bound that, so the screen does, before anything runs. Every expression gets an upper
bound on the characters it can produce: literals and fixture values by their length, builders
(repeat, lpad/rpad, space, zeroblob, format widths, CHAR(n) casts) by their literal counts,
concatenation by the sum, replace() by its worst-case expansion, columns of derived tables and
CTEs by what defined them, aggregates (string_agg, group_concat, ...) as unbounded. Refused:
a builder whose count is not a literal number, a string built past MAX_BUILT_CHARS, a string
that grows at each step of a recursive CTE, a search over an aggregated string, and string
searches whose worst-case work (haystack x needle, summed over the statement) passes
MAX_SEARCH_WORK. The tree is the engine's own reading (sandbox.py parses per dialect: MySQL's
`||` is OR there, a concatenation on PostgreSQL and SQLite).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp

from shared.engines.string_scopes import (
    Scope,
    ScopeWalker,
    StringRefused,
    StringTooLong,
    list_children,
)

# A fixture's string value (row value or literal) and any string a fixture statement builds.
MAX_VALUE_CHARS = 65_536
# Any string a query builds (a plain copy of a few MB costs milliseconds; searches are bounded
# apart, below).
MAX_BUILT_CHARS = 1_048_576
# Character comparisons a statement's searches may need in the worst case, summed: MariaDB's
# LIKE, the slowest, took 0.66 s for 16.8 M at load 9 on 2 cores (`python -m bench strings`).
MAX_SEARCH_WORK = 16_000_000
# The bound on a base column's values when the fixture has only short strings (numbers as
# text, dates).
MIN_COLUMN_CHARS = 64
UNBOUNDED = 1 << 60
# Short fixed-size results: numbers, booleans, dates.
SCALAR_CHARS = 40

_SEARCHES: tuple[type[exp.Expr], ...] = (
    exp.StrPosition,
    exp.Like,
    exp.ILike,
    exp.SimilarTo,
    exp.RegexpLike,
    exp.RegexpILike,
    exp.RegexpExtract,
    exp.RegexpSplit,
    exp.Split,
    exp.SplitPart,
    exp.SubstringIndex,
    exp.StringToArray,
    exp.Levenshtein,
    exp.Contains,
)
# Searches whose result is pieces of their input (a part, or an array of parts).
_PIECES: tuple[type[exp.Expr], ...] = (
    exp.SplitPart,
    exp.SubstringIndex,
    exp.RegexpExtract,
    exp.Split,
    exp.StringToArray,
    exp.RegexpSplit,
)
_SEARCH_NAMES = frozenset({"instr", "locate", "strpos", "position", "find_in_set", "levenshtein"})
_COUNT_BUILDER_NAMES = frozenset({"space", "replicate", "zeroblob", "randomblob"})
_PAD_NAMES = frozenset({"lpad", "rpad"})
_FORMAT_NAMES = frozenset({"printf", "format"})
_AGGREGATE_NAMES = frozenset(
    {
        "string_agg",
        "group_concat",
        "listagg",
        "array_agg",
        "json_agg",
        "jsonb_agg",
        "json_object_agg",
        "jsonb_object_agg",
        "json_arrayagg",
        "json_objectagg",
        "xmlagg",
        "json_group_array",
        "json_group_object",
        "array_fill",
    }
)
_AGGREGATES: tuple[type[exp.Expr], ...] = (
    exp.GroupConcat,
    exp.ArrayAgg,
    exp.JSONArrayAgg,
    exp.JSONObjectAgg,
)
_SCALARS: tuple[type[exp.Expr], ...] = (
    exp.Binary,  # arithmetic and comparisons (DPipe is handled before)
    exp.Predicate,
    exp.Not,
    exp.Neg,
    exp.Length,
    exp.Boolean,
    exp.Null,
    exp.Exists,
    exp.Count,
    exp.Interval,
)
# Every class bound() tests before its last case. A node of none of them (a tuple of VALUES, a
# clause, a column definition) takes the last case whatever its content: that depends on the
# class alone (functions by name are exp.Anonymous, an exp.Func), so it is found once per class.
_BOUND_CASES: tuple[type[exp.Expr], ...] = (
    exp.Literal,
    exp.Column,
    exp.Query,
    exp.Subquery,
    *_SEARCHES,
    exp.ArrayToString,
    exp.Replace,
    exp.RegexpReplace,
    exp.Repeat,
    exp.Pad,
    exp.Space,
    exp.Format,
    *_AGGREGATES,
    exp.Cast,
    exp.DPipe,
    exp.Concat,
    exp.ConcatWs,
    exp.Overlay,
    exp.Stuff,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Paren,
    exp.Alias,
    *_SCALARS,
    exp.Func,
)
_PLAIN_BY_CLASS: dict[type[exp.Expr], bool] = {}


def _is_plain(cls: type[exp.Expr]) -> bool:
    plain = _PLAIN_BY_CLASS.get(cls)
    if plain is None:
        plain = _PLAIN_BY_CLASS[cls] = not issubclass(cls, _BOUND_CASES)
    return plain


# Functions whose output can be longer than their inputs together: hex doubles, base64 adds a
# third, quoting doubles quotes, JSON escapes a control character as six (\u0001).
_EXPANSION: dict[str, int] = {
    "hex": 2,
    "to_hex": 2,
    "encode": 2,
    "to_base64": 2,
    "quote": 2,
    "quote_literal": 2,
    "quote_ident": 2,
    "quote_nullable": 2,
    "json_quote": 6,
    "to_json": 6,
    "to_jsonb": 6,
    "row_to_json": 6,
    "json_array": 6,
    "json_object": 6,
    "json_build_array": 6,
    "json_build_object": 6,
    "jsonb_build_array": 6,
    "jsonb_build_object": 6,
    "xmlelement": 6,
    "xmlforest": 6,
}
_EXPANSION_NODES: dict[type[exp.Expr], int] = {
    exp.Hex: 2,
    exp.LowerHex: 2,
    exp.Encode: 2,
    exp.ToBase64: 2,
    exp.JSONObject: 6,
    exp.JSONArray: 6,
}
# printf-style conversions: %[n$][flags][width][.precision]
_FORMAT_SPEC = re.compile(r"%(?:\d+\$)?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")


@dataclass
class StringBudget(ScopeWalker):
    """Walks one statement; raises StringRefused at the first bound it passes."""

    column_chars: int
    built_limit: int = MAX_BUILT_CHARS
    # Fixture statements store what they build: no unbounded (aggregated) values there.
    allow_unbounded: bool = True
    # The engine's sqlglot dialect: messages show the SQL as the record wrote it.
    dialect: str | None = None
    work: int = 0
    longest: int = 0

    def measure_all(self, nodes: Iterable[exp.Expr | None], scope: Scope) -> int:
        return _saturate(sum(self.measure(n, scope) for n in nodes if isinstance(n, exp.Expr)))

    def measure(self, node: exp.Expr, scope: Scope) -> int:
        """The most characters `node` can produce, after checking it and everything inside."""
        size = _saturate(self.bound(node, scope))
        if size >= UNBOUNDED and not self.allow_unbounded:
            raise StringTooLong(f"{self.show(node)} builds a string of unbounded length")
        if self.built_limit < size < UNBOUNDED:
            raise StringTooLong(
                f"{self.show(node)} can build a string of {size} characters, "
                f"over {self.built_limit}"
            )
        if size < UNBOUNDED:
            self.longest = max(self.longest, size)
        return size

    def bound(self, node: exp.Expr, scope: Scope) -> int:
        if isinstance(node, exp.Literal):
            return len(str(node.this))
        if isinstance(node, exp.Column):
            return scope.resolve(node)
        if _is_plain(type(node)):  # no case below but the last: skip the ~20 tests
            return max((self.measure(c, scope) for c in list_children(node)), default=0)
        if isinstance(node, exp.Query | exp.Subquery):
            outputs = self.query(node, scope.env, scope)
            return max((size for _, size in outputs), default=0)
        name = node.name.lower() if isinstance(node, exp.Anonymous) else ""
        if isinstance(node, _SEARCHES) or name in _SEARCH_NAMES:
            self.search(node, scope)
            if isinstance(node, _PIECES):  # parts of the input: no longer than it together
                return self.measure(node.this, scope)
            return SCALAR_CHARS
        if isinstance(node, exp.ArrayToString):
            # Up to one separator per element, and an array has at most as many elements as
            # characters it was split from.
            parts = self.measure(node.this, scope)
            separator = node.args.get("expression")
            between = self.measure(separator, scope) if isinstance(separator, exp.Expr) else 0
            return parts * (1 + between)
        if isinstance(node, exp.Replace | exp.RegexpReplace):
            return self.replace(node, scope)
        if isinstance(node, exp.Repeat):
            text = self.measure(node.this, scope)
            return self.grown(node, text, self.count(node, node.args.get("times")))
        if isinstance(node, exp.Pad) or name in _PAD_NAMES:
            self.measure_all(list_children(node), scope)
            length = node.args.get("expression") if isinstance(node, exp.Pad) else None
            if length is None and len(node.expressions) > 1:
                length = node.expressions[1]
            return self.count(node, length)
        if isinstance(node, exp.Space) or name in _COUNT_BUILDER_NAMES:
            count = node.this if isinstance(node, exp.Space) else _first(node.expressions)
            return self.count(node, count)  # zeroblob: bytes (hex() doubles them, above)
        if isinstance(node, exp.Format) or name in _FORMAT_NAMES:
            return self.formatted(node, scope)
        if isinstance(node, _AGGREGATES) or name in _AGGREGATE_NAMES:
            self.measure_all(list_children(node), scope)
            return UNBOUNDED
        if isinstance(node, exp.Cast):
            return max(self.measure(node.this, scope), _char_width(node.to))
        if isinstance(node, exp.DPipe | exp.Concat | exp.ConcatWs | exp.Overlay | exp.Stuff):
            return self.measure_all(list_children(node), scope)
        if isinstance(node, exp.Case | exp.If | exp.Coalesce | exp.Paren | exp.Alias):
            return max((self.measure(c, scope) for c in list_children(node)), default=0)
        if isinstance(node, _SCALARS):
            self.measure_all(list_children(node), scope)
            return SCALAR_CHARS
        if isinstance(node, exp.Func):  # other functions: at most all their inputs together
            inputs = self.measure_all(list_children(node), scope)
            # ... times what an encoding or escaping can multiply them by (nested, it compounds).
            factor = _EXPANSION.get(name, 1) if name else _EXPANSION_NODES.get(type(node), 1)
            return inputs * factor + (2 if factor > 1 else 0)
        # Clauses and lists (WHERE, ORDER BY, a tuple): each part on its own.
        return max((self.measure(c, scope) for c in list_children(node)), default=0)

    def count(self, node: exp.Expr, count: exp.Expr | None) -> int:
        """A builder's count must be a literal number: a column or expression could be anything."""
        value = count
        while isinstance(value, exp.Paren | exp.Cast):
            value = value.this
        if isinstance(value, exp.Neg):
            return 0
        if isinstance(value, exp.Literal) and not value.is_string:
            try:
                return max(0, int(float(str(value.this))))
            except ValueError:
                pass
        raise StringRefused(f"{self.show(node)}: a count that is not a literal number")

    def show(self, node: exp.Expr) -> str:
        try:
            text = node.sql(dialect=self.dialect)
        except Exception:  # a tree sqlglot cannot write back: its generic form will do
            text = node.sql()
        return text if len(text) <= 60 else text[:57] + "..."

    def search(self, node: exp.Expr, scope: Scope) -> None:
        """Worst-case comparisons of one search call: its two longest string arguments."""
        sizes = sorted((self.measure(c, scope) for c in list_children(node)), reverse=True)
        haystack, needle = [*sizes, 0, 0][:2]
        self.add_work(node, haystack, needle)

    def add_work(self, node: exp.Expr, haystack: int, needle: int) -> None:
        if haystack >= UNBOUNDED:
            raise StringRefused(f"{self.show(node)} searches a string an aggregate built")
        self.work = _saturate(self.work + haystack * max(needle, 1))
        if self.work > MAX_SEARCH_WORK:
            raise StringRefused(
                f"string searches over up to {haystack} x {needle} characters "
                f"({self.show(node)}) could run on past any deadline: the engines cannot "
                "stop them"
            )

    def replace(self, node: exp.Expr, scope: Scope) -> int:
        """A search for the pattern, then every match may become the replacement."""
        text = self.measure(node.this, scope)
        pattern, replacement = node.args.get("expression"), node.args.get("replacement")
        found = self.measure(pattern, scope) if isinstance(pattern, exp.Expr) else 1
        by = self.measure(replacement, scope) if isinstance(replacement, exp.Expr) else 0
        self.measure_all(
            [c for c in list_children(node) if c not in (node.this, pattern, replacement)], scope
        )
        self.add_work(node, text, found)
        step = len(str(pattern.this)) if isinstance(pattern, exp.Literal) else 1
        return max(text, (text // max(step, 1) + 1) * by)

    def grown(self, node: exp.Expr, text: int, count: int) -> int:
        if text >= UNBOUNDED and count > 1:
            raise StringRefused(f"{self.show(node)} repeats a string an aggregate built")
        return text * count

    def formatted(self, node: exp.Expr, scope: Scope) -> int:
        args = list(list_children(node))
        template = args[0] if args else None
        rest = self.measure_all(args[1:], scope)
        numeric = isinstance(template, exp.Literal) and not template.is_string
        if isinstance(node, exp.Format) and numeric:  # MySQL's FORMAT(number, decimals)
            return rest + SCALAR_CHARS
        if not _is_string_literal(template):
            raise StringRefused(f"{self.show(node)}: a format that is not a literal string")
        assert isinstance(template, exp.Literal)
        text = str(template.this)
        widths = 0
        for match in _FORMAT_SPEC.finditer(text):
            for part in match.groups():
                if part == "*":
                    raise StringRefused(f"{self.show(node)}: a width that is not a literal number")
                widths += int(part) if part else 0
        return len(text) + widths + rest


@dataclass(frozen=True)
class StringVerdict:
    """Why a statement is refused (None: it is not), and the longest string it builds."""

    problem: str | None
    longest: int
    # The refusal is a length past the bound (not a count, format or search that is refused).
    too_long: bool = False


def find_string_problem(
    root: exp.Expr,
    column_chars: int,
    *,
    built_limit: int = MAX_BUILT_CHARS,
    allow_unbounded: bool = True,
    dialect: str | None = None,
) -> StringVerdict:
    budget = StringBudget(column_chars, built_limit, allow_unbounded, dialect)
    try:
        budget.check_statement(root)
    except StringRefused as refused:
        too_long = isinstance(refused, StringTooLong)
        return StringVerdict(f"sandbox: {refused}", budget.longest, too_long)
    except RecursionError:
        return StringVerdict("sandbox: statement nested too deeply to bound its strings", 0)
    return StringVerdict(None, budget.longest)


def round_column_chars(longest: int) -> int:
    """The fixture's longest string, rounded up to a power of two (screen cache keys)."""
    size = MIN_COLUMN_CHARS
    while size < longest:
        size *= 2
    return size


def _first(items: list[exp.Expr]) -> exp.Expr | None:
    return items[0] if items else None


def _char_width(to: exp.Expr | None) -> int:
    """CHAR(n) pads to n on PostgreSQL: a cast can build a string."""
    if not isinstance(to, exp.DataType) or to.this not in (exp.DataType.Type.CHAR,):
        return 0
    for param in to.expressions:
        inner = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(inner, exp.Literal) and not inner.is_string:
            return int(float(str(inner.this)))
    return 0


def _is_string_literal(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _saturate(size: int) -> int:
    return min(size, UNBOUNDED)
