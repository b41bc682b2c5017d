"""Reviewer guidelines: text for the Claude prompt, and rules where a guideline can be read as one.

Turing's HITL guide: reviewers write guidelines that steer later generation. A guideline reaches the
generator through `<run>/guidelines.json` (written by the review app, read by the generator
service for samples of the same run). Every guideline goes into the Claude prompt as written.
A guideline that names a pattern to avoid ("avoid CROSS JOIN", "never use SELECT *", "no LIMIT
without ORDER BY") also becomes an `AvoidRule`: a check on the SQL that every engine's draft must
pass (the template engine draws again, see shared/pipeline/generate.py). Only the patterns in
`PATTERNS` can be rules, and SQL keywords only when written as SQL (upper case or `backticks`:
"avoid CROSS JOIN between tables" is one rule, not also a rule against BETWEEN); anything else
("questions should name units") stays prompt-only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

GUIDELINES_FILE = "guidelines.json"
Probe = Callable[[exp.Expression], bool]


def _has(*kinds: type[exp.Expression]) -> Probe:
    return lambda tree: any(True for _ in tree.find_all(*kinds))


def _has_join(kind: str = "", side: str = "") -> Probe:
    def probe(tree: exp.Expression) -> bool:
        return any(
            (not kind or (j.args.get("kind") or "").upper() == kind)
            and (not side or (j.args.get("side") or "").upper() == side)
            for j in tree.find_all(exp.Join)
        )

    return probe


def _has_star(tree: exp.Expression) -> bool:
    return any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
        for select in tree.find_all(exp.Select)
        for e in select.expressions
    )


def _has_limit_without_order(tree: exp.Expression) -> bool:
    return any(s.args.get("limit") and not s.args.get("order") for s in tree.find_all(exp.Select))


def _has_subquery(tree: exp.Expression) -> bool:
    return _has(exp.Subquery, exp.Exists)(tree) or any(
        i.args.get("query") is not None for i in tree.find_all(exp.In)
    )


def _has_not_in(tree: exp.Expression) -> bool:
    return any(isinstance(n.this, exp.In) for n in tree.find_all(exp.Not))


# Phrase (lower case, as a reviewer writes it) → what it forbids. Longer phrases are tried first.
PATTERNS: dict[str, Probe] = {
    "limit without order by": _has_limit_without_order,
    "select *": _has_star,
    "cross join": _has_join(kind="CROSS"),
    "left join": _has_join(side="LEFT"),
    "union": _has(exp.Union),
    "set operation": _has(exp.SetOperation),
    "intersect": _has(exp.Intersect),
    "except": _has(exp.Except),
    "window function": _has(exp.Window),
    "cte": _has(exp.CTE),
    "subquer": _has_subquery,
    "not in": _has_not_in,
    "distinct": _has(exp.Distinct),
    "case": _has(exp.Case),
    "having": _has(exp.Having),
    "between": _has(exp.Between),
    "like": _has(exp.Like),
    "order by": _has(exp.Order),
    "limit": _has(exp.Limit),
}
_AVOID = re.compile(r"\b(avoid|never|no|not|don't|do not|without using)\b(?P<rest>.*)", re.I)


@dataclass(frozen=True)
class AvoidRule:
    pattern: str
    guideline: str

    def violated_by(self, sql: str, dialect: str = "sqlite") -> bool:
        try:
            trees = sqlglot.parse(sql, read=dialect)
        except SqlglotError:
            return False  # unreadable SQL is the validator's to reject, not a guideline's
        return any(
            isinstance(tree, exp.Expression) and PATTERNS[self.pattern](tree) for tree in trees
        )


# Patterns that are ordinary English words too ("between tables", "a case", "like this") count
# only when written as SQL: in upper case or in backticks. The others are read in any case.
PROSE_PATTERNS = frozenset({"window function", "set operation", "cte", "subquer"})


def _mentions(rest: str, phrase: str) -> bool:
    if phrase in PROSE_PATTERNS:
        return re.search(rf"(?<![a-z]){re.escape(phrase)}", rest.lower()) is not None
    # Keywords in upper case; the joining word of "LIMIT without ORDER BY" in any case.
    written = r"\s+".join(
        "(?i:without)" if word == "without" else re.escape(word.upper()) for word in phrase.split()
    )
    return (
        re.search(rf"(?<![A-Za-z]){written}(?![A-Za-z])", rest) is not None
        or re.search(rf"`\s*{re.escape(phrase)}\s*`", rest, re.I) is not None
    )


def parse_avoid_rules(texts: Iterable[str]) -> list[AvoidRule]:
    """The rules a list of guidelines expresses (one guideline may name several patterns)."""
    rules: list[AvoidRule] = []
    for text in texts:
        for line in text.splitlines():
            match = _AVOID.search(line)
            if not match:
                continue
            rest = " " + match.group("rest") + " "
            for phrase in sorted(PATTERNS, key=len, reverse=True):
                if _mentions(rest, phrase):
                    # "LEFT JOIN" is not also "JOIN", nor "NOT IN" also "IN".
                    rest = re.sub(re.escape(phrase), " ", rest, flags=re.I)
                    if all(r.pattern != phrase for r in rules):
                        rules.append(AvoidRule(phrase, line.strip()))
    return rules


def find_violations(
    sql: str, rules: Iterable[AvoidRule], dialect: str = "sqlite"
) -> list[AvoidRule]:
    return [rule for rule in rules if rule.violated_by(sql, dialect)]


@dataclass(frozen=True)
class RunGuidelines:
    run_id: str
    texts: tuple[str, ...]

    @property
    def rules(self) -> list[AvoidRule]:
        return parse_avoid_rules(self.texts)


def write_guidelines_file(run_dir: Path, guidelines: RunGuidelines) -> Path:
    path = run_dir / GUIDELINES_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(
        json.dumps({"run_id": guidelines.run_id, "guidelines": list(guidelines.texts)}, indent=2)
    )
    tmp.replace(path)  # the generator never reads half a file
    return path


class GuidelinesFile:
    """The generator's view of `<out>/guidelines.json`: re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._value: RunGuidelines | None = None

    def for_run(self, run_id: str) -> RunGuidelines | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._value = _read_guidelines(self.path)
            self._stamp = stamp
        value = self._value
        return value if value is not None and value.run_id == run_id and value.texts else None


def _read_guidelines(path: Path) -> RunGuidelines | None:
    try:
        payload = json.loads(path.read_text())
        return RunGuidelines(str(payload["run_id"]), tuple(str(t) for t in payload["guidelines"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a malformed file steers nothing; the review app rewrites it whole


class GuidelinesNotFound(FileNotFoundError):
    """`--guidelines-from` names neither a guidelines file nor a reviewed run folder."""


def carry_guidelines(source: Path, out_dir: Path, run_id: str) -> RunGuidelines:
    """Turing's next cycle: a new run starts with the guidelines reviewers wrote for an earlier
    one (`source` is that run's folder or its guidelines.json), re-keyed to the new run."""
    path = source / GUIDELINES_FILE if source.is_dir() else source
    previous = _read_guidelines(path) if path.is_file() else None
    if previous is None:
        raise GuidelinesNotFound(f"{source}: no readable {GUIDELINES_FILE} (review a run first)")
    carried = RunGuidelines(run_id, previous.texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_guidelines_file(out_dir, carried)
    return carried
