"""The one place that sorts errors into retryable (say nothing about the sample) and final."""

from __future__ import annotations

from proto.sample import TokenCost


class SqlsynthError(Exception):
    """Base of the project's own exceptions.

    `cost` is what the failing operation had already spent on an LLM (zero for most errors),
    so a retry or a rejection still accounts for it.
    """

    def __init__(self, *args: object, cost: TokenCost | None = None) -> None:
        super().__init__(*args)
        self.cost = cost or TokenCost()


class RetryableError(SqlsynthError):
    """A transient condition: the same message may succeed later (delayed nak, not a reject)."""


class Outage(RetryableError):
    """A dependency is down or throttling us: the sample waits for it without spending its
    retry budget (bounded by JetStream's own cap), so an outage pauses a run instead of
    rejecting — and replacing — every sample that meets it."""


class EngineUnavailable(RetryableError):
    """An engine is down, unreachable or overloaded: not the sample's fault."""


class EngineOutage(EngineUnavailable, Outage):
    """An engine's server does not accept connections at all (the breaker's probe failed)."""


class RateLimited(Outage):
    """An LLM provider asked us to slow down (429/529)."""


class OversizedMessage(SqlsynthError):
    """A stage's output does not fit in one broker message (final: it would be rebuilt alike)."""


class ProviderUnavailable(RetryableError):
    """An LLM provider failed (5xx, timeout, connection) after its SDK's own retries."""


class GenerationError(SqlsynthError):
    """A generator could not produce a draft for a blueprint (final for this attempt)."""


RETRYABLE: tuple[type[BaseException], ...] = (RetryableError, ConnectionError, TimeoutError)


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, RETRYABLE)
