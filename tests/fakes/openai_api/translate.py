"""The fake Chat Completions API's reading of a request and writing of an answer.

The scripted model (tests/fakes/scripted.py) reads Messages-API bodies, so a chat request is
read into that shape (what a model sees is the same conversation either way) and its turn is
written back as a chat completion, the way the real API reports tool calls, stops and usage.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from typing import Any

from tests.fakes.llm.types import ModelTurn

Json = dict[str, Any]
# OpenAI's prompt caching: prefixes from 1,024 tokens, reused in 128-token steps.
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128


def to_messages_body(body: Json) -> Json:
    """The Messages-API view of a chat request, for the scripted model."""
    system: list[str] = []
    messages: list[Json] = []

    def add_user(block: Json) -> None:
        if messages and messages[-1]["role"] == "user":
            messages[-1]["content"].append(block)
        else:
            messages.append({"role": "user", "content": [block]})

    for message in body["messages"]:
        role, content = message["role"], message.get("content")
        text = content if isinstance(content, str) else _join(content)
        if role in ("system", "developer"):
            system.append(text)
        elif role == "user":
            add_user({"type": "text", "text": text})
        elif role == "tool":
            add_user(
                {"type": "tool_result", "tool_use_id": message["tool_call_id"], "content": text}
            )
        else:
            blocks: list[Json] = [{"type": "text", "text": text}] if text else []
            for call in message.get("tool_calls") or []:
                function = call["function"]
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": function["name"],
                        "input": json.loads(function.get("arguments") or "{}"),
                    }
                )
            messages.append({"role": "assistant", "content": blocks})
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        anthropic_choice: Json = {"type": "tool", "name": choice["function"]["name"]}
    else:
        anthropic_choice = {"type": {"required": "any"}.get(str(choice), "auto")}
    return {
        "model": body.get("model"),
        "system": "\n\n".join(system),
        "messages": messages,
        "tool_choice": anthropic_choice,
        "max_tokens": max_tokens_of(body),
    }


def _join(content: Any) -> str:
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def max_tokens_of(body: Json) -> int:
    value = body.get("max_completion_tokens") or body.get("max_tokens") or 16_384
    return int(value)


class PrefixCache:
    """Automatic prompt caching as the API reports it: the longest earlier-seen prefix of this
    prompt, in 128-token steps from 1,024 tokens, is `cached_tokens` (chars/4 as tokens)."""

    def __init__(self, chars_per_token: float = 4.0) -> None:
        self.step_chars = int(CACHE_STEP_TOKENS * chars_per_token)
        self.chars_per_token = chars_per_token
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def usage(self, prompt: str) -> tuple[int, int]:
        """(prompt_tokens, cached_tokens) for this prompt; remembers its prefixes."""
        tokens = max(1, int(len(prompt) / self.chars_per_token))
        keys = [
            hashlib.sha256(prompt[:end].encode()).hexdigest()
            for end in range(self.step_chars, len(prompt) + 1, self.step_chars)
        ]
        with self.lock:
            hits = 0
            for key in keys:
                if key not in self.seen:
                    break
                hits += 1
            self.seen.update(keys)
        cached = hits * CACHE_STEP_TOKENS
        return tokens, cached if cached >= CACHE_MIN_TOKENS else 0


def prompt_text(body: Json) -> str:
    """What the prompt is made of, tools first (the order the API caches the prefix in)."""
    return json.dumps([body.get("tools") or [], body["messages"]], sort_keys=True)


def to_completion(body: Json, turn: ModelTurn, usage: tuple[int, int], *, bad_json: bool) -> Json:
    """The chat.completion object for the scripted model's turn."""
    limit = max_tokens_of(body)
    text = "".join(b.get("text", "") for b in turn.content if b.get("type") == "text")
    calls: list[Json] = []
    for block in turn.content:
        if block.get("type") != "tool_use":
            continue
        arguments = json.dumps(block.get("input", {}))
        if bad_json:
            arguments = arguments.replace('"', "'", 2)  # JSON-ish, as weak models write it
        calls.append(
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": block["name"], "arguments": arguments},
            }
        )
    produced = max(1, int((len(text) + sum(len(c["function"]["arguments"]) for c in calls)) / 4))
    finish = "tool_calls" if calls else "stop"
    if isinstance(body.get("tool_choice"), dict):
        finish = "stop"  # a forced function ends with "stop" (the API reports it so)
    if turn.stop_reason == "max_tokens" or produced > limit:
        # Cut off: what was written so far, arguments included, is not valid JSON.
        finish, produced = "length", min(produced, limit)
        for call in calls:
            cut = call["function"]["arguments"]
            call["function"]["arguments"] = cut[: max(1, min(produced * 4, len(cut) - 1))]
    prompt_tokens, cached = usage
    message: Json = {"role": "assistant", "content": text or None, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": body.get("model", "unknown"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": produced,
            "total_tokens": prompt_tokens + produced,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }
