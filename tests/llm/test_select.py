"""Generator selection and the preflight that fails clearly before any work starts."""

from __future__ import annotations

import pytest

from shared.llm.errors import LlmConfigError
from shared.llm.select import choose_generator, preflight
from shared.llm.settings import LlmSettings
from shared.pipeline.engines import DRAFT_ENGINES
from tests.fakes.llm import FakeAnthropic
from tests.llm.conftest import make_settings


def test_choice_follows_the_flag_then_the_key() -> None:
    assert choose_generator("claude", {}).name == "claude"
    assert choose_generator("template", {"ANTHROPIC_API_KEY": "sk-ant-x"}).name == "template"
    keyed = choose_generator(None, {"ANTHROPIC_API_KEY": "sk-ant-x"})
    assert keyed.name == "claude" and "ANTHROPIC_API_KEY is set" in keyed.describe()
    offline = choose_generator(None, {"ANTHROPIC_API_KEY": "  "})
    assert offline.name == "template" and "offline" in offline.reason
    assert "claude" in DRAFT_ENGINES


async def test_preflight_messages(fake: FakeAnthropic) -> None:
    with pytest.raises(LlmConfigError, match="export ANTHROPIC_API_KEY"):
        await preflight(LlmSettings(api_key=None))
    with pytest.raises(LlmConfigError, match="rejected the key"):
        await preflight(make_settings(fake, api_key="sk-ant-nope"))
    with pytest.raises(LlmConfigError, match="cannot reach"):
        await preflight(
            LlmSettings(
                api_key="sk-ant-x",
                base_url="http://127.0.0.1:9",
                max_retries=0,
                connect_timeout_s=0.5,
            )
        )
    assert await preflight(make_settings(fake)) == "claude-haiku-5-5"


def test_the_key_is_read_from_anthropic_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    monkeypatch.setenv("SQLSYNTH_LLM_MODEL", "claude-haiku-4-5")
    settings = LlmSettings()
    assert settings.has_key() and settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk-ant-from-env"
    assert settings.model == "claude-haiku-4-5"
    assert "sk-ant-from-env" not in repr(settings)
