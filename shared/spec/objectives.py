"""Written objectives (DataFramer's "Generation Objectives" field) turned into spec edits by Claude.

One call with structured output: the model answers through the `submit_spec_edits` tool (a list
of edits, each with its `why`; shared.spec.edits). The edits are applied to the spec document
and the result validated; when edits cannot be applied or the result does not validate, the
problems go back to the model once, in the same conversation, for corrective edits on top.
Still invalid after that: `ObjectivesFailed`, and nothing is written.

The system prompt and the tool are identical for every call, so they are the cached prefix
(shared.generation.claude.conversation places the breakpoints); the spec and the objectives
come after them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import anthropic
from anthropic.types import ToolUseBlock
from pydantic import ValidationError

from proto.common import PromptStyle, SqlFeature, TaskType
from proto.sample import TokenCost
from shared.errors import SqlsynthError
from shared.generation.claude.conversation import (
    Conversation,
    force_tool,
    make_text_block,
    make_tool_result,
)
from shared.llm.client import LlmClient
from shared.spec.edits import EditsAnswer, SpecEdit, apply_edits
from shared.spec.rules import MAX_TABLES, RULES
from shared.spec.spec_yaml import dump_spec_yaml
from shared.spec.validate import validate_spec

TOOL_NAME = "submit_spec_edits"
PURPOSE = "spec_objectives"
MAX_TOKENS = 8192

SYSTEM_PROMPT = f"""\
You edit dataset specifications for sqlsynth, a generator of execution-validated Text-to-SQL \
data. A spec lists properties with probability distributions; each sample's plan (blueprint) is \
one draw of every property, parents before children. You receive a spec (often measured from \
seed data, with the counts in `evidence`) and the user's written objectives. Translate the \
objectives into the smallest set of edits that achieves them, keeping everything the objectives \
do not mention as measured. Answer only through the {TOOL_NAME} tool.

# The spec
- A property has a marginal distribution (`values`: categorical, `bernoulli`: p of true, \
`range`: min/max, uniform or normal with mean/std) or `depends_on` + a conditional: one \
distribution per combination of parent values. In an edit, a conditional is a list of \
branches; `when` lists one parent value per depends_on entry, in order; '*' matches any value \
not listed. Every parent value that can be drawn needs a branch (or a '*' branch).
- Every categorical distribution's probabilities sum to exactly 1. Give numbers with at most 4 \
decimals. Values are text: numbers as "3", booleans as "true"/"false".
- Constraints forbid combinations: a draw is rejected when every listed property takes one of \
the listed values. Coherence rules always apply: {"; ".join(rule.reason for rule in RULES)}.

# Properties the pipeline understands
- complexity: easy, medium, hard (SENSE: easy = one table, simple; medium = joins or \
aggregates; hard = several advanced features).
- task_type: {", ".join(t.value for t in TaskType)} (data definition is never generated).
- prompt_style: {", ".join(s.value for s in PromptStyle)}.
- num_tables: integer 1..{MAX_TABLES}, the distinct tables the query reads.
- join_kind: none (only with 1 table), inner, left, cross, right, full. RIGHT and FULL are not \
portable (MySQL/MariaDB lack FULL JOIN) and a constraint portable_joins forbids them: keep it \
unless the objectives demand those joins.
- uses_<feature> (true/false) for: {", ".join(f.value for f in SqlFeature)}.
- columns_per_table (int range), rows_per_table (int range), declares_primary_keys \
(bernoulli), declares_foreign_keys (bernoulli, usually given num_tables).
- Any other property may be added; the Claude generator reads it from the plan, but nothing \
checks it, so prefer the properties above.
- domains: the subject areas, weighted.

