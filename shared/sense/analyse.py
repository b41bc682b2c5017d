"""Run every sense check on one record and return its findings."""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp

from shared.sense.data import check_data
from shared.sense.findings import (
    CheckGroup,
    Finding,
    SenseCheck,
    SenseReport,
    Severity,
    severity_of,
)
from shared.sense.fixture_db import FixtureError, open_fixture
from shared.sense.question import check_question
from shared.sense.record import ParsedRecord, SenseInput, read_schema
from shared.sense.structure import Hit, check_structure
from shared.sql.feature_parse import resolve_dialect

# A finding that another makes redundant on the same record (the static one says it first).
_IMPLIED_BY = {SenseCheck.ORDER_ON_ONE_ROW: SenseCheck.SINGLE_ROW_ORDER}


def analyse_record(record: SenseInput, *, stop_early: bool = False) -> SenseReport:
    """Findings on one record; never raises (an unparsable SQL is reported in `error`).

    `stop_early` skips the data checks when a static check already found an error (the
    pipeline's choice: the draft is repaired anyway); reports on datasets run everything."""
    try:
        tree = sqlglot.parse_one(record.sql, read=resolve_dialect(record.sql_dialect))
    except Exception as exc:  # sqlglot raises more than ParseError on odd input
        return SenseReport(not_applicable=frozenset(CheckGroup), error=f"SQL does not parse: {exc}")
    if not isinstance(tree, exp.Query | exp.Update | exp.Delete | exp.Insert):
        return SenseReport(not_applicable=frozenset(CheckGroup), error="not a query or DML")
    parsed = ParsedRecord(record, tree, read_schema(record.schema_ddl, record.schema_dialect))
    not_applicable: set[CheckGroup] = set()
    hits: list[Hit] = []
    if record.has_rows:
        try:
            parsed.db = open_fixture(record)
        except FixtureError:
            not_applicable.add(CheckGroup.DATA)
    else:
        not_applicable.add(CheckGroup.DATA)
    try:
        hits += check_structure(parsed)
        hits += check_question(parsed)
        # A draft with a static error goes to repair anyway: executing variants of it is waste.
        static_error = any(severity_of(h.check, record.origin) is Severity.ERROR for h in hits)
        if parsed.db is not None and not (stop_early and static_error):
            hits += check_data(parsed, parsed.db)
    finally:
        if parsed.db is not None:
            parsed.db.close()
    return SenseReport(
        findings=tuple(_findings(hits, record)), not_applicable=frozenset(not_applicable)
    )


def _findings(hits: Iterable[Hit], record: SenseInput) -> list[Finding]:
    seen: set[tuple[SenseCheck, str]] = set()
    kept: list[Hit] = []
    for hit in hits:
        if (hit.check, hit.message) not in seen:
            seen.add((hit.check, hit.message))
            kept.append(hit)
    fired = {hit.check for hit in kept}
    return [
        Finding(hit.check, severity_of(hit.check, record.origin), hit.message)
        for hit in kept
        if _IMPLIED_BY.get(hit.check) not in fired
    ]
