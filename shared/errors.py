"""The one place that sorts errors into retryable (say nothing about the sample) and final."""

from __future__ import annotations


class SqlsynthError(Exception):
    """Base of the project's own exceptions."""


class RetryableError(SqlsynthError):
    """A transient condition: the same message may succeed later (delayed nak, not a reject)."""


class EngineUnavailable(RetryableError):
    """An engine is down, unreachable or overloaded: not the sample's fault."""


class RateLimited(RetryableError):
    """An LLM provider asked us to slow down (429/529)."""


class MalformedMessage(SqlsynthError):
    """A message that cannot be decoded: poison, never retried."""


class GenerationError(SqlsynthError):
    """A generator could not produce a draft for a blueprint (final for this attempt)."""


RETRYABLE: tuple[type[BaseException], ...] = (RetryableError, ConnectionError, TimeoutError)


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, RETRYABLE)
