"""Review: question, SQL, explanation and planned properties must agree.

Two reviewers, cheapest first. `review_rules` is programmatic (SQL-Factory's consistency verifier,
in its deterministic part) and is the whole review of the template engine. An engine that can
judge (Claude: `review(envelope) -> (Review, TokenCost)`) then reviews what the rules passed,
with the validator's measurements as facts. A draft the rules fail is not sent to the judge:
it will be repaired and reviewed again, so judging it would be paid for and thrown away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from proto.common import PromptStyle
from proto.sample import Review, SampleEnvelope, TokenCost
from shared.errors import GenerationError
from shared.pipeline.engines import spent_by

PLACEHOLDER = re.compile(r"\{[a-z_]+\}|<[A-Z_]+>|\bNone\b|\bnan\b")
MIN_QUESTION_WORDS = {PromptStyle.TERSE: 2}


@runtime_checkable
class Judge(Protocol):
    """A draft engine that can also review (the reviser's LLM judge)."""

    async def review(self, envelope: SampleEnvelope) -> tuple[Review, TokenCost]: ...


@dataclass(frozen=True)
class ReviewResult:
    review: Review
    cost: TokenCost = field(default_factory=TokenCost)
    # Why the verdict is the rules' alone although a judge exists (kept in the history).
    note: str | None = None


def review_rules(envelope: SampleEnvelope) -> Review:
    draft = envelope.draft
    reasons: list[str] = []
    if draft is None:
        return Review(verdict="fail", reasons=["no draft"])
    question = draft.question.strip()
    words = question.split()
    if len(words) < MIN_QUESTION_WORDS.get(draft.prompt_style, 3):
        reasons.append(f"question too short for style {draft.prompt_style.value}: {question!r}")
    if PLACEHOLDER.search(question) or PLACEHOLDER.search(draft.explanation):
        reasons.append("unresolved placeholder in question or explanation")
    if len(draft.explanation.split()) < 5:
        reasons.append("explanation too short to explain the query")
    if draft.prompt_style is not envelope.blueprint.prompt_style:
        reasons.append(
            f"prompt style {draft.prompt_style.value} differs from planned "
            f"{envelope.blueprint.prompt_style.value}"
        )
    if draft.domain != envelope.blueprint.domain:
        reasons.append(f"domain {draft.domain} differs from planned {envelope.blueprint.domain}")
    if envelope.validation is not None and envelope.validation.conformance:
        reasons.append("conformance diffs remain")
    return Review(verdict="fail" if reasons else "pass", reasons=reasons, reviewer="rules")


async def review_sample(envelope: SampleEnvelope, judge: Judge | None) -> ReviewResult:
    """The rules, then the judge on what they pass.

    A judge whose answer is unusable (malformed, refused: a `GenerationError`) leaves the rules'
    verdict, with what it spent and a note saying so; a sample is not rejected because its
    reviewer failed. Rate limits and outages propagate: the message is retried later.
    """
    rules = review_rules(envelope)
    if rules.verdict == "fail" or judge is None:
        return ReviewResult(rules)
    try:
        verdict, cost = await judge.review(envelope)
    except GenerationError as exc:
        fallback = rules.model_copy(update={"reviewer": "rules (judge failed)"})
        return ReviewResult(fallback, spent_by(exc), f"judge gave no verdict, rules only: {exc}")
    return ReviewResult(verdict.model_copy(update={"reviewer": f"rules+{verdict.reviewer}"}), cost)
