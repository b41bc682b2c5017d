"""The schema and data a query runs against, with a stable content key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

from proto.common import Engine
from proto.sample import Draft, TableRows


@dataclass(frozen=True)
class Fixture:
    """DDL (optionally followed by INSERTs, as Gretel's sql_context) plus structured rows.

    `ddl` is written in `dialect` and rendered for every other engine; `rows` are inserted with
    parameterised executemany after the DDL ran.
    """

    ddl: str
    dialect: Engine = Engine.SQLITE
    rows: tuple[TableRows, ...] = field(default=())

    @cached_property
    def key(self) -> str:
        """sha256 of the canonical JSON of ddl, dialect and rows: equal content, equal key."""
        payload = {
            "ddl": self.ddl.strip(),
            "dialect": self.dialect.value,
            "rows": [r.model_dump(mode="json") for r in self.rows],
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fixture) and other.key == self.key


def fixture_from_draft(draft: Draft) -> Fixture:
    return Fixture(ddl=draft.schema_ddl, dialect=draft.sql_dialect, rows=tuple(draft.rows))
