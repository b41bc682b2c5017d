"""Which generator a run uses, and the preflight that makes a bad key fail before any work.

`sqlsynth run` uses Claude when `--engine claude` is given or ANTHROPIC_API_KEY is set, the
OpenAI-compatible provider when `--engine openai` is given or SQLSYNTH_OPENAI_BASE_URL is set (a
server configured for sqlsynth; a bare OPENAI_API_KEY may be there for other tools), the offline
template engine otherwise, and prints the choice with its reason. Before anything starts,
`preflight` checks that the key exists and works and that the model is available.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.llm.client import LlmClient, ModelClient
from shared.llm.errors import LlmConfigError
from shared.llm.settings import LlmSettings


@dataclass(frozen=True)
class GeneratorChoice:
    name: str
    reason: str

    def describe(self) -> str:
        return f"generator: {self.name} ({self.reason})"


def choose_generator(
    requested: str | None, env: Mapping[str, str] | None = None
) -> GeneratorChoice:
    environ = os.environ if env is None else env
    if requested:
        return GeneratorChoice(requested, f"--engine {requested}")
    if (environ.get("ANTHROPIC_API_KEY") or environ.get("SQLSYNTH_LLM_API_KEY") or "").strip():
        return GeneratorChoice("claude", "ANTHROPIC_API_KEY is set")
    if (environ.get("SQLSYNTH_OPENAI_BASE_URL") or "").strip():
        return GeneratorChoice("openai", "SQLSYNTH_OPENAI_BASE_URL is set")
    return GeneratorChoice("template", "no ANTHROPIC_API_KEY: offline template engine")


def build_client(engine: str = "claude", model: str | None = None) -> ModelClient:
    """The client of an LLM engine ("claude" or "openai"), `model` replacing the configured one
    (the weak model of preference pairs, the reasoning sampler's model)."""
    if engine == "openai":
        from shared.llm.openai_client import OpenAiClient
        from shared.llm.openai_settings import OpenAiSettings

        endpoint = OpenAiSettings(model=model) if model else OpenAiSettings()
        return OpenAiClient(LlmSettings(), endpoint)
    return LlmClient(LlmSettings(model=model) if model else LlmSettings())


async def preflight(settings: LlmSettings | None = None, *, engine: str = "claude") -> str:
    """Raise LlmConfigError with a clear, actionable message, or return the model's name."""
    if engine == "openai":
        client = build_client("openai")
        try:
            return await client.check_access()
        finally:
            await client.aclose()
    settings = settings or LlmSettings()
    if not settings.has_key():
        raise LlmConfigError(
            "--engine claude needs an API key: export ANTHROPIC_API_KEY=sk-ant-... "
            "(or run without it to use the offline template engine)"
        )
    anthropic_client = LlmClient(settings)
    try:
        return await anthropic_client.check_access()
    finally:
        await anthropic_client.aclose()
