"""The documented request rules of the OpenAI Chat Completions API (`POST /v1/chat/completions`),
as data, with one pure checker: the fake (tests/fakes/openai_api) refuses what it finds, the
engine's tests run its real request shapes through it.

Sources:
- [ref] the API reference (platform.openai.com/docs/api-reference/chat/create), as generated
  into openai-python's types (`ChatCompletionMessageParam`, `FunctionDefinition`): roles are
  system, developer, user, assistant, tool; a function name "must be a-z, A-Z, 0-9, or contain
  underscores and dashes, with a maximum length of 64"; `parameters` is a JSON Schema object;
  `tool_choice` is "none", "auto", "required" or `{"type": "function", "function": {"name"}}`.
- [tools] the API's own 400 messages, quoted in simonw/llm#937 and QwenLM/qwen-code#606:
  "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'" and
  "An assistant message with 'tool_calls' must be followed by tool messages responding to each
  'tool_call_id'. The following tool_call_ids did not have response messages: ...".
- [strict] function-calling guide, strict mode (quoted in openai/openai-python#1733 and
  BasisResearch/effectful#367): with `strict: true` every object needs
  `additionalProperties: false` and every property listed in `required`.
- [limits] max output tokens per model from the model pages (gpt-4o / gpt-4o-mini 16,384;
  gpt-4.1 family 32,768); `max_completion_tokens` replaces the deprecated `max_tokens`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Json = dict[str, Any]
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TOOL_CHOICE_WORDS = frozenset({"none", "auto", "required"})

# By model id prefix (longest wins). Self-hosted models (vLLM, Ollama) bound output by their
# context window instead; unknown ids get UNKNOWN_MAX_OUTPUT.
MAX_OUTPUT_TOKENS: dict[str, int] = {
    "gpt-4o": 16_384,
    "gpt-4o-mini": 16_384,
    "gpt-4.1": 32_768,
    "gpt-4.1-mini": 32_768,
    "gpt-4.1-nano": 32_768,
}
UNKNOWN_MAX_OUTPUT = 16_384


def find_max_output(model: str) -> int:
    candidates = [name for name in MAX_OUTPUT_TOKENS if model.startswith(name)]
    return MAX_OUTPUT_TOKENS[max(candidates, key=len)] if candidates else UNKNOWN_MAX_OUTPUT


class ChatRule(StrEnum):
    """One documented way the Chat Completions API refuses a request (400)."""

    MESSAGES_PRESENT = "messages_present"  # [ref]
    ROLE_KNOWN = "role_known"  # [ref]
    TOOL_MESSAGE_ANSWERS_CALL = "tool_message_answers_call"  # [tools]
    TOOL_CALLS_ANSWERED = "tool_calls_answered"  # [tools]
    FUNCTION_NAME = "function_name"  # [ref]
    PARAMETERS_OBJECT = "parameters_object"  # [ref]
    STRICT_SCHEMA = "strict_schema"  # [strict]
    TOOL_CHOICE_VALID = "tool_choice_valid"  # [ref]
    MAX_TOKENS_BOUNDS = "max_tokens_bounds"  # [limits]


@dataclass(frozen=True)
class ChatViolation:
    rule: ChatRule
    message: str
    param: str | None = None  # the API's `error.param`


def check_chat_request(body: Json) -> list[ChatViolation]:
    """Every rule `body` breaks, first one first (the API reports one error per 400)."""
    found = _check_messages(body.get("messages"))
    tools = body.get("tools") or []
    for i, tool in enumerate(tools):
        found += _check_tool(tool, f"tools[{i}]")
    found += _check_tool_choice(body.get("tool_choice"), tools)
    found += _check_max_tokens(body)
    return found


def _check_messages(messages: Any) -> list[ChatViolation]:
    if not isinstance(messages, list) or not messages:
        return [ChatViolation(ChatRule.MESSAGES_PRESENT, "messages: must be a non-empty array")]
    found: list[ChatViolation] = []
    pending: list[str] = []  # tool_call ids of the last assistant turn not answered yet
    answerable: set[str] = set()
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        where = f"messages.[{i}].role"
        if role not in ROLES:
            found.append(ChatViolation(ChatRule.ROLE_KNOWN, f"Invalid role {role!r}", where))
            continue
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in answerable:
                found.append(
                    ChatViolation(
                        ChatRule.TOOL_MESSAGE_ANSWERS_CALL,
                        "Invalid parameter: messages with role 'tool' must be a response to a "
                        "preceeding message with 'tool_calls'.",
                        where,
                    )
                )
            elif call_id in pending:
                pending.remove(call_id)
            continue
        if pending:
            found.append(_unanswered(pending, i))
        pending, answerable = [], set()
        if role == "assistant":
            ids = [str(call.get("id")) for call in message.get("tool_calls") or []]
            pending, answerable = list(ids), set(ids)
    if pending:
        found.append(_unanswered(pending, len(messages)))
    return found


def _unanswered(pending: list[str], index: int) -> ChatViolation:
    return ChatViolation(
        ChatRule.TOOL_CALLS_ANSWERED,
        "An assistant message with 'tool_calls' must be followed by tool messages responding to "
        f"each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        f"{', '.join(pending)}",
        f"messages.[{index}].role",
    )


def _check_tool(tool: Any, path: str) -> list[ChatViolation]:
    function = tool.get("function") if isinstance(tool, dict) else None
    if (
        not isinstance(tool, dict)
        or tool.get("type") != "function"
        or not isinstance(function, dict)
    ):
        return [ChatViolation(ChatRule.FUNCTION_NAME, f"{path}: must be a function tool", path)]
    found: list[ChatViolation] = []
    name = function.get("name")
    if not isinstance(name, str) or not FUNCTION_NAME.match(name):
        found.append(
            ChatViolation(
                ChatRule.FUNCTION_NAME,
                f"Invalid '{path}.function.name': string does not match pattern. Expected a "
                "string that matches the pattern '^[a-zA-Z0-9_-]+$' (at most 64 characters).",
                f"{path}.function.name",
            )
        )
    params = function.get("parameters")
    if params is None:
        return found  # documented: omitted parameters mean an empty parameter list
    if not isinstance(params, dict) or params.get("type") != "object":
        found.append(
            ChatViolation(
                ChatRule.PARAMETERS_OBJECT,
                f"Invalid schema for function '{name}': schema must be a JSON Schema of "
                "'type: \"object\"'",
                f"{path}.function.parameters",
            )
        )
    elif function.get("strict"):
        found += _check_strict(params, f"{path}.function.parameters", str(name))
    return found


def _check_strict(schema: Any, path: str, name: str) -> list[ChatViolation]:
    if isinstance(schema, list):
        return [v for i, s in enumerate(schema) for v in _check_strict(s, f"{path}[{i}]", name)]
    if not isinstance(schema, dict):
        return []
    found: list[ChatViolation] = []
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types)
    properties = schema.get("properties") or {}
    if is_object and schema.get("additionalProperties") is not False:
        found.append(
            ChatViolation(
                ChatRule.STRICT_SCHEMA,
                f"Invalid schema for function '{name}': In context={path}, "
                "'additionalProperties' is required to be supplied and to be false.",
                path,
            )
        )
    missing = sorted(set(properties) - set(schema.get("required") or []))
    if is_object and missing:
        found.append(
            ChatViolation(
                ChatRule.STRICT_SCHEMA,
                f"Invalid schema for function '{name}': In context={path}, 'required' is "
                f"required to be supplied and to be an array including every key in properties. "
                f"Missing '{missing[0]}'.",
                path,
            )
        )
    for key in ("properties", "$defs", "definitions"):
        for sub_name, sub in (schema.get(key) or {}).items():
            found += _check_strict(sub, f"{path}.{key}.{sub_name}", name)
    for key in ("items", "anyOf"):
        if key in schema:
            found += _check_strict(schema[key], f"{path}.{key}", name)
    return found


def _check_tool_choice(choice: Any, tools: list[Any]) -> list[ChatViolation]:
    if choice is None:
        return []
    if not tools:
        return [
            ChatViolation(
                ChatRule.TOOL_CHOICE_VALID,
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
                "specified.",
                "tool_choice",
            )
        ]
    if isinstance(choice, str):
        if choice in TOOL_CHOICE_WORDS:
            return []
        message = f"Invalid tool_choice {choice!r}"
        return [ChatViolation(ChatRule.TOOL_CHOICE_VALID, message, "tool_choice")]
    names = {(t.get("function") or {}).get("name") for t in tools if isinstance(t, dict)}
    wanted = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or choice.get("type") != "function" or wanted not in names:
        return [
            ChatViolation(
                ChatRule.TOOL_CHOICE_VALID,
                f"Invalid value for 'tool_choice': function {wanted!r} is not among the tools",
                "tool_choice",
            )
        ]
    return []


def _check_max_tokens(body: Json) -> list[ChatViolation]:
    found: list[ChatViolation] = []
    ceiling = find_max_output(str(body.get("model", "")))
    for key in ("max_completion_tokens", "max_tokens"):
        if key not in body or body[key] is None:
            continue
        value = body[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            found.append(ChatViolation(ChatRule.MAX_TOKENS_BOUNDS, f"{key}: must be >= 1", key))
        elif value > ceiling:
            found.append(
                ChatViolation(
                    ChatRule.MAX_TOKENS_BOUNDS,
                    f"{key} is too large: {value}. This model supports at most {ceiling} "
                    "completion tokens, whereas you provided " + str(value) + ".",
                    key,
                )
            )
    return found
