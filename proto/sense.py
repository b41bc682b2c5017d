"""Sense findings on the wire: which meaning check fired, how bad it is, what to change.

The checks themselves live in `shared/sense/` (docs/sense.md); the names are contracts because
they travel in feedback, on accepted records and in run counters.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from proto.contract import Contract


class SenseCheck(StrEnum):
    # structure (static)
    UNUSED_JOIN = "unused_join"
    FAN_OUT = "fan_out_aggregate"
    CROSS_JOIN_LINKED = "cross_join_linked"
    PINNED_GROUPING = "pinned_grouping"
    GROUP_OF_ONE = "group_of_one"
    CONTRADICTION = "contradiction"
    TAUTOLOGY = "tautology"
    IDENTIFIER_AGGREGATE = "identifier_aggregate"
    SINGLE_ROW_ORDER = "single_row_order"
    LIMIT_WITHOUT_ORDER = "limit_without_total_order"
    SET_BRANCHES_ONE_PREDICATE = "set_branches_one_predicate"
    # data (executed on the record's rows)
    UNWITNESSED_PREDICATE = "unwitnessed_predicate"
    EMPTY_SET_BRANCH = "empty_set_branch"
    ORDER_ON_ONE_ROW = "order_on_one_row"
    INFLATED_COUNT = "inflated_count"
    DML_ALL_OR_NONE = "dml_all_or_none"
    # question <-> SQL
    MISSING_OUTPUT = "missing_output"
    EXTRA_OUTPUT = "extra_output"
    RANKING_WORDS = "ranking_words"
    LITERAL_NOT_IN_QUESTION = "literal_not_in_question"
    VALUE_NOT_IN_SQL = "question_value_not_in_sql"
    STYLE_MISMATCH = "style_mismatch"
    QUESTION_LENGTH = "question_length"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOT_APPLICABLE = "not_applicable"


class SenseFinding(Contract):
    check: SenseCheck
    severity: Severity
    message: str


class SenseVerdict(Contract):
    """The sense checks' verdict on one draft: its findings, and the groups that could not run
    (data checks without rows)."""

    findings: list[SenseFinding] = Field(default_factory=list)
    not_applicable: list[str] = Field(default_factory=list)

    @property
    def errors(self) -> list[SenseFinding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]
