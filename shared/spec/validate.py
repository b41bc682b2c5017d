"""Checking and loading specs: every problem at once, in words a spec author can act on."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from shared.spec.marginals import analyse_rejection
from shared.spec.model import Spec, SpecError, Value
from shared.spec.parse import DEFAULT_SPEC_PATH, parse_document
from shared.spec.rules import RULES

# Below this acceptance, rejection sampling wastes most draws and a bounded number of tries
# fails too often (1% acceptance fails 1000 tries with probability 4e-5).
MIN_ACCEPTANCE = 0.01


def _explain(names: list[str], spec: Spec) -> str:
    reasons = {rule.name: f"rule {rule.name}: {rule.reason}" for rule in RULES}
    for c in spec.constraints:
        reasons[c.name] = f"constraint {c.name}" + (f": {c.description}" if c.description else "")
    return "; ".join(reasons.get(n, n) for n in names)


def check_semantics(spec: Spec) -> list[str]:
    """Problems only the joint distribution shows: constraints that leave nothing to draw."""
    report = analyse_rejection(spec)
    culprits = sorted(report.rejected_by, key=lambda n: -report.rejected_by[n])
    if report.acceptance <= 0:
        return [
            "constraints: no blueprint satisfies the coherence rules and constraints; "
            f"rejected by {_explain(culprits, spec)}"
        ]
    problems: list[str] = []
    if report.acceptance < MIN_ACCEPTANCE:
        problems.append(
            f"constraints: only {report.acceptance:.2%} of draws are accepted (minimum "
            f"{MIN_ACCEPTANCE:.0%}); mostly rejected by {_explain(culprits[:3], spec)}"
        )
    # One line per property and cause, listing its values that can never be drawn.
    grouped: dict[tuple[str, tuple[str, ...]], list[Value]] = {}
    for name, value, rules in report.impossible:
        grouped.setdefault((name, tuple(rules)), []).append(value)
    for (name, causes), values in grouped.items():
        shown = ", ".join(repr(v) for v in values)
        problems.append(
            f"property {name}: {shown} can never be drawn (probability > 0, but every draw "
            f"with it is rejected by {_explain(list(causes), spec)})"
        )
    return problems


def validate_spec(document: object) -> list[str]:
    """Every problem of a spec document (empty: usable). An empty document is the default."""
    if isinstance(document, Mapping) and not document:
        return []
    spec, problems = parse_document(document)
    if spec is None:
        return problems
    return check_semantics(spec)


def build_spec(document: Mapping[str, Any]) -> Spec:
    """The typed spec of a document, or SpecError listing every problem."""
    if not document:
        return default_spec()
    spec, problems = parse_document(document)
    if spec is None:
        raise SpecError(problems)
    semantic = check_semantics(spec)
    if semantic:
        raise SpecError(semantic)
    return spec


@lru_cache(maxsize=1)
def default_spec() -> Spec:
    """The shipped spec modelled on DataFramer's objectives (immutable, so cached)."""
    return load_spec(DEFAULT_SPEC_PATH)


def read_document(path: Path) -> dict[str, Any]:
    """The parsed YAML (or JSON) document of a spec file, or SpecError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([f"{path}: cannot read: {exc}"]) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError([f"{path}: not valid YAML: {exc}"]) from exc
    if not isinstance(document, dict) or not document:
        raise SpecError([f"{path}: must hold a mapping with a `properties` list"])
    return document


def load_spec(path: Path | None = None) -> Spec:
    """Read and validate a spec file; None means the shipped default spec."""
    if path is None:
        return default_spec()
    document = read_document(path)
    try:
        return build_spec(document)
    except SpecError as exc:
        raise SpecError([f"{path}: {e}" for e in exc.errors]) from None
