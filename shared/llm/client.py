"""The one way this project calls Claude: AsyncAnthropic behind an adaptive limiter, with errors
sorted, every call priced and recorded.

Retry ownership (one owner per retry, so every attempt is visible): the SDK retries what it
alone can see, a dropped connection or a timeout (`max_retries` times, with its own backoff).
It does *not* retry HTTP statuses: 429 and 529 feed the limiter and go back to the pipeline as
`RateLimited` (a delayed nak, visible in the sample's history and the retry metrics); other
statuses are sorted in `shared.llm.errors`.
The SDK decides status retries in `_should_retry(response)` (it also obeys the server's
`x-should-retry` header there), so the subclass below answers "no" for every status; the
connection-error path (`_should_retry_exception` -> `APIConnectionError`) is untouched. The
tests pin this behaviour against the fake server, so an SDK upgrade that moves it is caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import anthropic
import httpx2
from anthropic.types import Message

from proto.sample import TokenCost
from shared.errors import SqlsynthError
from shared.llm.concurrency import AdaptiveLimiter, Ticket
from shared.llm.errors import (
    LlmConfigError,
    LlmRateLimited,
    LlmUnavailable,
    map_connection_error,
    map_status_error,
)
from shared.llm.ledger import UsageLedger
from shared.llm.pricing import PriceBook
from shared.llm.settings import LlmSettings


class PipelineRetryAnthropic(anthropic.AsyncAnthropic):
    """AsyncAnthropic that leaves every HTTP status to the pipeline (see the module docstring)."""

    def _should_retry(self, response: httpx2.Response) -> bool:
        return False


@dataclass(frozen=True)
class Reply:
    message: Message
    cost: TokenCost


class ModelClient(Protocol):
    """What the engine, the weak model and the reasoning sampler need of a provider's client:
    Messages-API shaped requests and replies, priced and recorded (LlmClient for Anthropic,
    shared.llm.openai_client.OpenAiClient for any /v1/chat/completions server)."""

    settings: LlmSettings
    model: str
    # The engine's name in records and reviews ("claude", "openai").
    engine_name: str
    limiter: AdaptiveLimiter
    ledger: UsageLedger

    async def create(self, params: dict[str, Any], *, purpose: str) -> Reply: ...

    async def check_access(self) -> str: ...

    async def aclose(self) -> None: ...


def build_sdk(settings: LlmSettings) -> PipelineRetryAnthropic:
    if not settings.has_key():
        raise LlmConfigError(
            "ANTHROPIC_API_KEY is not set: export it to use Claude, or run with --engine template"
        )
    assert settings.api_key is not None
    return PipelineRetryAnthropic(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.base_url,
        timeout=httpx2.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
        max_retries=settings.max_retries,
    )


def build_limiter(settings: LlmSettings) -> AdaptiveLimiter:
    initial = min(
        max(settings.concurrency_initial, settings.concurrency_min), settings.concurrency_max
    )
    return AdaptiveLimiter(
        initial,
        minimum=settings.concurrency_min,
        maximum=settings.concurrency_max,
        max_pause_s=settings.max_pause_s,
    )


def count_refusal(
    limiter: AdaptiveLimiter, ledger: UsageLedger, ticket: Ticket, error: SqlsynthError | None
) -> None:
    """A provider's refusal, the same for every provider: a 429 slows the limiter down by the
    server's retry-after, anything else counts as a failed slot; the ledger counts it by kind.
    `error` None: the connection itself failed."""
    if isinstance(error, LlmRateLimited):
        limiter.overloaded(ticket, error.retry_after_s)
        ledger.record_failure("rate_limited")
        return
    limiter.failed(ticket)
    ledger.record_failure("unavailable" if error is None else type(error).__name__)


class LlmClient:
    """Messages API calls with limiter, error mapping and accounting. One per process."""

    engine_name = "claude"

    def __init__(
        self,
        settings: LlmSettings,
        *,
        sdk: anthropic.AsyncAnthropic | None = None,
        limiter: AdaptiveLimiter | None = None,
        prices: PriceBook | None = None,
        ledger: UsageLedger | None = None,
    ) -> None:
        self.settings = settings
        self.model = settings.model
        self.sdk = sdk or build_sdk(settings)
        self.limiter = limiter or build_limiter(settings)
        self.prices = prices or PriceBook(settings.prices)
        self.ledger = ledger or UsageLedger()
        # Fail at start-up, not on the first sample, when the model has no price.
        self.prices.price(self.model)

    async def create(self, params: dict[str, Any], *, purpose: str) -> Reply:
        """One messages.create (non-streaming). Raises the project's errors, never the SDK's."""
        body = {"model": self.model, **params}
        if self.settings.temperature is not None and "temperature" not in body:
            body["temperature"] = self.settings.temperature
        async with self.limiter.slot() as ticket:
            try:
                message = await self.sdk.messages.create(**body)
            except anthropic.APIStatusError as exc:
                mapped = map_status_error(exc)
                count_refusal(self.limiter, self.ledger, ticket, mapped)
                raise mapped from exc
            except anthropic.APIConnectionError as exc:
                count_refusal(self.limiter, self.ledger, ticket, None)
                raise map_connection_error(exc) from exc
            self.limiter.succeeded(ticket)
        if not isinstance(message, Message):
            raise LlmUnavailable(f"unexpected reply type {type(message).__name__}")
        cost = self.price(message)
        self.ledger.record(purpose, cost)
        return Reply(message, cost)

    def price(self, message: Message, *, batch: bool = False) -> TokenCost:
        usage = message.usage
        write_1h = usage.cache_creation.ephemeral_1h_input_tokens if usage.cache_creation else 0
        return self.prices.cost(self.model, usage, batch=batch, cache_write_1h_tokens=write_1h)

    async def check_access(self) -> str:
        """Preflight: the key works and the model exists (a free metadata call, no tokens)."""
        try:
            info = await self.sdk.models.retrieve(self.model)
        except anthropic.AuthenticationError as exc:
            raise LlmConfigError(
                "the Anthropic API rejected the key in ANTHROPIC_API_KEY (401): check it, or run "
                "with --engine template"
            ) from exc
        except anthropic.NotFoundError as exc:
            raise LlmConfigError(
                f"model {self.model!r} is not available to this key (404): set SQLSYNTH_LLM_MODEL"
            ) from exc
        except anthropic.APIStatusError as exc:
            mapped = map_status_error(exc)
            raise LlmConfigError(f"Anthropic API preflight failed: {mapped}") from exc
        except anthropic.APIConnectionError as exc:
            where = self.settings.base_url or "https://api.anthropic.com"
            raise LlmConfigError(f"cannot reach the Anthropic API at {where}: {exc}") from exc
        return info.display_name or info.id

    async def aclose(self) -> None:
        await self.sdk.close()
