"""Shares of records per finding over a whole dataset (`sqlsynth validate --sense`, the report).

A share is the fraction of analysed records with at least one finding of that check. Data checks
are counted over the records that have rows (on the others they are not applicable).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from proto.common import Engine, PromptStyle
from shared.datasets import DatasetRecord
from shared.sense.analyse import analyse_record
from shared.sense.findings import (
    CHECK_GROUP,
    ERROR_CHECKS,
    CheckGroup,
    Origin,
    SenseCheck,
    Severity,
    severity_of,
)
from shared.sense.record import SenseInput


def record_input(record: DatasetRecord) -> SenseInput | None:
    """A dataset record as the checks read it; None without a schema (nothing to check on).

    Records of sqlsynth's own datasets (they name their generator) are judged as generated;
    every other dataset is a user's, whose structural findings are warnings."""
    if not record.schema_ddl:
        return None
    own = "generator" in record.extra
    style = record.extra.get("prompt_style") if own else None
    evidence = record.extra.get("evidence")
    return SenseInput(
        question=record.question or "",
        sql=record.sql,
        schema_ddl=record.schema_ddl,
        sql_dialect=record.sql_dialect or Engine.SQLITE,
        schema_dialect=record.schema_dialect or record.sql_dialect or Engine.SQLITE,
        rows=record.rows,
        evidence=evidence if isinstance(evidence, str) else "",
        origin=Origin.GENERATED if own else Origin.USER,
        planned_style=PromptStyle(style) if style in set(PromptStyle) else None,
    )


@dataclass
class SenseSummary:
    records: int = 0
    analysed: int = 0
    unparsed: int = 0
    with_rows: int = 0
    with_error: int = 0
    # Records with a finding of an error-level check, whatever its severity for this origin.
    with_error_check: int = 0
    origin: Counter[str] = field(default_factory=Counter)
    counts: Counter[SenseCheck] = field(default_factory=Counter)
    errors: Counter[SenseCheck] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        """Stable keys: `shares[check]` over the records each check applies to."""
        shares: dict[str, dict[str, Any]] = {}
        for check in SenseCheck:
            base = self.with_rows if CHECK_GROUP[check] is CheckGroup.DATA else self.analysed
            count = self.counts[check]
            shares[check.value] = {
                "group": CHECK_GROUP[check].value,
                "count": count,
                "over": base,
                "share": round(count / base, 4) if base else None,
                "error_count": self.errors[check],
            }
        return {
            "records": self.records,
            "analysed": self.analysed,
            "unparsed": self.unparsed,
            "with_rows": self.with_rows,
            "with_error": self.with_error,
            "with_error_share": round(self.with_error / self.analysed, 4)
            if self.analysed
            else None,
            "with_error_check_share": round(self.with_error_check / self.analysed, 4)
            if self.analysed
            else None,
            "origin": dict(self.origin),
            "data_checks": "applicable" if self.with_rows else "not applicable (no rows)",
            "shares": shares,
        }


def summarise_sense(records: Iterable[DatasetRecord]) -> SenseSummary:
    summary = SenseSummary()
    for record in records:
        summary.records += 1
        item = record_input(record)
        if item is None:
            continue
        report = analyse_record(item)
        if report.error is not None:
            summary.unparsed += 1
            continue
        summary.analysed += 1
        summary.origin[item.origin.value] += 1
        summary.with_rows += CheckGroup.DATA not in report.not_applicable
        fired = report.checks
        summary.counts.update(fired)
        summary.errors.update(c for c in fired if severity_of(c, item.origin) is Severity.ERROR)
        summary.with_error += bool(report.errors)
        summary.with_error_check += bool(fired & ERROR_CHECKS)
    return summary
