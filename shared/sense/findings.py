"""The checks, their severities and the findings they return.

Severity follows issue 12's table: an error sends a generated record to repair (or rejection);
a warning stays on the record. A user's dataset is reported on, not judged: the structural and
data findings that may be intended there are warnings (docs/sense.md gives the table and why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from proto.sense import SenseCheck, Severity

__all__ = [
    "CHECK_GROUP",
    "ERROR_CHECKS",
    "CheckGroup",
    "Finding",
    "Origin",
    "SenseCheck",
    "SenseReport",
    "Severity",
    "severity_of",
]


class CheckGroup(StrEnum):
    STRUCTURE = "structure"
    DATA = "data"
    QUESTION = "question"


class Origin(StrEnum):
    """Who wrote the record: a generator of this project, or a user's dataset."""

    GENERATED = "generated"
    USER = "user"


_DATA = {
    SenseCheck.UNWITNESSED_PREDICATE,
    SenseCheck.EMPTY_SET_BRANCH,
    SenseCheck.ORDER_ON_ONE_ROW,
    SenseCheck.INFLATED_COUNT,
    SenseCheck.DML_ALL_OR_NONE,
}
_QUESTION = {
    SenseCheck.MISSING_OUTPUT,
    SenseCheck.EXTRA_OUTPUT,
    SenseCheck.RANKING_WORDS,
    SenseCheck.LITERAL_NOT_IN_QUESTION,
    SenseCheck.VALUE_NOT_IN_SQL,
    SenseCheck.STYLE_MISMATCH,
    SenseCheck.QUESTION_LENGTH,
}
CHECK_GROUP: dict[SenseCheck, CheckGroup] = {
    check: CheckGroup.DATA
    if check in _DATA
    else CheckGroup.QUESTION
    if check in _QUESTION
    else CheckGroup.STRUCTURE
    for check in SenseCheck
}

# Issue 12's error list. Every other check is a warning.
ERROR_CHECKS: frozenset[SenseCheck] = frozenset(
    {
        SenseCheck.UNUSED_JOIN,
        SenseCheck.FAN_OUT,
        SenseCheck.CONTRADICTION,
        SenseCheck.TAUTOLOGY,
        SenseCheck.PINNED_GROUPING,
        SenseCheck.IDENTIFIER_AGGREGATE,
        SenseCheck.SINGLE_ROW_ORDER,
        SenseCheck.EMPTY_SET_BRANCH,
        SenseCheck.UNWITNESSED_PREDICATE,
        SenseCheck.DML_ALL_OR_NONE,
        SenseCheck.MISSING_OUTPUT,
        SenseCheck.EXTRA_OUTPUT,
    }
)
# On a user's dataset these may be intended: reported as warnings, never a verdict.
_USER_WARNINGS = frozenset(
    check for check in ERROR_CHECKS if CHECK_GROUP[check] is not CheckGroup.QUESTION
)


def severity_of(check: SenseCheck, origin: Origin) -> Severity:
    if check not in ERROR_CHECKS:
        return Severity.WARNING
    if origin is Origin.USER and check in _USER_WARNINGS:
        return Severity.WARNING
    return Severity.ERROR


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a record, with a message a reviser can act on."""

    check: SenseCheck
    severity: Severity
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True)
class SenseReport:
    findings: tuple[Finding, ...] = ()
    # Groups that could not run on this record (data checks without rows, an unparsable SQL).
    not_applicable: frozenset[CheckGroup] = field(default_factory=frozenset)
    error: str | None = None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)

    @property
    def checks(self) -> frozenset[SenseCheck]:
        return frozenset(f.check for f in self.findings)
