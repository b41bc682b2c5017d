"""Tree edit distance over sqlglot trees (Zhang & Shasha 1989), for SQL-Factory's AST similarity.

SQL-Factory (SQL-Factory, eq. 4) scores structure as 1 - EditDist(AST(q), AST(q')) / max(|AST(q)|,
|AST(q')|) with unit costs for insert, delete and relabel. A node's label is its sqlglot class,
plus the scalar arguments that change meaning without adding a node (DESC, a join side, the
name of an identifier, the value of a literal): without them `ORDER BY x DESC` and `ORDER BY x`
would be the same tree.

Zhang-Shasha runs in O(|A| |B| min(depth, leaves)^2). The same algorithm compiled (the `edist`
package, Cython) takes ~1 ms for two median template queries (65 nodes) where the pure-Python
version here takes ~20-60 ms; `tree_edit_distance` uses the compiled one when it imports and
this one otherwise (tests check that both give the same distances). Even so the judge computes it
only for the few candidates whose upper bound can still win (shared/pipeline/near_dedup.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

try:  # the compiled Zhang-Shasha; absent (no wheel for a platform), the pure Python one runs
    from edist.ted import standard_ted as _compiled_ted
except ImportError:  # pragma: no cover - depends on the platform's wheels
    _compiled_ted = None

# Arguments that are structure-bearing scalars on some node classes; others (comments, quoting,
# sqlglot's bookkeeping) do not change what a query means.
_FLAG_ARGS = ("desc", "side", "kind", "distinct", "all", "not", "nulls_first", "is_string")
_SKIPPED_ARGS = frozenset({"comments", "quoted"})


@dataclass(frozen=True)
class LabelledTree:
    """A tree in post-order: labels, the leftmost leaf descendant of each node, the keyroots;
    and in pre-order (labels and child lists), the form the compiled implementation takes."""

    labels: tuple[str, ...]
    leftmost: tuple[int, ...]
    keyroots: tuple[int, ...]
    preorder: tuple[str, ...] = ()
    children: tuple[tuple[int, ...], ...] = ()

    @property
    def size(self) -> int:
        return len(self.labels)


def label_node(node: exp.Expr) -> str:
    """The label of one node: its class, its name or value if it is a leaf, and its flags."""
    name = type(node).__name__
    if isinstance(node, exp.Identifier | exp.Var):
        return f"{name}:{str(node.this).lower()}"
    if isinstance(node, exp.Literal):
        return f"{name}:{node.this}"
    flags = [
        f"{key}={value}"
        for key in _FLAG_ARGS
        if isinstance(value := node.args.get(key), bool | str) and value not in ("", False)
    ]
    return name + ("[" + ",".join(flags) + "]" if flags else "")


def labelled_tree(root: exp.Expr) -> LabelledTree:
    """Number `root`'s nodes in pre-order and in post-order (iteratively: deep trees must not
    hit the recursion limit)."""
    preorder: list[str] = []
    children: list[list[int]] = []
    stack: list[tuple[exp.Expr, int]] = [(root, -1)]
    while stack:
        node, parent = stack.pop()
        index = len(preorder)
        preorder.append(label_node(node))
        children.append([])
        if parent >= 0:
            children[parent].append(index)
        kids = [c for c in node.iter_expressions() if c.arg_key not in _SKIPPED_ARGS]
        stack.extend((kid, index) for kid in reversed(kids))
    return tree_from_preorder(preorder, children)


def tree_from_preorder(preorder: list[str], children: list[list[int]]) -> LabelledTree:
    """A LabelledTree from pre-order labels and child lists (node 0 is the root)."""
    labels, leftmost = _postorder(preorder, children)
    return LabelledTree(
        tuple(labels),
        tuple(leftmost),
        _keyroots(leftmost),
        tuple(preorder),
        tuple(tuple(kids) for kids in children),
    )


def _postorder(preorder: list[str], children: list[list[int]]) -> tuple[list[str], list[int]]:
    """Post-order labels and each node's leftmost leaf (as a post-order index)."""
    labels: list[str] = []
    leftmost: list[int] = []
    position: dict[int, int] = {}  # pre-order index -> post-order index
    stack: list[tuple[int, bool]] = [(0, False)] if preorder else []
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(children[node]))
            continue
        index = len(labels)
        labels.append(preorder[node])
        kids = children[node]
        leftmost.append(leftmost[position[kids[0]]] if kids else index)
        position[node] = index
    return labels, leftmost


def _keyroots(leftmost: list[int]) -> tuple[int, ...]:
    """The highest node of each distinct leftmost leaf (Zhang-Shasha's LR_keyroots)."""
    highest: dict[int, int] = {}
    for index, leaf in enumerate(leftmost):
        highest[leaf] = index
    return tuple(sorted(highest.values()))


def tree_edit_distance(a: LabelledTree, b: LabelledTree) -> int:
    """Unit-cost edit distance between two ordered labelled trees."""
    if _compiled_ted is not None and a.preorder and b.preorder:
        return int(_compiled_ted(list(a.preorder), _lists(a), list(b.preorder), _lists(b)))
    return zhang_shasha(a, b)


def _lists(tree: LabelledTree) -> list[list[int]]:
    return [list(kids) for kids in tree.children]


def zhang_shasha(a: LabelledTree, b: LabelledTree) -> int:
    """The pure-Python Zhang-Shasha over the post-order arrays."""
    if not a.size or not b.size:
        return a.size + b.size
    la, lb = a.labels, b.labels
    ma, mb = a.leftmost, b.leftmost
    tree_dist = [[0] * b.size for _ in range(a.size)]
    for i in a.keyroots:
        for j in b.keyroots:
            _forest_distance(i, j, la, lb, ma, mb, tree_dist)
    return tree_dist[a.size - 1][b.size - 1]


def _forest_distance(
    i: int,
    j: int,
    la: tuple[str, ...],
    lb: tuple[str, ...],
    ma: tuple[int, ...],
    mb: tuple[int, ...],
    tree_dist: list[list[int]],
) -> None:
    """Fill `tree_dist` for the subtrees rooted at i and j (the inner loop of Zhang-Shasha)."""
    li, lj = ma[i], mb[j]
    rows, cols = i - li + 2, j - lj + 2
    forest = [[0] * cols for _ in range(rows)]
    for x in range(1, rows):
        forest[x][0] = x
    first = forest[0]
    for y in range(1, cols):
        first[y] = y
    for x in range(1, rows):
        ix = li + x - 1
        left_x = ma[ix]
        current, previous = forest[x], forest[x - 1]
        label = la[ix]
        whole_x = left_x == li
        dist_x = tree_dist[ix]
        base = forest[left_x - li]
        # min() and range arithmetic dominate in CPython: comparisons are written out.
        for y in range(1, cols):
            jy = lj + y - 1
            value = previous[y] + 1
            other = current[y - 1] + 1
            if other < value:
                value = other
            if whole_x and mb[jy] == lj:
                other = previous[y - 1] + (label != lb[jy])
                if other < value:
                    value = other
                dist_x[jy] = value
            else:
                other = base[mb[jy] - lj] + dist_x[jy]
                if other < value:
                    value = other
            current[y] = value


def tree_similarity(a: LabelledTree, b: LabelledTree) -> float:
    """SQL-Factory eq. 4: 1 - distance / max size, in [0, 1]."""
    largest = max(a.size, b.size)
    if largest == 0:
        return 1.0
    return 1.0 - tree_edit_distance(a, b) / largest
