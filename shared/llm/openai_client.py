"""The OpenAI-compatible provider: the `openai` SDK against any /v1/chat/completions server
(OpenAI, vLLM, Ollama, a hosted gateway), behind the same client interface as LlmClient.

Requests arrive in the Messages API's shape (what the engine builds) and replies leave in it
(shared.llm.openai_adapter), so the engine, its prompts, its answer retries and its checks are
the same for both providers. Retry ownership is LlmClient's: the SDK retries connection errors
and timeouts only; every HTTP status goes back to the pipeline (429 as `LlmRateLimited` with the
server's retry-after, feeding the limiter), sorted by `shared.llm.errors.classify_status`.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion

from shared.llm.client import Reply, build_limiter, count_refusal
from shared.llm.concurrency import AdaptiveLimiter
from shared.llm.errors import (
    LlmConfigError,
    LlmUnavailable,
    classify_status,
)
from shared.llm.ledger import UsageLedger
from shared.llm.openai_adapter import to_chat_body, to_message
from shared.llm.openai_settings import OpenAiSettings
from shared.llm.pricing import PriceBook
from shared.llm.settings import LlmSettings

API = "OpenAI-compatible API"
# Self-hosted servers (vLLM, Ollama) take no key, but the SDK refuses to start without one.
NO_KEY = "sk-no-key-needed"


class PipelineRetryOpenAI(openai.AsyncOpenAI):
    """AsyncOpenAI that leaves every HTTP status to the pipeline (as PipelineRetryAnthropic)."""

    def _should_retry(self, response: httpx2.Response) -> bool:
        return False


def build_openai_sdk(settings: LlmSettings, endpoint: OpenAiSettings) -> PipelineRetryOpenAI:
    if not endpoint.has_key() and endpoint.base_url is None:
        raise LlmConfigError(
            "OPENAI_API_KEY is not set: export it (or SQLSYNTH_OPENAI_BASE_URL for a self-hosted "
            "server), or run with --engine template"
        )
    key = endpoint.api_key.get_secret_value() if endpoint.api_key is not None else NO_KEY
    return PipelineRetryOpenAI(
        api_key=key.strip() or NO_KEY,
        base_url=endpoint.base_url,
        timeout=httpx2.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
        max_retries=settings.max_retries,
    )


def describe_error(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    kind = body.get("code") or body.get("type") or type(exc).__name__
    request = f" (request {exc.request_id})" if exc.request_id else ""
    return f"{exc.status_code} {kind}: {exc.message}{request}"


class OpenAiClient:
    """Chat Completions calls with the limiter, error sorting and accounting of LlmClient."""

    engine_name = "openai"

    def __init__(
        self,
        settings: LlmSettings,
        endpoint: OpenAiSettings | None = None,
        *,
        sdk: openai.AsyncOpenAI | None = None,
        limiter: AdaptiveLimiter | None = None,
        prices: PriceBook | None = None,
        ledger: UsageLedger | None = None,
    ) -> None:
        self.settings = settings
        self.endpoint = endpoint or OpenAiSettings()
        self.model = self.endpoint.model
        self.sdk = sdk or build_openai_sdk(settings, self.endpoint)
        self.limiter = limiter or build_limiter(settings)
        self.prices = prices or self.endpoint.price_book()
        self.ledger = ledger or UsageLedger()
        # An unknown model is priced by the fallback with a warning now, not on the first call.
        self.prices.price(self.model)

    def request_body(self, params: dict[str, Any]) -> dict[str, Any]:
        body = to_chat_body(
            params,
            model=self.model,
            token_limit_param=self.endpoint.token_limit_param,
            strict=self.endpoint.strict_tools,
        )
        if self.settings.temperature is not None and "temperature" not in body:
            body["temperature"] = self.settings.temperature
        return body

    async def create(self, params: dict[str, Any], *, purpose: str) -> Reply:
        """One chat completion (non-streaming), as a Messages-API Reply."""
        body = self.request_body(params)
        async with self.limiter.slot() as ticket:
            try:
                completion = await self.sdk.chat.completions.create(**body)
            except openai.APIStatusError as exc:
                mapped = classify_status(
                    exc.status_code, describe_error(exc), exc.response.headers, API
                )
                count_refusal(self.limiter, self.ledger, ticket, mapped)
                raise mapped from exc
            except openai.APIConnectionError as exc:
                count_refusal(self.limiter, self.ledger, ticket, None)
                kind = "timed out" if isinstance(exc, openai.APITimeoutError) else "failed"
                reason = f"{API} connection {kind} after the SDK's retries: {exc}"
                raise LlmUnavailable(reason) from exc
            self.limiter.succeeded(ticket)
        if not isinstance(completion, ChatCompletion):
            raise LlmUnavailable(f"unexpected reply type {type(completion).__name__}")
        message = to_message(completion)
        cost = self.prices.cost(self.model, message.usage)
        self.ledger.record(purpose, cost)
        return Reply(message, cost)

    async def check_access(self) -> str:
        """Preflight: the key works and the server serves the model (GET /v1/models, free)."""
        where = self.endpoint.base_url or "https://api.openai.com/v1"
        try:
            page = await self.sdk.models.list()
        except openai.AuthenticationError as exc:
            raise LlmConfigError(
                f"the {API} at {where} rejected the key (401): set OPENAI_API_KEY"
            ) from exc
        except openai.APIStatusError as exc:
            reason = f"{API} preflight at {where} failed: {describe_error(exc)}"
            raise LlmConfigError(reason) from exc
        except openai.APIConnectionError as exc:
            raise LlmConfigError(f"cannot reach the {API} at {where}: {exc}") from exc
        served = [model.id for model in page.data]
        if self.model not in served:
            raise LlmConfigError(
                f"model {self.model!r} is not served at {where} (serves: "
                f"{', '.join(served[:10]) or 'none'}): set SQLSYNTH_OPENAI_MODEL"
            )
        return self.model

    async def aclose(self) -> None:
        await self.sdk.close()
