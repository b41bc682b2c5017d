"""Messages-API requests to Chat Completions requests, and chat completions back to Messages.

Why translate at this layer: the engine (shared.generation.claude) is written on the Messages
API's shapes (its Conversation, StepRunner and the Reply it reads); translating the request it
builds and the answer it reads keeps one engine, one set of prompts and checks, for both
providers. What does not carry over is dropped on purpose:
- `cache_control` markers and `thinking`: OpenAI caches prompt prefixes by itself (and reports
  them as `prompt_tokens_details.cached_tokens`); there is no thinking switch.
- a tool_result's `is_error` flag has no field in a `tool` message: its text says "Error:".
Pairing: a Messages user turn holds tool_result blocks first, then text. It becomes one `tool`
message per result (right after the assistant's `tool_calls`, as the API requires), then one
`user` message with the text.
"""

from __future__ import annotations

import json
from typing import Any

from anthropic.types import Message, TextBlock, ToolUseBlock, Usage
from openai.types.chat import ChatCompletion

Json = dict[str, Any]
# A tool call whose arguments are not JSON (a model ignoring the schema, or cut off): kept as a
# call with this single key, so the step's validation re-asks with the parse error.
INVALID_ARGUMENTS = "__invalid_arguments__"
STOP_REASONS = {"length": "max_tokens", "content_filter": "refusal", "tool_calls": "tool_use"}


def to_chat_body(
    params: Json, *, model: str, token_limit_param: str = "max_completion_tokens", strict: bool
) -> Json:
    """The chat.completions.create body for a Messages API request body (without model)."""
    messages: list[Json] = []
    system = params.get("system")
    if system:
        messages.append({"role": "system", "content": join_text(system)})
    for message in params["messages"]:
        if message["role"] == "user":
            messages.extend(to_user_messages(message["content"]))
        else:
            messages.append(to_assistant_message(message["content"]))
    body: Json = {"model": model, "messages": messages, token_limit_param: params["max_tokens"]}
    if "temperature" in params:
        body["temperature"] = params["temperature"]
    tools = params.get("tools") or []
    if tools:
        body["tools"] = [to_function(tool, strict=strict) for tool in tools]
        choice = params.get("tool_choice")
        if choice:
            body["tool_choice"] = to_tool_choice(choice)
            if choice.get("disable_parallel_tool_use"):
                body["parallel_tool_calls"] = False
    return body


def join_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n\n".join(block["text"] for block in content if block.get("type") == "text")


def to_user_messages(content: Any) -> list[Json]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    out: list[Json] = []
    for block in content:
        if block.get("type") == "tool_result":
            text = tool_result_text(block.get("content", ""))
            if block.get("is_error"):
                text = f"Error: {text}"
            out.append({"role": "tool", "tool_call_id": block["tool_use_id"], "content": text})
    text = join_text(content)
    if text:
        out.append({"role": "user", "content": text})
    return out


def tool_result_text(content: Any) -> str:
    return content if isinstance(content, str) else join_text(content)


def to_assistant_message(content: Any) -> Json:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    calls = [
        {
            "id": block["id"],
            "type": "function",
            "function": {"name": block["name"], "arguments": json.dumps(block["input"])},
        }
        for block in content
        if block.get("type") == "tool_use"
    ]
    message: Json = {"role": "assistant", "content": join_text(content) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def to_function(tool: Json, *, strict: bool) -> Json:
    function: Json = {
        "name": tool["name"],
        "description": tool.get("description", ""),
        "parameters": tool["input_schema"],
    }
    if strict and tool.get("strict"):
        function["strict"] = True
    return {"type": "function", "function": function}


def to_tool_choice(choice: Json) -> Any:
    kind = choice.get("type")
    if kind == "tool":
        return {"type": "function", "function": {"name": choice["name"]}}
    return {"any": "required", "none": "none"}.get(str(kind), "auto")


def parse_arguments(raw: str) -> dict[str, object]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        return {INVALID_ARGUMENTS: f"the arguments are not valid JSON ({exc.msg} at {exc.pos})"}
    if not isinstance(value, dict):
        return {INVALID_ARGUMENTS: "the arguments are not a JSON object"}
    return value


def to_message(completion: ChatCompletion) -> Message:
    """The Messages-API view of a chat completion: text and tool_use blocks, stop reason, usage
    (cached prompt tokens as cache reads; input_tokens excludes them, as in the Messages API)."""
    if not completion.choices:
        return make_message(completion, [], "end_turn")
    choice = completion.choices[0]
    reply = choice.message
    content: list[TextBlock | ToolUseBlock] = []
    if reply.content:
        content.append(TextBlock(type="text", text=reply.content))
    calls = [call for call in reply.tool_calls or [] if call.type == "function"]
    for call in calls:
        content.append(
            ToolUseBlock(
                type="tool_use",
                id=call.id,
                name=call.function.name,
                input=parse_arguments(call.function.arguments),
            )
        )
    stop = STOP_REASONS.get(choice.finish_reason)
    if stop is None:  # "stop": a forced function call also ends with it
        stop = "tool_use" if calls else "end_turn"
    if reply.refusal:
        stop = "refusal"
    return make_message(completion, content, stop)


def make_message(
    completion: ChatCompletion, content: list[TextBlock | ToolUseBlock], stop: str
) -> Message:
    usage = completion.usage
    prompt = usage.prompt_tokens if usage else 0
    details = usage.prompt_tokens_details if usage else None
    cached = min((details.cached_tokens or 0) if details else 0, prompt)
    return Message(
        id=completion.id,
        type="message",
        role="assistant",
        model=completion.model,
        content=list(content),
        stop_reason=stop,
        stop_sequence=None,
        usage=Usage(
            input_tokens=prompt - cached,
            output_tokens=usage.completion_tokens if usage else 0,
            cache_read_input_tokens=cached,
            cache_creation_input_tokens=0,
        ),
    )
