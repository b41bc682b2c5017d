"""Follow mode: tail growing logs, survive rotation, resume after a restart without repeats.

The state file records, per followed path, the inode and the offset where reading resumes
(the first line of a record still open), the parser's session state, and the count of every
shape announced so far. It is written only after the caller has delivered what `poll` gave,
so a crash re-reads at most the last batch, whose announcements carry the same message ids.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from proto.seed import SeedEvent
from shared.ingest.detect import PARSERS, InputFormat, LogFormat, UnknownFormat, detect_format
from shared.ingest.lines import RecordParser, read_lines
from shared.ingest.model import SEED_KINDS, IngestIssue, IngestStats, Output, Statement
from shared.ingest.scrub import DEFAULT_POLICY, ScrubPolicy
from shared.ingest.seeds import SeedFilter
from shared.ingest.shape import ShapeCounter


@dataclass
class FileState:
    path: str
    format: str | None = None
    inode: int | None = None
    device: int | None = None
    offset: int = 0
    line: int = 1
    parser: dict[str, Any] = field(default_factory=dict)


class FileFollower:
    """One path: the file now behind it, read from the last offset, reopened on rotation."""

    def __init__(self, path: Path, fmt: InputFormat, state: FileState | None = None) -> None:
        self.path = path
        self.requested = fmt
        self.state = state or FileState(str(path))
        self.parser: RecordParser | None = None
        self.handle: BinaryIO | None = None
        # Where the next read starts; the state's offset may lag (an open record).
        self.cursor = (self.state.offset, self.state.line)
        self.last_growth = time.monotonic()
        self.rotations = 0

    def poll(self, idle_seconds: float) -> list[Output]:
        out: list[Output] = []
        try:
            current: os.stat_result | None = os.stat(self.path)
        except OSError:
            current = None
        if self.handle is None:
            if current is None or not self._open(current, out):
                return out
        elif current is not None and self._rotated(current):
            out.extend(self._drain_and_close())
            self.rotations += 1
            self._reset_state()
            if not self._open(current, out):
                return out
        elif current is not None and current.st_size < self.cursor[0]:
            # Truncated in place (copytruncate): what was buffered is gone for good.
            out.extend(self._parser().finish())
            self.parser = None
            self._reset_state()
        out.extend(self._read(partial_tail=False))
        if time.monotonic() - self.last_growth > idle_seconds:
            parser = self._parser()
            out.extend(parser.close_record())
            out.extend(parser.flush_sessions())
            self._sync_offset()
        return out

    def snapshot(self) -> FileState:
        if self.parser is not None:
            self.state.parser = self.parser.snapshot()
        return self.state

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def _reset_state(self) -> None:
        self.state = FileState(str(self.path), self.state.format)
        self.cursor = (0, 1)

    def _parser(self) -> RecordParser:
        if self.parser is None:
            fmt = LogFormat(self.state.format or LogFormat.PG_STDERR.value)
            self.parser = PARSERS[fmt](str(self.path))
            self.parser.restore(self.state.parser)
        return self.parser

    def _open(self, current: os.stat_result, out: list[Output]) -> bool:
        if self.state.format is None:
            if current.st_size == 0:
                return False  # nothing to recognise yet
            try:
                fmt = detect_format(self.path, self.requested)
            except UnknownFormat as exc:
                out.append(IngestIssue(str(self.path), "file", str(exc)))
                return False
            if fmt is LogFormat.DATASET:
                out.append(IngestIssue(str(self.path), "file", "datasets cannot be followed"))
                return False
            self.state.format = fmt.value
        if self.state.inode is not None and self.state.inode != current.st_ino:
            out.extend(self._drain_rotated_while_away())
            self._reset_state()
        if current.st_size < self.cursor[0]:
            self.parser = None
            self._reset_state()
        self.handle = self.path.open("rb")
        self.state.inode, self.state.device = current.st_ino, current.st_dev
        return True

    def _rotated(self, current: os.stat_result) -> bool:
        assert self.handle is not None
        opened = os.fstat(self.handle.fileno())
        return (opened.st_ino, opened.st_dev) != (current.st_ino, current.st_dev)

    def _read(self, partial_tail: bool) -> list[Output]:
        assert self.handle is not None
        parser = self._parser()
        out: list[Output] = []
        offset, number = self.cursor
        for line in read_lines(self.handle, offset, number, partial_tail=partial_tail):
            out.extend(parser.feed(line))
            self.cursor = (line.end, line.number + 1)
            self.last_growth = time.monotonic()
        self._sync_offset()
        return out

    def _sync_offset(self) -> None:
        resume = self._parser().resume_point()
        self.state.offset, self.state.line = resume if resume else self.cursor

    def _drain_and_close(self) -> list[Output]:
        """The old file of a rotation: read what was written before it moved, then close it."""
        out = self._read(partial_tail=True)
        out.extend(self._parser().finish())
        self.close()
        self.parser = None
        return out

    def _drain_rotated_while_away(self) -> list[Output]:
        """After a restart the path holds a new file: finish the old one if it is still nearby."""
        old = find_by_inode(self.path.parent, self.state.inode, self.state.device)
        if old is None:
            return [
                IngestIssue(
                    str(self.path),
                    f"line {self.state.line}",
                    "rotated while stopped and the old file is gone: its unread tail is lost",
                )
            ]
        self.handle = old.open("rb")
        return self._drain_and_close()


def find_by_inode(directory: Path, inode: int | None, device: int | None) -> Path | None:
    if inode is None:
        return None
    with contextlib.suppress(OSError):
        for candidate in directory.iterdir():
            with contextlib.suppress(OSError):
                info = candidate.stat()
                if info.st_ino == inode and (device is None or info.st_dev == device):
                    return candidate
    return None


class Follower:
    """Tail several paths; `poll` returns the seeds to announce, `commit` saves the state."""

    def __init__(
        self,
        paths: Iterable[Path],
        fmt: InputFormat | str = InputFormat.AUTO,
        *,
        state_path: Path | None = None,
        dialect: str | None = None,
        policy: ScrubPolicy = DEFAULT_POLICY,
        kinds: frozenset[str] = SEED_KINDS,
        idle_seconds: float = 2.0,
    ) -> None:
        self.state_path = state_path
        self.idle_seconds = idle_seconds
        self.filter = SeedFilter(IngestStats(), policy, kinds, dialect_override=dialect)
        self.counter = ShapeCounter()
        saved = load_state(state_path)
        self.counter.counts = dict(saved.get("shapes", {}))
        files = {item["path"]: FileState(**item) for item in saved.get("files", [])}
        self.files = [
            FileFollower(Path(p), InputFormat(fmt), files.get(str(Path(p)))) for p in paths
        ]

    @property
    def stats(self) -> IngestStats:
        return self.filter.stats

    def poll(self) -> list[SeedEvent]:
        announce: list[SeedEvent] = []
        for follower in self.files:
            for output in follower.poll(self.idle_seconds):
                if isinstance(output, Statement):
                    self.filter.stats.records += 1
                seed = self.filter.accept(output)
                if seed is not None:
                    update = self.counter.observe(seed)
                    if update is not None:
                        announce.append(update)
        return announce

    def commit(self) -> None:
        if self.state_path is None:
            return
        state = {
            "files": [asdict(follower.snapshot()) for follower in self.files],
            "shapes": self.counter.counts,
        }
        save_state(self.state_path, state)

    def close(self) -> None:
        for follower in self.files:
            follower.close()


def load_state(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return {}  # a damaged state file means starting over, not refusing to start
    return state if isinstance(state, dict) else {}


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write-then-rename, so a crash leaves the old state or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(state, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
