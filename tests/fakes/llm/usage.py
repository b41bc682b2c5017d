"""Usage as the Messages API reports it, computed from the real request: token counts from
prompt sizes, and prompt caching emulated on block prefixes.

Tokens are estimated as characters / `chars_per_token` (about 4 for English and SQL). The prompt
is the sequence tools -> system -> messages, one block per tool definition, system text block
and content block. A `cache_control` marks a breakpoint: the prefix up to it is written to the
cache (if at least `min_cache_tokens` long) and read by a later request whose prefix matches at
that breakpoint or up to 20 blocks before it (the API's lookback). Entries live `ttl_s` from
their last use. Reported fields: input_tokens (after the last breakpoint), cache_creation_*,
cache_read_*, output_tokens.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

LOOKBACK_BLOCKS = 20
# What the API adds for tool use (its tool-use system prompt), roughly, when tools are given.
TOOL_SYSTEM_TOKENS = 340


@dataclass(frozen=True)
class Block:
    tokens: int
    digest: str  # chained: identifies the whole prefix ending with this block
    breakpoint: bool
    ttl_s: float


def count_tokens(text: str, chars_per_token: float) -> int:
    return max(1, math.ceil(len(text) / chars_per_token)) if text else 0


def _strip_cache(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_cache(v) for k, v in obj.items() if k != "cache_control"}
    if isinstance(obj, list):
        return [_strip_cache(v) for v in obj]
    return obj


def _ttl(marker: Any) -> float:
    return 3600.0 if isinstance(marker, dict) and marker.get("ttl") == "1h" else 300.0


def _text_of(block: Any) -> str:
    """What a block contributes to the prompt, as text."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return json.dumps(block)
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "tool_use":
        return f"{block.get('name')} {json.dumps(block.get('input', {}), sort_keys=True)}"
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return " ".join(_text_of(c) for c in content)
        return str(content)
    return json.dumps(_strip_cache(block), sort_keys=True)


def prompt_blocks(body: dict[str, Any], chars_per_token: float) -> list[Block]:
    """The request as prompt blocks in cache order, with chained prefix digests."""
    cpt = chars_per_token
    # (identity text for the prefix digest, tokens, cache_control marker)
    raw: list[tuple[str, int, Any]] = []
    tools = body.get("tools") or []
    if tools:
        raw.append(("[tool-use system prompt]", TOOL_SYSTEM_TOKENS, None))
    for tool in tools:
        text = json.dumps(_strip_cache(tool), sort_keys=True)
        raw.append((text, count_tokens(text, cpt), tool.get("cache_control")))
    system = body.get("system")
    system_blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system or []
    for block in system_blocks:
        text = _text_of(block)
        raw.append((f"system:{text}", count_tokens(text, cpt), block.get("cache_control")))
    for message in body.get("messages", []):
        content = message.get("content")
        role = message.get("role", "user")
        blocks = [content] if isinstance(content, str) else list(content or [])
        for block in blocks:
            marker = block.get("cache_control") if isinstance(block, dict) else None
            identity = f"{role}:{json.dumps(_strip_cache(block), sort_keys=True)}"
            raw.append((identity, count_tokens(_text_of(block), cpt), marker))
    top_level = body.get("cache_control")
    out: list[Block] = []
    digest = hashlib.sha256(str(body.get("model", "")).encode())
    for i, (identity, tokens, marker) in enumerate(raw):
        digest.update(identity.encode())
        is_last = i == len(raw) - 1
        breakpoint = marker is not None or (top_level is not None and is_last)
        out.append(Block(tokens, digest.copy().hexdigest(), breakpoint, _ttl(marker or top_level)))
    return out


class PromptCache:
    """Prefix entries shared by every request to one fake server (thread-safe)."""

    def __init__(self, min_cache_tokens: int | None = 1024, clock: Any = time.monotonic) -> None:
        # None: the minimum is given per request (the model's, from shared.llm.api_rules).
        self.min_cache_tokens = min_cache_tokens
        self.clock = clock
        self._entries: dict[str, float] = {}
        self._lock = threading.Lock()

    def usage(
        self, blocks: list[Block], min_tokens: int | None = None
    ) -> tuple[int, int, int, int]:
        """(input, cache_write_5m, cache_write_1h, cache_read) for one request, updating entries."""
        minimum = self.min_cache_tokens if self.min_cache_tokens is not None else min_tokens or 0
        cumulative: list[int] = []
        running = 0
        for block in blocks:
            running += block.tokens
            cumulative.append(running)
        total = running
        marks = [i for i, b in enumerate(blocks) if b.breakpoint]
        if not marks:
            return total, 0, 0, 0
        now = self.clock()
        with self._lock:
            read_at = -1
            for mark in marks:
                for i in range(mark, max(-1, mark - LOOKBACK_BLOCKS - 1), -1):
                    expiry = self._entries.get(blocks[i].digest)
                    if expiry is not None and expiry > now:
                        read_at = max(read_at, i)
                        break
            if read_at >= 0:
                self._entries[blocks[read_at].digest] = now + blocks[read_at].ttl_s
            read = cumulative[read_at] if read_at >= 0 else 0
            last = marks[-1]
            write_5m = write_1h = 0
            if last > read_at and cumulative[last] >= minimum:
                written = cumulative[last] - read
                if blocks[last].ttl_s > 300:
                    write_1h = written
                else:
                    write_5m = written
                for mark in marks:
                    if cumulative[mark] >= minimum:
                        self._entries[blocks[mark].digest] = now + blocks[mark].ttl_s
            uncached_from = last if (write_5m or write_1h) else read_at
            uncached = total - (cumulative[uncached_from] if uncached_from >= 0 else 0)
        return uncached, write_5m, write_1h, read


def output_tokens(content: list[dict[str, Any]], chars_per_token: float) -> int:
    return sum(count_tokens(_text_of(block), chars_per_token) for block in content)
