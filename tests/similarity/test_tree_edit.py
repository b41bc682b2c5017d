"""Zhang-Shasha against a textbook recursive oracle, on SQL trees and on random trees."""

from __future__ import annotations

import functools
import itertools
import json
from pathlib import Path

import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.similarity.tree_edit import (
    LabelledTree,
    labelled_tree,
    tree_edit_distance,
    tree_from_preorder,
    tree_similarity,
    zhang_shasha,
)

Tree = tuple[str, tuple["Tree", ...]]


def flatten(tree: Tree) -> LabelledTree:
    """A (label, children) tree as the pre-order lists labelled_tree builds from sqlglot."""
    labels: list[str] = []
    children: list[list[int]] = []

    def visit(node: Tree) -> int:
        index = len(labels)
        labels.append(node[0])
        children.append([])
        for child in node[1]:
            children[index].append(visit(child))
        return index

    visit(tree)
    return tree_from_preorder(labels, children)


def oracle(a: Tree, b: Tree) -> int:
    """The forest edit distance recursion on the rightmost roots (Zhang & Shasha, eq. 2)."""

    @functools.cache
    def forest(f: tuple[Tree, ...], g: tuple[Tree, ...]) -> int:
        if not f and not g:
            return 0
        if not f:
            return forest(f, g[:-1] + g[-1][1]) + 1
        if not g:
            return forest(f[:-1] + f[-1][1], g) + 1
        (vl, vc), (wl, wc) = f[-1], g[-1]
        return min(
            forest(f[:-1] + vc, g) + 1,
            forest(f, g[:-1] + wc) + 1,
            forest(vc, wc) + forest(f[:-1], g[:-1]) + (vl != wl),
        )

    return forest((a,), (b,))


def leaf(label: str) -> Tree:
    return (label, ())


def test_the_zhang_shasha_paper_example_has_distance_2() -> None:
    # f(d(a c(b)) e) and f(c(d(a b)) e): delete c, insert c above d (the paper's Figure 1).
    left: Tree = ("f", (("d", (leaf("a"), ("c", (leaf("b"),)))), leaf("e")))
    right: Tree = ("f", (("c", (("d", (leaf("a"), leaf("b"))),)), leaf("e")))
    assert oracle(left, right) == 2
    assert tree_edit_distance(flatten(left), flatten(right)) == 2
    assert zhang_shasha(flatten(left), flatten(right)) == 2


labels = st.sampled_from(["a", "b", "c"])
trees = st.recursive(
    st.builds(leaf, labels),
    lambda children: st.tuples(labels, st.lists(children, max_size=3).map(tuple)),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(trees, trees)
def test_matches_the_recursive_oracle_on_random_trees(a: Tree, b: Tree) -> None:
    distance = zhang_shasha(flatten(a), flatten(b))
    assert distance == oracle(a, b)
    assert distance == zhang_shasha(flatten(b), flatten(a))
    assert distance == tree_edit_distance(flatten(a), flatten(b))  # compiled, when installed


def test_compiled_and_pure_python_agree_on_spider_queries(data_dir: Path) -> None:
    pytest.importorskip("edist")
    queries = [row["query"] for row in json.loads((data_dir / "spider" / "dev.json").read_text())]
    trees = [labelled_tree(sqlglot.parse_one(q)) for q in queries[::40]]
    for a, b in itertools.combinations(trees[:12], 2):
        assert tree_edit_distance(a, b) == zhang_shasha(a, b)


def test_identical_queries_have_similarity_one_and_others_less() -> None:
    query = labelled_tree(sqlglot.parse_one("SELECT name FROM singer WHERE age > 30"))
    again = labelled_tree(sqlglot.parse_one("select NAME from SINGER where AGE > 30"))
    other = labelled_tree(sqlglot.parse_one("SELECT country, COUNT(*) FROM singer GROUP BY 1"))
    assert tree_similarity(query, again) == 1.0
    assert 0.0 <= tree_similarity(query, other) < 1.0


def test_flags_are_part_of_the_label() -> None:
    """DESC and a join side are not nodes in sqlglot, but they change the query."""
    asc = labelled_tree(sqlglot.parse_one("SELECT a FROM t ORDER BY a LIMIT 1"))
    desc = labelled_tree(sqlglot.parse_one("SELECT a FROM t ORDER BY a DESC LIMIT 1"))
    inner = labelled_tree(sqlglot.parse_one("SELECT a FROM t JOIN u ON t.id = u.id"))
    left = labelled_tree(sqlglot.parse_one("SELECT a FROM t LEFT JOIN u ON t.id = u.id"))
    assert tree_edit_distance(asc, desc) == 1
    assert tree_edit_distance(inner, left) == 1


def test_deep_trees_do_not_hit_the_recursion_limit() -> None:
    sql = "SELECT " + "(" * 400 + "1" + ")" * 400
    tree = labelled_tree(sqlglot.parse_one(sql))
    assert tree.size > 1
    assert tree_edit_distance(tree, tree) == 0
