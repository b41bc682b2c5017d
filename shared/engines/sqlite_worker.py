"""The SQLite worker: a separate process that builds fixtures and runs checks, so it can be killed.

SQLite cannot interrupt a single function call (`instr()` over megabytes never reaches the
progress handler), so an in-process deadline is only advisory. Every SQLite statement of the
sandbox therefore runs here, and the parent kills this process at the hard deadline.

Run as a script (`python -I -S sqlite_worker.py`): standard library only, no site packages,
so a fresh worker starts in tens of milliseconds. Frames on stdin/stdout are a 4-byte length
and a pickle; the parent only unpickles what this file wrote. Each check opens a fresh
in-memory connection and deserializes the fixture's image into it: no session state
(`total_changes()`, `last_insert_rowid()`) and no write survives a check.
"""

from __future__ import annotations

import math
import os
import pickle
import resource
import sqlite3
import struct
import sys
import time
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
PROGRESS_STEPS = 2_000

_READ = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}
_CHANGE = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
ALLOWED_ACTIONS: dict[str, set[int] | None] = {
    "admin": None,
    "fixture": _READ | _CHANGE | {sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_CREATE_INDEX},
    "read": _READ,
    "write": _READ | _CHANGE,
}
ALWAYS_DENIED = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}


class ResultTooLarge(Exception):
    """The result passed its byte budget (reported by name, not as a crash)."""


class Guard:
    """Authorizer and progress handler state of one connection."""

    def __init__(self, denied: frozenset[str], prefixes: tuple[str, ...], allowed: frozenset[str]):
        self.denied, self.prefixes, self.allowed = denied, prefixes, allowed
        self.mode = "read"
        self.deadline = math.inf

    def is_denied_function(self, name: str) -> bool:
        low = name.lower()
        return low not in self.allowed and (low in self.denied or low.startswith(self.prefixes))

    def authorize(self, action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action in ALWAYS_DENIED:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and self.is_denied_function(arg2 or ""):
            return sqlite3.SQLITE_DENY
        allowed = ALLOWED_ACTIONS[self.mode]
        if allowed is None:
            return sqlite3.SQLITE_OK
        if action not in allowed:
            return sqlite3.SQLITE_DENY
        # Queries may change fixture tables (on a throwaway copy), never SQLite's own tables.
        if self.mode == "write" and action in _CHANGE and (arg1 or "").startswith("sqlite_"):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    def on_progress(self) -> int:
        return 1 if time.monotonic() > self.deadline else 0


class Worker:
    def __init__(self, init: dict[str, Any]) -> None:
        self.limits: dict[int, int] = init["limits"]
        self.guard = Guard(
            frozenset(init["denied"]), tuple(init["prefixes"]), frozenset(init["allowed"])
        )

    def connect(self, mode: str, seconds: float, image: bytes | None = None) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", isolation_level=None, cached_statements=0)
        for category, value in self.limits.items():
            conn.setlimit(category, value)
        if image is not None:
            conn.deserialize(image)
        conn.set_authorizer(self.guard.authorize)
        conn.set_progress_handler(self.guard.on_progress, PROGRESS_STEPS)
        self.guard.mode, self.guard.deadline = mode, time.monotonic() + seconds
        return conn

    def build(self, request: dict[str, Any]) -> dict[str, Any]:
        conn = self.connect("admin", request["seconds"])
        try:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            pages = max(2, request["max_bytes"] // page_size)
            conn.execute(f"PRAGMA max_page_count = {int(pages)}")
            conn.execute("BEGIN")
            for statement in request["statements"]:
                self.guard.mode = "fixture"
                conn.execute(statement).close()
            self.guard.mode = "admin"
            for sql, rows in request["inserts"]:
                conn.executemany(sql, rows)
            conn.execute("COMMIT")
            image = conn.serialize()
        finally:
            conn.close()
        path = request["path"]
        building = f"{path}.{os.getpid()}.tmp"
        with open(building, "wb") as handle:
            handle.write(image)
        os.replace(building, path)  # a fixture file exists complete or not at all
        return {"bytes": len(image)}

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        image = None
        if request.get("path"):
            with open(request["path"], "rb") as handle:
                image = handle.read()
        mode = request["mode"]
        conn = self.connect("admin" if mode == "write" else "read", request["seconds"], image)
        try:
            if request["explain"]:
                self.guard.mode = "write" if mode == "write" else "read"
                conn.execute(f"EXPLAIN {request['sql']}").close()
                return {}
            started = time.perf_counter()
            if mode == "write":
                reply = self.run_write(conn, request)
            else:
                cursor = conn.execute(request["sql"])
                limit, budget = request["max_rows"] + 1, request["max_result_bytes"]
                rows = fetch_bounded(cursor, limit, budget)
                reply = {"columns": [d[0] for d in cursor.description or ()], "rows": rows}
            # The statement's own time, apart from waiting for a worker and the pipe.
            reply["engine_ms"] = (time.perf_counter() - started) * 1000
            return reply
        finally:
            conn.close()

    def run_write(self, conn: sqlite3.Connection, request: dict[str, Any]) -> dict[str, Any]:
        conn.execute("BEGIN")
        self.guard.mode = "write"
        cursor = conn.execute(request["sql"])
        affected = cursor.rowcount
        cursor.close()
        self.guard.mode = "admin"
        cap, budget = request["state_cap"], request["max_result_bytes"]
        tables = []
        for table in request["tables"]:
            cursor = conn.execute(f"SELECT * FROM {table} LIMIT {cap + 1}")
            rows = fetch_bounded(cursor, cap + 1, budget)
            budget -= sum(map(size_of_row, rows))
            tables.append((table, len(cursor.description or ()), rows))
        conn.execute("ROLLBACK")  # the copy is thrown away anyway
        return {"affected": affected, "tables": tables}


def size_of_row(row: tuple[Any, ...]) -> int:
    return sum(len(v) if isinstance(v, str | bytes) else 8 for v in row) + 8


def fetch_bounded(cursor: sqlite3.Cursor, limit: int, max_bytes: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    used = 0
    while len(rows) < limit:
        row = cursor.fetchone()
        if row is None:
            break
        used += size_of_row(row)
        if used > max_bytes:
            raise ResultTooLarge(f"result larger than {max_bytes} bytes")
        rows.append(row)
    return rows


def read_frame(stream: BinaryIO) -> Any:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    return pickle.loads(stream.read(length))


def write_frame(stream: BinaryIO, payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    init = read_frame(stdin)
    if init is None:
        return
    if init.get("memory_bytes"):
        # A statement that allocates without bound fails here, not in the parent process.
        limit = int(init["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    worker = Worker(init)
    while (request := read_frame(stdin)) is not None:
        try:
            handler = worker.build if request["op"] == "build" else worker.run
            reply = {"ok": True, **handler(request)}
        except sqlite3.Error as exc:
            reply = {"ok": False, "kind": "sqlite", "message": str(exc)}
        except ResultTooLarge as exc:
            reply = {"ok": False, "kind": "too_large", "message": str(exc)}
        except MemoryError:
            reply = {"ok": False, "kind": "memory", "message": "out of memory"}
        except (ValueError, TypeError, OverflowError) as exc:
            reply = {"ok": False, "kind": "value", "message": str(exc)}
        try:
            write_frame(stdout, reply)
        except MemoryError:
            write_frame(stdout, {"ok": False, "kind": "memory", "message": "out of memory"})


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
