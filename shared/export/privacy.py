"""The privacy check before a push: the ingest path's scrubber run over every exported value.

A literal the scrubber would replace (an e-mail address, a card or phone number, a long free
text) is a finding. Addresses on the domains reserved for examples (RFC 2606, RFC 6761: the
fixtures' made-up people live there) are synthetic by construction and allowed; any other
finding stops the push, because a pushed dataset cannot be recalled.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlglot.errors import SqlglotError

from shared.ingest.scrub import EMAIL, TEXT, classify_value, scrub_text
from shared.sql.feature_parse import get_dialect

RESERVED_DOMAIN = re.compile(
    r"@(?:[a-z0-9\-]+\.)*(?:example\.(?:com|net|org)|[a-z0-9\-]+\.(?:test|example|invalid|localhost))$",
    re.IGNORECASE,
)
SQL_FIELDS = ("schema", "sql")
TEXT_FIELDS = ("question", "evidence", "explanation", "reasoning")


@dataclass(frozen=True)
class PrivacyFinding:
    record_id: str
    field: str
    kind: str
    value: str


@dataclass
class PrivacyReport:
    findings: list[PrivacyFinding] = field(default_factory=list)
    synthetic_allowed: int = 0

    @property
    def clean(self) -> bool:
        return not self.findings

    def describe(self) -> str:
        kinds = Counter(f.kind for f in self.findings)
        first = self.findings[0] if self.findings else None
        where = f"; first: {first.kind} in {first.record_id}.{first.field}" if first else ""
        return f"{len(self.findings)} values look personal ({dict(kinds)}){where}"


def is_synthetic(kind: str, value: str) -> bool:
    return kind == EMAIL and RESERVED_DOMAIN.search(value.strip()) is not None


def literal_findings(text: str, dialect: str) -> Iterable[tuple[str, str]]:
    """(kind, literal) for each string literal of SQL text the scrubber would replace."""
    try:
        tokens = get_dialect(dialect).tokenize(text)
    except (SqlglotError, ValueError, IndexError):
        if scrub_text(text) != text:
            yield "unparsed", text[:80]
        return
    for token in tokens:
        if token.token_type.name.endswith("STRING"):
            kind = classify_value(token.text)
            # Long literals are the ingest path's guard against free text in production logs;
            # a fixture's own descriptive values are generated, so only contact data counts.
            if kind is not None and kind != TEXT:
                yield kind, token.text


def check_records(records: Iterable[dict[str, Any]]) -> PrivacyReport:
    report = PrivacyReport()
    for record in records:
        found: list[tuple[str, str, str]] = []
        dialect = record.get("schema_dialect") or "sqlite"
        for name in SQL_FIELDS:
            if record.get(name):
                found += [(name, k, v) for k, v in literal_findings(record[name], dialect)]
        for name in TEXT_FIELDS:
            text = record.get(name)
            if text:
                found += [(name, k, v) for k, v in _text_findings(text)]
        for name, kind, value in found:
            if is_synthetic(kind, value):
                report.synthetic_allowed += 1
            else:
                report.findings.append(PrivacyFinding(record["id"], name, kind, value))
    return report


def _text_findings(text: str) -> Iterable[tuple[str, str]]:
    """Quoted values and address-like words of free text, classified like SQL literals (the
    scrubber's free-text regexes would also match digit runs inside ids like CVE-2024-30816)."""
    candidates = re.findall(r"'([^']*)'", text) + re.findall(r"\S+@\S+", text)
    for value in candidates:
        kind = classify_value(value.strip(".,;:()\"'"))
        if kind is not None and kind != TEXT:
            yield kind, value
