"""The documented request rules of the Anthropic Messages API, as data, with one checker.

The per-model figures live in `MODEL_LIMITS` and nowhere else: the engine reads them to keep its
cached prefix above the model's minimum, the fake Messages API (tests/fakes/llm) reads them to
refuse what the real API refuses and to cache only what the real API would cache.

Sources (each figure below names its page):
- [caching] https://platform.claude.com/docs/en/build-with-claude/prompt-caching
  minimum cacheable prompt length: 4,096 tokens for Claude Opus 4.6, Opus 4.5 and Haiku 4.5;
  1,024 for Sonnet 4.6, Sonnet 4.5, Opus 4.1, Opus 4, Sonnet 4, Sonnet 3.7; 2,048 for Haiku 3.5
  and Haiku 3 (quoted from that page in anthropics/anthropic-sdk-python#1194; the same table on
  docs.orq.ai and docs.aihubmix.com); a shorter prefix is processed without caching and no error.
  At most 4 cache breakpoints per request.
- [tools] https://platform.claude.com/docs/en/agents-and-tools/tool-use/handle-tool-calls
  every `tool_use` is answered by a `tool_result` with its `tool_use_id` in the next user message;
  in that message the tool_result blocks come first, any text after them.
- [strict] https://platform.claude.com/docs/en/build-with-claude/structured-outputs
  (#json-schema-limitations; linked from /agents-and-tools/tool-use/strict-tool-use): objects
  need `additionalProperties: false`; numeric constraints (minimum, maximum, multipleOf), string
  length constraints (minLength, maxLength) and array constraints beyond minItems 0 or 1 are not
  supported. The SDK's `anthropic.transform_schema` moves exactly those into the description,
  which agrees with the page.
- [models] https://platform.claude.com/docs/en/models/overview and the per-model pages
  (…/models/opus-4-6/overview: max output 128K; Haiku 4.5, Sonnet 4.5: 64K); Haiku 5.5: 128K
  (apidog.com/blog/how-to-use-claude-haiku-5-5-api, model page figures).
- [messages] the Messages API reference, as restated in Google's Claude-on-Vertex page
  (docs.cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/structured_outputs):
  "The first message must use the user role. Claude models operate on alternating user and
  assistant turns." The API merges consecutive same-role turns rather than refusing them; the
  fake refuses them anyway (stricter, marked `strict_only`), because a merged turn can put text
  before a tool_result, which the API does refuse.
- [thinking] extended thinking allows only tool_choice "auto" or "none" (tool use page,
  "Forcing tool use"): a forced tool with thinking enabled is a 400.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_CACHE_BREAKPOINTS = 4  # [caching]
# What `tools` adds to the prompt as the API's tool-use system prompt (the tool use page lists
# 300-350 tokens per model and tool_choice); counted in the prefix estimate.
TOOL_SYSTEM_PROMPT_TOKENS = 340
# Characters per token of the estimate. Not a token count: Claude's tokenizer measures about
# 3-4.5 characters per token on English, JSON schemas and SQL, so chars/4 is an estimate whose
# error the margin below must absorb.
CHARS_PER_TOKEN = 4.0
# The prefix estimate must reach minimum x margin. Why 1.3: the estimate overstates the real
# count only where the text runs above 4 characters per token; with 1.3 the real prefix still
# reaches the minimum up to 5.2 characters per token, beyond what prose, JSON or SQL measure.
CACHE_MARGIN = 1.3


@dataclass(frozen=True)
class ModelLimits:
    min_cache_tokens: int
    max_output_tokens: int


# By model id prefix (dated ids resolve to the longest matching prefix).
MODEL_LIMITS: dict[str, ModelLimits] = {
    "claude-opus-4-6": ModelLimits(4096, 128_000),  # [caching], [models]
    "claude-opus-4-5": ModelLimits(4096, 64_000),
    "claude-haiku-4-5": ModelLimits(4096, 64_000),
    "claude-sonnet-4-6": ModelLimits(1024, 64_000),
    "claude-sonnet-4-5": ModelLimits(1024, 64_000),
    "claude-opus-4-1": ModelLimits(1024, 32_000),
    "claude-sonnet-4": ModelLimits(1024, 64_000),
    "claude-3-5-haiku": ModelLimits(2048, 8_192),
    "claude-3-haiku": ModelLimits(2048, 4_096),
    # Haiku 5.5 (the default): 128K output [models]; its caching minimum is not in the table we
    # could confirm, so it gets the strictest documented figure (a prefix that caches on Haiku
    # 4.5 caches here too, if Haiku 5.5's minimum is not higher).
    "claude-haiku-5-5": ModelLimits(4096, 128_000),
}
# A model missing from the table: the strictest minimum and a small output bound.
UNKNOWN_MODEL = ModelLimits(4096, 8_192)


def find_limits(model: str) -> ModelLimits:
    candidates = [name for name in MODEL_LIMITS if model.startswith(name)]
    return MODEL_LIMITS[max(candidates, key=len)] if candidates else UNKNOWN_MODEL


class RequestRule(StrEnum):
    """One documented way the API refuses a request (400 invalid_request_error)."""

    FIRST_MESSAGE_USER = "first_message_user"  # [messages]
    ROLES_ALTERNATE = "roles_alternate"  # [messages], strict_only
    TOOL_USE_ANSWERED = "tool_use_answered"  # [tools]
    TOOL_RESULT_MATCHES = "tool_result_matches"  # [tools]
    TOOL_RESULT_FIRST = "tool_result_first"  # [tools]
    CACHE_BREAKPOINTS = "cache_breakpoints"  # [caching]
    STRICT_OBJECTS_CLOSED = "strict_objects_closed"  # [strict]
    STRICT_SUPPORTED_KEYWORDS = "strict_supported_keywords"  # [strict]
    MAX_TOKENS_BOUNDS = "max_tokens_bounds"  # [models]
    FORCED_TOOL_EXISTS = "forced_tool_exists"  # [tools]
    FORCED_TOOL_WITHOUT_THINKING = "forced_tool_without_thinking"  # [thinking]


STRICT_ONLY = frozenset({RequestRule.ROLES_ALTERNATE})


@dataclass(frozen=True)
class Violation:
    rule: RequestRule
    message: str  # worded like the API's error message: "<path>: <what is wrong>"


@dataclass(frozen=True)
class PrefixEstimate:
    """The cached prefix (tools + system) by estimate, against the model's minimum."""

    model: str
    estimated_tokens: int
    min_cache_tokens: int
    margin: float

    @property
    def required_tokens(self) -> int:
        return int(self.min_cache_tokens * self.margin)

    @property
    def caches(self) -> bool:
        return self.estimated_tokens >= self.required_tokens

    def describe(self) -> str:
        verdict = "caches" if self.caches else "may NOT cache"
        return (
            f"cached prefix ~{self.estimated_tokens} tokens (chars/{CHARS_PER_TOKEN:g}) for "
            f"{self.model}: minimum {self.min_cache_tokens} x margin {self.margin:g} = "
            f"{self.required_tokens} -> {verdict}"
        )


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN)


def estimate_prefix(model: str, system: str, tools: list[dict[str, Any]]) -> PrefixEstimate:
    """The tools + system prefix (the first cache breakpoint) by estimate, for `model`."""
    tool_text = json.dumps(tools, sort_keys=True)
    tokens = estimate_tokens(system) + estimate_tokens(tool_text)
    tokens += TOOL_SYSTEM_PROMPT_TOKENS if tools else 0
    return PrefixEstimate(model, tokens, find_limits(model).min_cache_tokens, CACHE_MARGIN)
