"""The fake server's usage figures: sizes from the real prompt, prompt caching on prefixes."""

from __future__ import annotations

from typing import Any

from tests.fakes.llm.usage import PromptCache, count_tokens, prompt_blocks

SYSTEM = "rules " * 1000  # 6,000 chars: 1,500 tokens at 4 chars per token


def body(*user_texts: str, mark_last: bool = True, system_mark: bool = True) -> dict[str, Any]:
    system: dict[str, Any] = {"type": "text", "text": SYSTEM}
    if system_mark:
        system["cache_control"] = {"type": "ephemeral"}
    content: list[dict[str, Any]] = [{"type": "text", "text": t} for t in user_texts]
    if mark_last:
        content[-1] = {**content[-1], "cache_control": {"type": "ephemeral"}}
    return {"model": "m", "system": [system], "messages": [{"role": "user", "content": content}]}


def test_first_call_writes_then_reads_the_same_prefix() -> None:
    cache = PromptCache(min_cache_tokens=1024)
    first = cache.usage(prompt_blocks(body("a" * 400), 4.0))
    system_tokens = count_tokens(SYSTEM, 4.0)
    assert first == (0, system_tokens + 100, 0, 0)
    second = cache.usage(prompt_blocks(body("a" * 400, "b" * 40), 4.0))
    # Reads system + first block (lookback from the new breakpoint), writes the new block.
    assert second == (0, 10, 0, system_tokens + 100)
    other = cache.usage(prompt_blocks(body("c" * 800), 4.0))
    assert other == (0, 200, 0, system_tokens)


def test_no_breakpoint_no_cache_and_short_prefixes_are_not_cached() -> None:
    cache = PromptCache(min_cache_tokens=1024)
    plain = cache.usage(prompt_blocks(body("x" * 40, mark_last=False, system_mark=False), 4.0))
    assert plain == (count_tokens(SYSTEM, 4.0) + 10, 0, 0, 0)
    tiny = {
        "model": "m",
        "system": [{"type": "text", "text": "short", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hi"}],
    }
    assert cache.usage(prompt_blocks(tiny, 4.0)) == (3, 0, 0, 0)
    assert cache.usage(prompt_blocks(tiny, 4.0)) == (3, 0, 0, 0)


def test_entries_expire() -> None:
    now = [0.0]
    cache = PromptCache(min_cache_tokens=10, clock=lambda: now[0])
    blocks = prompt_blocks(body("a" * 400), 4.0)
    cache.usage(blocks)
    now[0] = 301.0
    assert cache.usage(blocks)[3] == 0


def test_tools_count_and_lead_the_prefix() -> None:
    tools = [{"name": "t", "description": "d" * 400, "input_schema": {"type": "object"}}]
    with_tools = {**body("q"), "tools": tools}
    blocks = prompt_blocks(with_tools, 4.0)
    assert (
        sum(b.tokens for b in blocks) > sum(b.tokens for b in prompt_blocks(body("q"), 4.0)) + 100
    )
