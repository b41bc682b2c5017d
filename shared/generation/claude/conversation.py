"""A multi-turn conversation with cache breakpoints placed for prefix reuse.

Breakpoints (at most 4 per request; we use up to 3):
1. the end of the system prompt: tools + system, identical for every call of every sample;
2. the last block of the latest user turn, when the conversation goes on (`cache_tail`): the
   next section of the same sample reads the whole conversation so far from the cache and
   writes only the new turn. A last call (the explanation, a review) does not mark it: a cache
   write costs 1.25x input and nobody would read it;
3. the last block of the previous user turn: where the previous call wrote, so this call reads
   it even when a tool loop added more than the API's 20-block lookback.
Stored messages never carry cache_control; `params()` adds it to fresh copies.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from anthropic.types import Message, TextBlock, ToolUseBlock

Json = dict[str, Any]


def make_text_block(text: str) -> Json:
    return {"type": "text", "text": text}


def make_tool_result(tool_use_id: str, content: str, *, is_error: bool = False) -> Json:
    block: Json = {"type": "tool_result", "tool_use_id": tool_use_id, "content": content}
    if is_error:
        block["is_error"] = True
    return block


@dataclass
class Conversation:
    system: str
    tools: list[Json]
    cache_ttl: Literal["5m", "1h"] = "5m"
    messages: list[Json] = field(default_factory=list)

    def user(self, *blocks: Json) -> None:
        """Append user content; merges into the previous user turn (tool results + next ask)."""
        if self.messages and self.messages[-1]["role"] == "user":
            self.messages[-1]["content"].extend(blocks)
        else:
            self.messages.append({"role": "user", "content": list(blocks)})

    def assistant(self, message: Message) -> list[ToolUseBlock]:
        """Append the model's turn as sent back to the API; return its tool calls."""
        content: list[Json] = []
        calls: list[ToolUseBlock] = []
        for block in message.content:
            if isinstance(block, TextBlock) and block.text:
                content.append(make_text_block(block.text))
            elif isinstance(block, ToolUseBlock):
                content.append(
                    {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
                )
                calls.append(block)
        self.messages.append({"role": "assistant", "content": content or [make_text_block("...")]})
        return calls

    def _marker(self) -> Json:
        marker: Json = {"type": "ephemeral"}
        if self.cache_ttl != "5m":
            marker["ttl"] = self.cache_ttl
        return marker

    def params(self, *, max_tokens: int, tool_choice: Json, cache_tail: bool = True) -> Json:
        """Request parameters (without model) with the cache breakpoints applied."""
        messages = copy.deepcopy(self.messages)
        user_turns = [m for m in messages if m["role"] == "user"]
        marked = user_turns[-2:] if cache_tail else user_turns[-2:-1]
        for turn in marked:
            turn["content"][-1]["cache_control"] = self._marker()
        system = [{**make_text_block(self.system), "cache_control": self._marker()}]
        return {
            "max_tokens": max_tokens,
            "system": system,
            "tools": self.tools,
            "tool_choice": tool_choice,
            "messages": messages,
            # Forced tool choice needs thinking off; the sections are short, focused steps.
            "thinking": {"type": "disabled"},
        }


def force_tool(tool: str) -> Json:
    return {"type": "tool", "name": tool, "disable_parallel_tool_use": True}


def choose_any_tool() -> Json:
    return {"type": "any", "disable_parallel_tool_use": True}
