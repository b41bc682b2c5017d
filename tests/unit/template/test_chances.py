"""The query builder's chances are named in `query/chances.py`: no `random() < 0.3` in query/."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from shared.generation.template.query import chances
from shared.generation.template.query.chances import CHANCES, Chances

QUERY = Path(chances.__file__).parent


def literal_chances(source: str) -> list[int]:
    """Lines where `….random()` is compared with a number written in place."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        drawn = any(
            isinstance(s, ast.Call)
            and isinstance(s.func, ast.Attribute)
            and s.func.attr == "random"
            for s in sides
        )
        numbers = any(isinstance(s, ast.Constant) and isinstance(s.value, float) for s in sides)
        if drawn and numbers:
            found.append(node.lineno)
    return found


def test_no_query_module_draws_with_an_unnamed_chance() -> None:
    found = {
        path.name: lines
        for path in sorted(QUERY.glob("*.py"))
        if (lines := literal_chances(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_a_literal_chance_is_found() -> None:
    assert literal_chances("up = ctx.rng.random() < 0.6\nok = rng.random() < CHANCES.x\n") == [1]


def test_every_chance_is_a_probability_and_the_config_is_frozen() -> None:
    values = dataclasses.asdict(CHANCES)
    assert values and all(0.0 < p < 1.0 for p in values.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        CHANCES.price_up = 0.9  # type: ignore[misc]
    assert Chances() == CHANCES
