"""One step of a conversation: ask for a section through its tool, run agent tools in between,
validate the answer. Also the reply memo that makes work survive a rate limit.

Why the memo: a sample's draft takes several calls. When one of them is rate-limited the
sample goes back to the broker (delayed nak) and is generated again from the start; its
prompts are deterministic (same plan, same variation), so the calls that had succeeded are
answered from the memo instead of being paid for twice. Under a long rate-limit storm a sample
therefore advances at least one call per delivery, instead of needing every call to succeed in
one go (the stall of NeMo DataDesigner #575). Memo hits return the cost the call had when it
was billed: that spend belongs to this sample's envelope and was never published before.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, TypeVar

from anthropic.types import Message, ToolUseBlock
from pydantic import ValidationError

from proto.sample import TokenCost
from shared.errors import GenerationError
from shared.generation.claude.conversation import (
    Conversation,
    choose_any_tool,
    force_tool,
    make_text_block,
    make_tool_result,
)
from shared.generation.claude.prompts import FORCE_SUBMIT, TOOL_RESULT_OK
from shared.generation.claude.schemas import AGENT_TOOLS, Answer
from shared.generation.claude.tools import ToolBox
from shared.llm.client import ModelClient, Reply
from shared.llm.errors import MalformedOutput
from shared.llm.openai_adapter import INVALID_ARGUMENTS

A = TypeVar("A", bound=Answer)


class ReplyMemo:
    """Successful replies by request content, bounded in size and age (LRU)."""

    def __init__(self, size: int = 4096, ttl_s: float = 1800.0) -> None:
        self.size, self.ttl_s = size, ttl_s
        self._items: OrderedDict[str, tuple[float, Reply]] = OrderedDict()
        self.hits = 0

    @staticmethod
    def key(model: str, params: dict[str, Any]) -> str:
        raw = json.dumps([model, params], sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: str) -> Reply | None:
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item[1]

    def put(self, key: str, reply: Reply) -> None:
        self._items[key] = (time.monotonic() + self.ttl_s, reply)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


@dataclass
class Spend:
    """The cost of one engine operation so far (attached to the exception if it fails)."""

    total: TokenCost = field(default_factory=TokenCost)

    def add(self, cost: TokenCost) -> None:
        self.total = self.total.add(cost)

    def count_retry(self) -> None:
        self.total = self.total.model_copy(update={"answer_retries": self.total.answer_retries + 1})


# The SDK refuses non-streaming requests whose max_tokens implies more than 10 minutes of
# output (about 21K tokens); a continuation stays below that.
CONTINUATION_MAX_TOKENS = 16_384


@dataclass
class AnswerRetries:
    """The per-step budget for re-asking instead of rejecting the sample (one bad answer must
    not cost the plan): a truncated answer is asked again with more room, a malformed one is
    answered with its validation error and asked again."""

    budget: int
    used: int = 0

    def take(self, spend: Spend) -> bool:
        if self.used >= self.budget:
            return False
        self.used += 1
        spend.count_retry()
        return True


@dataclass
class StepRunner:
    client: ModelClient
    memo: ReplyMemo
    max_tokens: int
    answer_retries: int = 2

    async def call(
        self,
        conv: Conversation,
        tool_choice: dict[str, Any],
        *,
        purpose: str,
        spend: Spend,
        cache_tail: bool = True,
        max_tokens: int | None = None,
    ) -> Reply:
        params = conv.params(
            max_tokens=max_tokens or self.max_tokens, tool_choice=tool_choice, cache_tail=cache_tail
        )
        key = ReplyMemo.key(self.client.model, params)
        reply = self.memo.get(key)
        if reply is None:
            reply = await self.client.create(params, purpose=purpose)
            self.memo.put(key, reply)
        spend.add(reply.cost)
        return reply

    async def ask(
        self,
        conv: Conversation,
        section: str,
        submit: str,
        answer_type: type[A],
        *,
        spend: Spend,
        toolbox: ToolBox | None = None,
        last: bool = False,
    ) -> A:
        """Run the step until the model submits through `submit`; return the validated answer.

        The tool result acknowledging the answer is appended, so the next step's instruction
        goes into the same user turn. `last`: no later call continues this conversation, so the
        forced final answer does not write the conversation to the cache.
        """
        retries = AnswerRetries(self.answer_retries)
        max_tokens = self.max_tokens
        while True:
            agentic = toolbox is not None and not toolbox.exhausted
            choice = choose_any_tool() if agentic else force_tool(submit)
            reply = await self.call(
                conv,
                choice,
                purpose=section,
                spend=spend,
                cache_tail=agentic or not last,
                max_tokens=max_tokens,
            )
            roomier = min(max_tokens * 2, CONTINUATION_MAX_TOKENS)
            if (
                reply.message.stop_reason == "max_tokens"
                and roomier > max_tokens
                and retries.take(spend)
            ):
                # A tool call cut off mid-input cannot be resumed (its block would need a
                # tool_result), so the same turn is asked again with twice the room; the cut
                # reply is not added to the conversation.
                max_tokens = roomier
                continue
            calls = conv.assistant(reply.message)
            if not calls and reply.message.stop_reason == "end_turn" and retries.take(spend):
                # A model that answered in text despite the tool choice (weaker self-hosted
                # models behind an OpenAI-compatible server do): ask for the call once more.
                conv.user(make_text_block(NO_CALL_REASK.format(submit=submit)))
                continue
            call = check_reply(reply.message, calls, section, max_tokens, spend)
            if call.name == submit:
                try:
                    answer = validate_submission(call, section, answer_type, spend)
                except MalformedOutput as exc:
                    if not retries.take(spend):
                        raise
                    conv.user(
                        make_tool_result(call.id, reask_text(submit, exc.reason), is_error=True)
                    )
                    continue
                conv.user(make_tool_result(call.id, TOOL_RESULT_OK))
                return answer
            if toolbox is not None and call.name in AGENT_TOOLS:
                text, is_error = await toolbox.handle(call)
                conv.user(make_tool_result(call.id, text, is_error=is_error))
                if toolbox.exhausted:
                    conv.user(make_text_block(FORCE_SUBMIT))
                continue
            raise MalformedOutput(section, f"called {call.name} instead of {submit}", spend.total)


NO_CALL_REASK = "Answer by calling {submit} with the whole input; do not answer in text."


def reask_text(submit: str, reason: str) -> str:
    return (
        f"The input of {submit} did not validate: {reason}. Call {submit} again with the whole "
        "input corrected."
    )


def check_reply(
    message: Message, calls: list[ToolUseBlock], section: str, max_tokens: int, spend: Spend
) -> ToolUseBlock:
    """The reply's (single) tool call, or the error that explains why there is none."""
    if message.stop_reason == "max_tokens":
        raise MalformedOutput(section, f"answer cut off at max_tokens={max_tokens}", spend.total)
    if message.stop_reason == "refusal":
        raise GenerationError(f"the model refused the {section} step")
    if not calls:
        raise MalformedOutput(
            section, f"no tool call (stop_reason={message.stop_reason})", spend.total
        )
    return calls[0]


def validate_submission(call: ToolUseBlock, section: str, answer_type: type[A], spend: Spend) -> A:
    if isinstance(call.input, dict) and INVALID_ARGUMENTS in call.input:
        # A chat completion's arguments that were not JSON (shared.llm.openai_adapter).
        raise MalformedOutput(section, str(call.input[INVALID_ARGUMENTS]), spend.total)
    try:
        return answer_type.model_validate(call.input)
    except ValidationError as exc:
        reason = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise MalformedOutput(section, reason[:600], spend.total) from exc
