"""LLM failures sorted once, here: the SDK's exceptions become the project's, so the services
see only shared.errors' retryable/final split.

- 429 and 529 are `LlmRateLimited` (a `shared.errors.RateLimited`): the service naks with a
  delay, the limiter slows down; nothing in this process retries them (one owner per retry:
  the pipeline's redelivery, so every attempt is visible).
- other 5xx, timeouts and connection failures left after the SDK's own retries are
  `LlmUnavailable` (retryable: they say nothing about the sample).
- a key, permission, billing or model problem is `LlmConfigError`: nothing will succeed until
  the configuration changes, so it is not retried and is reported before a run starts.
- a request the API refuses for this sample (400/413/422) is a `GenerationError`.
- an answer that does not match its schema is `MalformedOutput` (a `GenerationError` that names
  the section and the validation error, so the rejection or repair explains itself).

Each carries (as every SqlsynthError) the `cost` already spent by the failing operation, so
spend is never invisible.
"""

from __future__ import annotations

import email.utils
import time

import anthropic

from proto.sample import TokenCost
from shared.errors import GenerationError, ProviderUnavailable, RateLimited, SqlsynthError

# Cap on a provider's retry-after we honour: a broken header must not park a worker for hours.
MAX_RETRY_AFTER_S = 120.0


class LlmRateLimited(RateLimited):
    """429 (rate limit) or 529 (overloaded): slow down and try again later."""

    def __init__(self, message: str, *, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class LlmUnavailable(ProviderUnavailable):
    """The provider failed (5xx, timeout, connection) after the SDK's connection retries."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LlmConfigError(SqlsynthError):
    """The key, account or model is wrong: fix the configuration, retrying will not help."""


class MalformedOutput(GenerationError):
    """The model's answer for a section failed validation (or was cut off)."""

    def __init__(self, section: str, reason: str, cost: TokenCost | None = None) -> None:
        super().__init__(f"malformed {section} answer: {reason}", cost=cost)
        self.section = section
        self.reason = reason


class RequestRejected(GenerationError):
    """The API refused this request (400/413/422): the prompt built for this sample is invalid."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


CONFIG_STATUSES = {401: "authentication", 402: "billing", 403: "permission", 404: "not found"}
SAMPLE_STATUSES = {400, 413, 422}


def retry_after_seconds(headers: object, now: float | None = None) -> float | None:
    """`retry-after-ms`, `retry-after` (seconds or an HTTP date), capped; None when absent."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    raw_ms = get("retry-after-ms")
    if raw_ms:
        try:
            return min(MAX_RETRY_AFTER_S, max(0.0, float(raw_ms) / 1000))
        except ValueError:
            pass
    raw = get("retry-after")
    if not raw:
        return None
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(raw)))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw else None
        if parsed is None:
            return None
        delta = parsed.timestamp() - (now if now is not None else time.time())
        return min(MAX_RETRY_AFTER_S, max(0.0, delta))


def describe(exc: anthropic.APIStatusError) -> str:
    kind = exc.type or type(exc).__name__
    text = exc.api_message or str(exc)
    request = f" (request {exc.request_id})" if exc.request_id else ""
    return f"{exc.status_code} {kind}: {text}{request}"


def map_status_error(exc: anthropic.APIStatusError) -> SqlsynthError:
    """The project's exception for an HTTP error status from the API."""
    return classify_status(exc.status_code, describe(exc), exc.response.headers, "Anthropic API")


def classify_status(status: int, message: str, headers: object, api: str) -> SqlsynthError:
    """The retryable/final split by status, for any provider (`api` names it in messages)."""
    if status in (429, 529):
        return LlmRateLimited(message, status=status, retry_after_s=retry_after_seconds(headers))
    if status in CONFIG_STATUSES:
        return LlmConfigError(f"{api} {CONFIG_STATUSES[status]} error: {message}")
    if status in SAMPLE_STATUSES:
        return RequestRejected(message, status=status)
    return LlmUnavailable(message, status=status)


def map_connection_error(exc: anthropic.APIConnectionError) -> LlmUnavailable:
    kind = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "connection failed"
    return LlmUnavailable(f"Anthropic API {kind} after the SDK's retries: {exc}")
