"""SQL-Factory's hybrid similarity: its three terms and their weights."""

from __future__ import annotations

import pytest

from shared.similarity.hybrid import (
    HybridWeights,
    ast_bound,
    ast_similarity,
    cheap_bound,
    describe_sql,
    hybrid_similarity,
    sql_tokens,
    token_sort_similarity,
)

BASE = "SELECT name FROM singer WHERE age > 30 ORDER BY name"


def test_the_score_is_the_weighted_sum_of_its_terms() -> None:
    a, b = describe_sql(BASE), describe_sql("SELECT name FROM singer WHERE age > 40")
    score = hybrid_similarity(a, b, cosine=0.8)
    expected = 0.6 * score.token + 0.3 * score.ast + 0.1 * 0.8
    assert score.total == pytest.approx(expected)
    assert score.embedding == 0.8
    weighted = hybrid_similarity(a, b, cosine=0.8, weights=HybridWeights(1, 0, 0))
    assert weighted.total == pytest.approx(score.token)


def test_weights_that_do_not_sum_to_one_are_normalised() -> None:
    assert HybridWeights(6, 3, 1).normalised() == pytest.approx(HybridWeights())
    with pytest.raises(ValueError):
        HybridWeights(0, 0, 0).normalised()


def test_token_sort_ignores_case_spacing_and_order_but_not_operators() -> None:
    same = describe_sql("select NAME   from singer where age > 30 order by name")
    assert token_sort_similarity(describe_sql(BASE), same) == 1.0
    flipped = describe_sql(BASE.replace(">", "<"))
    assert token_sort_similarity(describe_sql(BASE), flipped) < 1.0
    assert sql_tokens("SELECT 'Paris'") == ["select", "'Paris'"]


def test_a_literal_variant_scores_above_a_different_query() -> None:
    base = describe_sql(BASE)
    variant = hybrid_similarity(base, describe_sql(BASE.replace("30", "45")), cosine=0.97)
    other = hybrid_similarity(
        base, describe_sql("SELECT country, COUNT(*) FROM concert GROUP BY country"), cosine=0.6
    )
    assert variant.total > other.total
    assert variant.ast > other.ast and variant.token > other.token


def test_unparsable_sql_keeps_its_tokens_and_scores_zero_on_structure() -> None:
    broken = describe_sql("SELEC name FRM singer WHERE")
    assert broken.tree is None
    assert ast_similarity(broken, describe_sql(BASE)) == 0.0
    assert token_sort_similarity(broken, describe_sql(BASE)) > 0.0


@pytest.mark.parametrize(
    "other",
    [
        BASE.replace("30", "45"),
        "SELECT name, age FROM singer WHERE age > 30",
        "SELECT country, COUNT(*) FROM singer GROUP BY country",
        "SELECT s.name FROM singer AS s JOIN concert AS c ON s.id = c.singer_id",
    ],
)
def test_the_cheap_bound_never_underestimates(other: str) -> None:
    a, b = describe_sql(BASE), describe_sql(other)
    assert ast_bound(a, b) >= ast_similarity(a, b)
    weights = HybridWeights()
    assert cheap_bound(a, b, 0.7, weights) >= hybrid_similarity(a, b, 0.7, weights).total
