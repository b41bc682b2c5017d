"""The rule-based prompt-style classifier, on DataFramer's examples and the cases its rules name."""

from __future__ import annotations

import pytest

from proto.common import PromptStyle
from shared.spec.prompt_style import classify_prompt_style

# DataFramer's six examples first, then one more per rule.
CASES = [
    ("What is the average delivery time for orders in Q3?", PromptStyle.DIRECT),
    ("List all products with inventory below threshold", PromptStyle.IMPERATIVE),
    ("Can you show me which customers haven't ordered recently?", PromptStyle.CONVERSATIONAL),
    ("total sales by region 2024", PromptStyle.TERSE),
    (
        "Find the top 5 suppliers by volume and also show their average lead time grouped by "
        "category",
        PromptStyle.MULTI_PART,
    ),
    ("what are the best performing stores lately", PromptStyle.INFORMAL),
    ("How many flights left Boston in May", PromptStyle.DIRECT),
    ("Which drivers completed more than ten trips?", PromptStyle.DIRECT),
    ("Show the name of every museum opened after 1990.", PromptStyle.IMPERATIVE),
    ("Delete the tickets of cancelled events.", PromptStyle.IMPERATIVE),
    ("I'd like to see the members who joined in March", PromptStyle.CONVERSATIONAL),
    ("Could you list the open legal cases?", PromptStyle.CONVERSATIONAL),
    ("Please show the record formats of orchestras.", PromptStyle.CONVERSATIONAL),
    ("Who is the oldest singer? List the name and age.", PromptStyle.MULTI_PART),
    # A question mark after a value or a space still ends the first ask (Spider dev).
    ("What is the airport name for airport 'AKO'? List the city.", PromptStyle.MULTI_PART),
    ("Which dogs cost more than 1000 ? List the dog names .", PromptStyle.MULTI_PART),
    ("List the ships and show their home ports", PromptStyle.MULTI_PART),
    ("Count the patients; also give their average age", PromptStyle.MULTI_PART),
    ("Which are the top stores around here?", PromptStyle.INFORMAL),
    ("which games are popular these days", PromptStyle.INFORMAL),
    ("average salary per department", PromptStyle.TERSE),
    (
        "Revenue of each store in the third quarter of 2023 compared by region.",
        PromptStyle.IMPERATIVE,
    ),
]


@pytest.mark.parametrize(("question", "style"), CASES)
def test_classifies_each_style(question: str, style: PromptStyle) -> None:
    assert classify_prompt_style(question) is style


@pytest.mark.parametrize(
    "question",
    [
        "What are the top 3 genres by song count?",  # "top N" names a number: not vague
        "What is the launch date of the most recent satellite?",  # a precise superlative
        "Which products have a best-before date in June?",  # a compound, not "best"
    ],
)
def test_precise_wording_is_not_informal(question: str) -> None:
    assert classify_prompt_style(question) is PromptStyle.DIRECT


def test_second_noun_after_and_is_not_a_second_ask() -> None:
    # "order" and "name" are verbs elsewhere; after "and" here they are nouns.
    assert classify_prompt_style("List the customer and order date") is PromptStyle.IMPERATIVE
    assert classify_prompt_style("Show the city and name of each hotel") is PromptStyle.IMPERATIVE


@pytest.mark.parametrize("text", ["", "   ", "?!"])
def test_empty_text_has_no_style(text: str) -> None:
    assert classify_prompt_style(text) is None
