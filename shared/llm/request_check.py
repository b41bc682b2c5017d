"""Check a Messages API request body against the documented rules (shared.llm.api_rules).

Pure: returns the violations, first one first, as the API reports one error per 400. The fake
Messages API refuses with the first; the engine's tests run its real request shapes through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.llm.api_rules import (
    MAX_CACHE_BREAKPOINTS,
    RequestRule,
    Violation,
    find_limits,
)

Json = dict[str, Any]
# [strict]: constraints the grammar cannot express. minItems is allowed only as 0 or 1.
UNSUPPORTED_KEYWORDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "maxItems",
        "uniqueItems",
    }
)


def check_request(body: Json) -> list[Violation]:
    found: list[Violation] = []
    found += _check_max_tokens(body)
    found += _check_messages(body.get("messages") or [])
    found += _check_breakpoints(body)
    found += _check_tool_choice(body)
    for i, tool in enumerate(body.get("tools") or []):
        if tool.get("strict"):
            found += _check_strict_schema(tool.get("input_schema") or {}, f"tools.{i}.input_schema")
    return found


def _check_max_tokens(body: Json) -> list[Violation]:
    value = body.get("max_tokens")
    model = str(body.get("model", ""))
    ceiling = find_limits(model).max_output_tokens
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return [Violation(RequestRule.MAX_TOKENS_BOUNDS, "max_tokens: must be at least 1")]
    if value > ceiling:
        return [
            Violation(
                RequestRule.MAX_TOKENS_BOUNDS,
                f"max_tokens: {value} > {ceiling}, which is the maximum allowed number of "
                f"output tokens for {model}",
            )
        ]
    return []


def _blocks(message: Json) -> list[Any]:
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def _check_messages(messages: list[Json]) -> list[Violation]:
    found: list[Violation] = []
    if messages and messages[0].get("role") != "user":
        found.append(
            Violation(
                RequestRule.FIRST_MESSAGE_USER, 'messages: first message must use the "user" role'
            )
        )
    for i in range(1, len(messages)):
        if messages[i].get("role") == messages[i - 1].get("role"):
            found.append(
                Violation(
                    RequestRule.ROLES_ALTERNATE,
                    f'messages.{i}: roles must alternate between "user" and "assistant", '
                    f'but found multiple "{messages[i].get("role")}" roles in a row',
                )
            )
    for i, message in enumerate(messages):
        found += _check_tool_pairing(messages, i, message)
    return found


def _tool_use_ids(message: Json | None) -> list[str]:
    if message is None or message.get("role") != "assistant":
        return []
    return [
        str(b.get("id"))
        for b in _blocks(message)
        if isinstance(b, dict) and b.get("type") == "tool_use"
    ]


def _check_tool_pairing(messages: list[Json], i: int, message: Json) -> list[Violation]:
    found: list[Violation] = []
    if message.get("role") == "assistant":
        asked = _tool_use_ids(message)
        following = messages[i + 1] if i + 1 < len(messages) else None
        answered = {
            str(b.get("tool_use_id"))
            for b in (_blocks(following) if following and following.get("role") == "user" else [])
            if isinstance(b, dict) and b.get("type") == "tool_result"
        }
        # The last message may be an assistant turn with tool_use only as a prefill; the API
        # still needs results for it, so an unanswered id anywhere is an error.
        missing = [tool_id for tool_id in asked if tool_id not in answered]
        if missing:
            found.append(
                Violation(
                    RequestRule.TOOL_USE_ANSWERED,
                    f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}. Each `tool_use` block must have "
                    "a corresponding `tool_result` block in the next message.",
                )
            )
        return found
    blocks = _blocks(message)
    previous = _tool_use_ids(messages[i - 1]) if i > 0 else []
    seen_other = False
    for j, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind != "tool_result":
            seen_other = True
            continue
        if seen_other:
            found.append(
                Violation(
                    RequestRule.TOOL_RESULT_FIRST,
                    f"messages.{i}.content.{j}: `tool_result` blocks must come first in the "
                    "user message content, before any other block",
                )
            )
        if str(block.get("tool_use_id")) not in previous:
            found.append(
                Violation(
                    RequestRule.TOOL_RESULT_MATCHES,
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {block.get('tool_use_id')}. Each `tool_result` block must have a "
                    "corresponding `tool_use` block in the previous message.",
                )
            )
    return found


def _cache_markers(body: Json) -> Iterator[str]:
    if body.get("cache_control") is not None:
        yield "cache_control"
    for i, tool in enumerate(body.get("tools") or []):
        if tool.get("cache_control") is not None:
            yield f"tools.{i}"
    system = body.get("system")
    for i, block in enumerate(system if isinstance(system, list) else []):
        if isinstance(block, dict) and block.get("cache_control") is not None:
            yield f"system.{i}"
    for i, message in enumerate(body.get("messages") or []):
        for j, block in enumerate(_blocks(message)):
            if isinstance(block, dict) and block.get("cache_control") is not None:
                yield f"messages.{i}.content.{j}"


def _check_breakpoints(body: Json) -> list[Violation]:
    marks = list(_cache_markers(body))
    if len(marks) <= MAX_CACHE_BREAKPOINTS:
        return []
    return [
        Violation(
            RequestRule.CACHE_BREAKPOINTS,
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {len(marks)}.",
        )
    ]


def _check_tool_choice(body: Json) -> list[Violation]:
    choice = body.get("tool_choice") or {}
    kind = choice.get("type")
    found: list[Violation] = []
    if kind == "tool":
        names = {t.get("name") for t in body.get("tools") or []}
        if choice.get("name") not in names:
            found.append(
                Violation(
                    RequestRule.FORCED_TOOL_EXISTS,
                    f"tool_choice.name: tool {choice.get('name')!r} is not among the tools",
                )
            )
    thinking = (body.get("thinking") or {}).get("type")
    if kind in ("tool", "any") and thinking in ("enabled", "adaptive"):
        found.append(
            Violation(
                RequestRule.FORCED_TOOL_WITHOUT_THINKING,
                "Thinking may not be enabled when tool_choice forces tool use.",
            )
        )
    return found


def _check_strict_schema(schema: Any, path: str) -> list[Violation]:
    if isinstance(schema, list):
        return [v for i, s in enumerate(schema) for v in _check_strict_schema(s, f"{path}.{i}")]
    if not isinstance(schema, dict):
        return []
    found: list[Violation] = []
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types)
    if is_object and schema.get("additionalProperties") is not False:
        found.append(
            Violation(
                RequestRule.STRICT_OBJECTS_CLOSED,
                f"{path}: For 'object' type, 'additionalProperties' must be explicitly set to "
                "false",
            )
        )
    for keyword in sorted(UNSUPPORTED_KEYWORDS & schema.keys()):
        found.append(
            Violation(
                RequestRule.STRICT_SUPPORTED_KEYWORDS,
                f"{path}: keyword '{keyword}' is not supported in strict mode",
            )
        )
    if schema.get("minItems", 0) not in (0, 1):
        found.append(
            Violation(
                RequestRule.STRICT_SUPPORTED_KEYWORDS,
                f"{path}: 'minItems' values other than 0 or 1 are not supported in strict mode",
            )
        )
    for key in ("properties", "$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            found += _check_strict_schema(sub, f"{path}.{key}.{name}")
    for key in ("items", "anyOf", "allOf", "oneOf"):
        if key in schema:
            found += _check_strict_schema(schema[key], f"{path}.{key}")
    return found
