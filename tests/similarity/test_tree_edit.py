"""Zhang-Shasha against a textbook recursive oracle, on SQL trees and on random trees."""

from __future__ import annotations

import functools

import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.similarity.tree_edit import (
    LabelledTree,
    labelled_tree,
    tree_edit_distance,
    tree_similarity,
)

Tree = tuple[str, tuple["Tree", ...]]


def flatten(tree: Tree) -> LabelledTree:
    """Post-order numbering of a (label, children) tree, as labelled_tree does for sqlglot."""
    labels: list[str] = []
    leftmost: list[int] = []

    def visit(node: Tree) -> int:
        first = None
        for child in node[1]:
            index = visit(child)
            if first is None:
                first = leftmost[index]
        labels.append(node[0])
        leftmost.append(len(labels) - 1 if first is None else first)
        return len(labels) - 1

    visit(tree)
    highest = {leaf: i for i, leaf in enumerate(leftmost)}
    return LabelledTree(tuple(labels), tuple(leftmost), tuple(sorted(highest.values())))


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
    assert tree_edit_distance(flatten(left), flatten(right)) == 2 == oracle(left, right)


labels = st.sampled_from(["a", "b", "c"])
trees = st.recursive(
    st.builds(leaf, labels),
    lambda children: st.tuples(labels, st.lists(children, max_size=3).map(tuple)),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(trees, trees)
def test_matches_the_recursive_oracle_on_random_trees(a: Tree, b: Tree) -> None:
    distance = tree_edit_distance(flatten(a), flatten(b))
    assert distance == oracle(a, b)
    assert distance == tree_edit_distance(flatten(b), flatten(a))


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
