"""A text order that letter case decides is fragile: MariaDB's default collation ignores case,
SQLite's and PostgreSQL's C collation do not (a LIMIT 1 over operating systems picked "RHEL 9" on
two engines and "macOS 14" on the third)."""

from __future__ import annotations

import pytest

from shared.generation.template.evaluation.eval_types import Fragile, sort_positions


def test_mixed_case_text_whose_order_depends_on_case_is_fragile() -> None:
    keys = [("macOS 14",), ("RHEL 9",), ("Ubuntu 22.04",)]
    with pytest.raises(Fragile, match="letter case"):
        sort_positions(keys, [False], None)


def test_text_that_sorts_the_same_either_way_is_not() -> None:
    keys = [("macOS 14",), ("zsh",), ("Debian 12",)]  # same order with and without case
    assert sort_positions(keys, [False], None) == [2, 0, 1]
    assert sort_positions([("b",), ("a",)], [True], None) == [0, 1]
