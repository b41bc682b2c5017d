"""What one record's validation may reuse, and nothing beyond that record.

Issue #23's rule: no check is skipped, weakened or cached across different records. Two
records with the same SQL text are therefore each tokenized, parsed and screened; within one
record's validation the renderer, the sandbox and the engines share one reading of each text
(the renderer reads a fixture statement for its names and the screen reads the same text; the
SQLite screen and the portable policy's name search read the same query; three engines render
the same DDL).

A scope is opened per record by whoever validates it: `Validator.validate` and
`Validator.check_fixture` open one when none is active, and the validator stage and
`sqlsynth validate` open one around the whole record so that its schema check, query checks
and contexts share it. Outside any scope `remember` computes afresh; `per_record` functions
(the measures the conformance and sense checks read, also used by generation and reports,
which are no checks) keep a process-wide LRU cache there.
The scope lives in a ContextVar, so concurrent records (tasks) never see each other's, while
the engines' concurrent checks of one record (tasks made inside the scope) share it.

What stays shared across records is deliberate and stated where it lives: a built fixture is
reused by every query on it (keyed by a hash of its DDL and rows, DESIGN.md), with the screen
of its statements made when it was built; the rendering of DDL text for another engine (text
only) is cached per DDL in render.py.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar, cast

T = TypeVar("T")
P = ParamSpec("P")


class RecordScope:
    """The results computed during one record's validation, by key."""

    __slots__ = ("_memo", "computed", "reused")

    def __init__(self) -> None:
        self._memo: dict[Hashable, object] = {}
        self.computed = 0
        self.reused = 0

    def recall(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value remembered under key, or compute's (an exception is not remembered)."""
        if key in self._memo:
            self.reused += 1
            return cast(T, self._memo[key])
        value = compute()
        self._memo[key] = value
        self.computed += 1
        return value


_CURRENT: ContextVar[RecordScope | None] = ContextVar("sqlsynth_record_scope", default=None)


@contextmanager
def record_scope() -> Iterator[RecordScope]:
    """One record's scope: the active one if a caller already opened it, else a new one that
    ends with the block."""
    current = _CURRENT.get()
    if current is not None:
        yield current
        return
    scope = RecordScope()
    token = _CURRENT.set(scope)
    try:
        yield scope
    finally:
        _CURRENT.reset(token)


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    """compute() once per key within the active record's scope; always, outside any scope.

    Keys start with the name of what is remembered (("read", text, engine), ...), so two
    kinds of result never share a key.
    """
    scope = _CURRENT.get()
    if scope is None:
        return compute()
    return scope.recall(key, compute)


def active_scope() -> RecordScope | None:
    """The scope of the record being validated in this context, if any (for tests)."""
    return _CURRENT.get()


def per_record(maxsize: int) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a pure function of hashable arguments: within a record's scope (a check) its
    result is remembered for that record only; outside any scope (generation, reports, which
    are no checks) it keeps a process-wide LRU cache of `maxsize` entries."""

    def decorate(compute: Callable[P, T]) -> Callable[P, T]:
        # The LRU wrapper takes the same arguments (all hashable here); typed as compute.
        cached = cast(Callable[P, T], lru_cache(maxsize=maxsize)(compute))
        name = compute.__qualname__

        @wraps(compute)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            if _CURRENT.get() is None:
                return cached(*args, **kwargs)
            key = (name, args, tuple(sorted(kwargs.items())))
            return remember(key, lambda: compute(*args, **kwargs))

        return wrapper

    return decorate
