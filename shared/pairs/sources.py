"""Where weak candidates come from, behind one interface: offline mistakes, or a cheaper model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from shared.pairs.mutations import ErrorKind, propose_mutants, read_schema_columns


@dataclass(frozen=True)
class PairInput:
    """What a weak generator sees of one accepted record."""

    record_id: str
    schema: str
    schema_dialect: str
    question: str
    evidence: str | None
    sql: str
    dialect: str
    prompt: str


@dataclass(frozen=True)
class Candidate:
    kind: ErrorKind
    sql: str
    source: str


class CandidateSource(Protocol):
    name: str

    async def propose(self, item: PairInput) -> list[Candidate]: ...


class OfflineMistakes:
    """Realistic mistakes written into the gold SQL by sqlglot transforms (mutations.py)."""

    name = "offline"

    def __init__(self, limit_per_kind: int = 3) -> None:
        self.limit_per_kind = limit_per_kind

    async def propose(self, item: PairInput) -> list[Candidate]:
        schema = read_schema_columns(item.schema, item.schema_dialect)
        return [
            Candidate(kind, sql, self.name)
            for kind, sql in propose_mutants(item.sql, item.dialect, schema, self.limit_per_kind)
        ]


_SQL_BLOCK = re.compile(r"```(?:sql)?\s*(.+?)```", re.DOTALL | re.IGNORECASE)


def extract_sql(text: str) -> str | None:
    """The SQL of a model's answer: the last ```sql block, else the text from its SELECT/WITH."""
    blocks = _SQL_BLOCK.findall(text)
    if blocks:
        return str(blocks[-1]).strip().rstrip(";").strip() or None
    match = re.search(r"\b(SELECT|WITH|UPDATE|DELETE|INSERT)\b.*", text, re.DOTALL | re.IGNORECASE)
    return match.group(0).strip().rstrip(";").strip() if match else None
