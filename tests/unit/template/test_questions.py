"""Questions and explanations: styles, variety, named values, vague words and their meaning."""

from __future__ import annotations

import collections
import random
import re

import pytest

from proto.common import JoinKind, PromptStyle, TaskType
from proto.sample import Blueprint
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.words.explain import explain
from shared.generation.template.words.meaning import Cond, Meaning, Metric, Ordering
from shared.generation.template.words.question_parts import Vocabulary
from shared.generation.template.words.questions import write_question
from shared.spec.prompt_style import classify_prompt_style
from tests.unit.template.helpers import random_blueprints

S = PromptStyle
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|<[A-Z_]+>|\bNone\b|\bnan\b|\{|\}")


def _meaning() -> Meaning:
    m = Meaning(subject="orders", subject_one="order", kind="groups")
    m.metrics = [Metric("number of orders", "count"), Metric("total amount", "total")]
    m.per = ["sales channel"]
    m.filters = [
        Cond("eq", "payment method", ("Card",), ColumnType.TEXT),
        Cond(
            "ge",
            "order date",
            ("2024-03-01",),
            ColumnType.DATE,
            vague="recent",
            note="'recent' is taken to mean an order date on or after 2024-03-01",
        ),
    ]
    m.group_filters = [Cond("ge", "number of orders", (3,), ColumnType.INTEGER)]
    m.order = Ordering("total amount", True, vague="top")
    m.limit = 5
    m.tables = ["orders"]
    return m


@pytest.mark.parametrize("style", list(PromptStyle))
def test_every_style_names_values_and_groups(style: PromptStyle) -> None:
    rng = random.Random(1)
    for _ in range(20):
        q = write_question(_meaning(), style, rng, Vocabulary())
        assert not PLACEHOLDER.search(q), q
        assert "Card" in q and "sales channel" in q and "3" in q and "5" in q, q
        if style is not S.INFORMAL:
            assert "2024-03-01" in q, q


def test_style_shapes() -> None:
    rng = random.Random(2)
    for _ in range(30):
        assert write_question(_meaning(), S.DIRECT, rng, Vocabulary()).endswith("?")
        assert write_question(_meaning(), S.IMPERATIVE, rng, Vocabulary()).endswith(".")
        conv = write_question(_meaning(), S.CONVERSATIONAL, rng, Vocabulary())
        assert classify_prompt_style(conv) is S.CONVERSATIONAL, conv
        terse = write_question(_meaning(), S.TERSE, rng, Vocabulary())
        assert "?" not in terse and "the " not in terse.split(" by ")[0][:20]
        informal = write_question(_meaning(), S.INFORMAL, rng, Vocabulary())
        assert "recent" in informal and "2024-03-01" not in informal


def test_vague_words_are_explained_only_for_the_informal_style() -> None:
    rng = random.Random(3)
    vague = explain(_meaning(), rng, vague=True)
    plain = explain(_meaning(), rng, vague=False)
    assert "'recent' is taken to mean" in vague and "'top' means" in vague
    assert "taken to mean" not in plain
    assert 1 <= vague.count(". ") + 1 <= 5


def test_questions_vary_across_seeds_and_styles(engine: TemplateEngine) -> None:
    blueprints = random_blueprints(200, seed=41)
    questions = [engine.generate(bp, seed=i).question for i, bp in enumerate(blueprints)]
    assert len(set(questions)) / len(questions) > 0.97
    bp = Blueprint(
        domain="retail", num_tables=2, join_kind=JoinKind.INNER, task_type=TaskType.ANALYTICS
    )
    by_style = {
        s: engine.generate(bp.model_copy(update={"prompt_style": s}), seed=5).question
        for s in PromptStyle
    }
    assert len(set(by_style.values())) == len(PromptStyle)
    same_plan = {engine.generate(bp, seed=s).question for s in range(30)}
    assert len(same_plan) >= 28


def test_generated_words_have_no_placeholders(engine: TemplateEngine) -> None:
    for i, bp in enumerate(random_blueprints(200, seed=42)):
        draft = engine.generate(bp, seed=i)
        assert not PLACEHOLDER.search(draft.question), draft.question
        assert not PLACEHOLDER.search(draft.explanation), draft.explanation
        assert len(draft.question.split()) >= 3 and len(draft.explanation.split()) >= 5
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", draft.explanation) if s]
        assert 1 <= len(sentences) <= 4, draft.explanation


def test_filter_literals_appear_in_the_question(engine: TemplateEngine) -> None:
    """Every text literal of the SQL is named, in the question or, for a band's labels, in the
    evidence that defines the band (dates may be named by their year)."""
    missing: collections.Counter[str] = collections.Counter()
    checked = 0
    for i, bp in enumerate(random_blueprints(200, seed=43)):
        if bp.prompt_style is S.INFORMAL:
            continue
        draft = engine.generate(bp, seed=i)
        for literal in re.findall(r"'((?:[^']|'')*)'", draft.sql):
            value = literal.replace("''", "'")
            checked += 1
            if value in draft.question or f"'{value}'" in draft.evidence:
                continue
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and (
                value[:4] in draft.question or str(int(value[:4]) - 1) in draft.question
            ):
                continue
            missing[value] += 1
    assert checked > 300
    assert sum(missing.values()) / checked < 0.02, missing.most_common(10)


def test_informal_questions_use_vague_words_with_a_stated_meaning(engine: TemplateEngine) -> None:
    explained = 0
    for i, bp in enumerate(random_blueprints(300, seed=44)):
        bp = bp.model_copy(update={"prompt_style": S.INFORMAL})
        draft = engine.generate(bp, seed=i)
        words = re.findall(r"'([a-z -]+)' (?:is taken to mean|means)", draft.explanation)
        for word in words:
            assert word in draft.question, (word, draft.question)
        explained += bool(words)
    assert explained > 50
