"""Programmatic review: question, SQL, explanation and planned properties must agree.

This is the reviewer of the template engine (and the first pass before an LLM judge): cheap
rules over the draft and the validator's measurements (seed 003's consistency verifier, in its
deterministic part).
"""

from __future__ import annotations

import re

from proto.common import PromptStyle
from proto.sample import Review, SampleEnvelope

PLACEHOLDER = re.compile(r"\{[a-z_]+\}|<[A-Z_]+>|\bNone\b|\bnan\b")
MIN_QUESTION_WORDS = {PromptStyle.TERSE: 2}


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
