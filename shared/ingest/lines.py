"""Reading lines with their byte offsets, and grouping lines into records.

Every log format here is a sequence of records, some spanning lines (a multi-line statement,
a quoted CSV field, a slow-log entry). `RecordParser` does the grouping once; each format says
where a record starts, whether a line may continue it, when it is complete, and what it means.
The parser can tell the offset of the first line it still buffers, which is where follow mode
resumes after a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from shared.ingest.model import IngestIssue, Output, truncate_raw
from shared.ingest.scrub import scrub_text

# Longer lines are reported and skipped without being held in memory.
MAX_LINE_BYTES = 1 << 20
MAX_RECORD_BYTES = 4 << 20


@dataclass(frozen=True)
class Line:
    text: str
    offset: int
    number: int
    # Offset just past the line (its newline included).
    end: int
    # The line ended without a newline (end of file) or was cut at MAX_LINE_BYTES.
    complete: bool = True
    too_long: bool = False


def read_lines(
    handle: BinaryIO,
    offset: int = 0,
    number: int = 1,
    *,
    partial_tail: bool = True,
    max_line: int = MAX_LINE_BYTES,
) -> Iterator[Line]:
    """Lines from `offset` on. With `partial_tail=False` a last line without a newline is left
    unread (a writer may be half-way through it), as follow mode needs."""
    handle.seek(offset)
    while True:
        chunk = handle.readline(max_line)
        if not chunk:
            return
        if len(chunk) >= max_line and not chunk.endswith(b"\n"):
            # Skip the rest of an oversized line; only its first bytes are kept for the report.
            size = len(chunk)
            while True:
                more = handle.readline(max_line)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            text = chunk[:300].decode("utf-8", errors="replace")
            yield Line(text, offset, number, offset + size, complete=True, too_long=True)
            offset += size
            number += 1
            continue
        if not chunk.endswith(b"\n") and not partial_tail:
            return
        text = chunk.decode("utf-8", errors="replace")
        yield Line(text, offset, number, offset + len(chunk), chunk.endswith(b"\n"))
        offset += len(chunk)
        number += 1


class RecordParser:
    """Group lines into records; subclasses interpret records (and keep session state)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._lines: list[str] = []
        self._start: tuple[int, int] | None = None
        self._size = 0
        self.records = 0

    # -- what a format says ------------------------------------------------------------------
    def starts_record(self, line: str) -> bool:
        raise NotImplementedError

    def continues_record(self, line: str) -> bool:
        return True

    def is_complete(self, lines: list[str]) -> bool:
        return False

    def is_noise(self, line: str) -> bool:
        """Lines outside records that are expected (banners, blank lines)."""
        return not line.strip()

    def interpret(self, text: str, number: int) -> list[Output]:
        raise NotImplementedError

    def flush_sessions(self) -> list[Output]:
        """End of input: statements still waiting for their duration or error."""
        return []

    def snapshot(self) -> dict[str, Any]:
        """Session state as JSON, for follow mode's state file."""
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        return None

    # -- the grouping ------------------------------------------------------------------------
    def issue(self, number: int, message: str, raw: str = "") -> IngestIssue:
        return IngestIssue(self.source, f"line {number}", message, scrub_text(truncate_raw(raw)))

    def feed(self, line: Line) -> list[Output]:
        out: list[Output] = []
        if line.too_long:
            out.extend(self._close())
            out.append(
                self.issue(line.number, f"line longer than {MAX_LINE_BYTES} bytes", line.text)
            )
            return out
        text = line.text
        starts = self.starts_record(text)
        if self._lines and (starts or not self.continues_record(text)):
            out.extend(self._close())
        if not self._lines:
            if not starts:
                if not self.is_noise(text):
                    out.append(self.issue(line.number, "unrecognised line", text))
                return out
            self._start = (line.offset, line.number)
        self._lines.append(text)
        self._size += len(text)
        if self._size > MAX_RECORD_BYTES:
            number = self._start[1] if self._start else line.number
            out.append(self.issue(number, f"record longer than {MAX_RECORD_BYTES} bytes", text))
            self._reset()
        elif self.is_complete(self._lines):
            out.extend(self._close())
        return out

    def finish(self) -> list[Output]:
        """End of input (batch) or of a rotated file: close the open record, flush sessions."""
        return [*self._close(), *self.flush_sessions()]

    def close_record(self) -> list[Output]:
        """Follow mode after a quiet spell: the open record will get no more lines."""
        return self._close()

    def resume_point(self) -> tuple[int, int] | None:
        """(offset, line number) of the first buffered line, None when nothing is buffered."""
        return self._start if self._lines else None

    def _close(self) -> list[Output]:
        if not self._lines:
            return []
        text = "".join(self._lines)
        number = self._start[1] if self._start else 0
        self._reset()
        self.records += 1
        return self.interpret(text, number)

    def _reset(self) -> None:
        self._lines = []
        self._start = None
        self._size = 0