# Edits
- set_distribution: replace a property's distribution (marginal, or depends_on + branches).
- add_conditional: make an existing property depend on others (depends_on + branches).
- add_property: a new property (description, type, and a distribution).
- add_constraint: forbid a combination (target = constraint name, forbid, description).
- remove_property, remove_constraint, set_domains.
Every edit has `why`: the objective it serves and how the numbers follow from it. Quantities: \
"a bit more" is roughly 1.3-1.5x the measured share, "more" about 2x, "much greater" or \
"diverse" a near-even spread; a stated floor ("at least 10%") must hold with margin. Check the \
arithmetic of overall shares: an overall share is the sum over parent values of P(parent) x \
P(value | parent). Do not touch what no objective asks to change.
"""


class ObjectivesFailed(SqlsynthError):
    """The model's edits did not give a valid spec, even after one round of corrections."""

    def __init__(self, problems: list[str], cost: TokenCost) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"the edited spec is still invalid after one correction:\n{lines}", cost=cost
        )


@dataclass
class ObjectivesResult:
    document: dict[str, Any]
    edits: list[SpecEdit] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    rounds: int = 1
    cost: TokenCost = field(default_factory=TokenCost)


def build_tool() -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "description": "Submit the edits that make the spec meet the objectives, each with why.",
        "input_schema": anthropic.transform_schema(EditsAnswer),
        "strict": True,
    }


def render_request(document: dict[str, Any], objectives: str) -> str:
    spec_text = dump_spec_yaml(document)
    return (
        f"<spec>\n{spec_text}</spec>\n<objectives>\n{objectives.strip()}\n</objectives>\n"
        f"Call {TOOL_NAME} with the edits."
    )


def _tool_call(message: Any) -> ToolUseBlock | None:
    return next(
        (b for b in message.content if isinstance(b, ToolUseBlock) and b.name == TOOL_NAME), None
    )


def _read_answer(call: ToolUseBlock | None) -> tuple[EditsAnswer | None, list[str]]:
    if call is None:
        return None, [f"no {TOOL_NAME} call in the answer"]
    try:
        return EditsAnswer.model_validate(call.input), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        return None, [f"answer does not match the tool schema: {json.dumps(errors, default=str)}"]


def _evaluate(
    document: dict[str, Any], answer: EditsAnswer | None, problems: list[str]
) -> tuple[dict[str, Any], list[SpecEdit], list[str]]:
    if answer is None:
        return document, [], problems
    edited, applied, failed = apply_edits(document, answer.edits)
    return edited, applied, [*problems, *failed, *validate_spec(edited)]


def _feedback(problems: list[str], document: dict[str, Any]) -> str:
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        f"These problems remain:\n{listed}\n\nThe edits that could be applied are applied; the "
        f"spec is now:\n<spec>\n{dump_spec_yaml(document)}</spec>\nCall {TOOL_NAME} again with "
        "edits that fix every problem; they apply on top of this spec."
    )


async def apply_objectives(
    document: dict[str, Any],
    objectives: str,
    client: LlmClient,
    *,
    max_tokens: int = MAX_TOKENS,
) -> ObjectivesResult:
    """Edit `document` to meet `objectives` (one call, plus one correction when needed)."""
    conversation = Conversation(SYSTEM_PROMPT, [build_tool()], client.settings.cache_ttl)
    conversation.user(make_text_block(render_request(document, objectives)))
    result = ObjectivesResult(document=document)
    for attempt in (1, 2):
        last = attempt == 2
        params = conversation.params(
            max_tokens=max_tokens, tool_choice=force_tool(TOOL_NAME), cache_tail=not last
        )
        reply = await client.create(params, purpose=PURPOSE)
        result.cost = result.cost.add(reply.cost)
        result.rounds = attempt
        call = _tool_call(reply.message)
        answer, problems = _read_answer(call)
        edited, applied, problems = _evaluate(result.document, answer, problems)
        result.document = edited
        result.edits += applied
        if answer is not None:
            result.reasoning.append(answer.reasoning)
        if not problems:
            return result
        if last:
            raise ObjectivesFailed(problems, result.cost)
        conversation.assistant(reply.message)
        text = _feedback(problems, result.document)
        if call is not None:
            conversation.user(make_tool_result(call.id, text, is_error=True))
        else:
            conversation.user(make_text_block(text))
    raise AssertionError("unreachable")
