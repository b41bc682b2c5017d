"""Byte and length budgets of a check: rows fetched, a fixture as given, its longest string."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from proto.sample import ErrorClass
from shared.engines.failures import CheckFailed
from shared.engines.fixture import Fixture
from shared.record_scope import remember


def measure_row_bytes(row: Sequence[Any]) -> int:
    """Bytes a fetched row holds, near enough to budget on: text and blobs by length."""
    return 8 + sum(len(v) if isinstance(v, str | bytes | bytearray) else 8 for v in row)


@dataclass
class ResultBudget:
    """Counts the bytes of fetched rows; past the budget the check fails as TOO_LARGE."""

    limit: int
    used: int = 0
    largest_row: int = 1
    # Chunks start small and double: a few huge rows never arrive in one large batch.
    chunk: int = 4

    def take(self, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            size = measure_row_bytes(row)
            self.used += size
            self.largest_row = max(self.largest_row, size)
        if self.used > self.limit:
            raise CheckFailed(ErrorClass.TOO_LARGE, f"result larger than {self.limit} bytes")

    def next_chunk(self, wanted: int) -> int:
        """Rows to fetch next so that one more chunk cannot pass the budget by much."""
        room = max(self.limit - self.used, 0) // self.largest_row
        size = max(1, min(wanted, room + 1, self.chunk))
        self.chunk = min(self.chunk * 2, 256)
        return size


def measure_fixture_bytes(fixture: Fixture) -> int:
    """Bytes of the fixture as given: its DDL text and its row values (as text).

    Once per record (record_scope.py): each engine's build asks, and the rows are the bulk of
    a template fixture (#23)."""
    return remember(("fixture_bytes", fixture.key), lambda: _measure_fixture_bytes(fixture))


def _measure_fixture_bytes(fixture: Fixture) -> int:
    size = len(fixture.ddl.encode())
    for table in fixture.rows:
        for row in table.values:
            size += sum(len(str(value).encode()) + 1 for value in row)
    return size


def find_longest_row_value(fixture: Fixture) -> int:
    """Characters of the longest string among the fixture's rows (once per record: each
    engine's screen bounds and its build ask)."""
    return remember(("longest_row_value", fixture.key), lambda: _find_longest_row_value(fixture))


def _find_longest_row_value(fixture: Fixture) -> int:
    longest = 0
    for table in fixture.rows:
        for row in table.values:
            for value in row:
                if isinstance(value, str) and len(value) > longest:
                    longest = len(value)
    return longest
