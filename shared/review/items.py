"""The review queue: a run's accepted records, each with the reasons it needs a person.

Turing's HITL puts reviewers where the pipeline is least sure: disagreements first. The order is
sense-check warnings, judge objections, engine disagreements, repairs, then the rest. Sense
verdicts come from the sense-check stage when records carry them (`validation.sense`:
`{"findings": [{"check", "severity", "message"}]}`); records without one have no such finding.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

DATASET_FILE = "dataset.jsonl"


class Need(IntEnum):
    """Why a record wants a person; the value is its rank in the queue (lower first)."""

    SENSE_WARNING = 0
    JUDGE_OBJECTION = 1
    ENGINE_DISAGREEMENT = 2
    REPAIR = 3

    @property
    def slug(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    need: Need
    message: str


@dataclass(frozen=True)
class ReviewItem:
    """One record of the run with its findings; `record` is the dataset line as written."""

    record_id: str
    position: int
    record: Mapping[str, Any]
    findings: tuple[Finding, ...]

    @property
    def needs(self) -> tuple[Need, ...]:
        return tuple(sorted({f.need for f in self.findings}))

    @property
    def rank(self) -> int:
        """The most urgent need, or one past the last for records with none."""
        return min((f.need for f in self.findings), default=len(Need))

    def text(self, name: str) -> str:
        value = self.record.get(name)
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class QueueFilter:
    domain: str = ""
    style: str = ""
    complexity: str = ""
    finding: str = ""

    def admits(self, item: ReviewItem) -> bool:
        return (
            (not self.domain or item.text("domain") == self.domain)
            and (not self.style or item.text("prompt_style") == self.style)
            and (not self.complexity or item.text("complexity") == self.complexity)
            and (
                not self.finding
                or self.finding in {n.slug for n in item.needs}
                or (self.finding == "none" and not item.findings)
            )
        )


class RunNotFound(FileNotFoundError):
    """The folder is not a finished run (no dataset file)."""


def load_items(run_dir: Path) -> list[ReviewItem]:
    """The run's accepted records in file order, classified. A malformed line is an error with
    its line number: a reviewer must never silently miss a record."""
    path = run_dir / DATASET_FILE
    if not path.is_file():
        raise RunNotFound(f"{run_dir} has no {DATASET_FILE}: not a run folder")
    items: list[ReviewItem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise ValueError(f"{path}:{number}: a record needs a string id")
        items.append(
            ReviewItem(
                record_id=record["id"],
                position=len(items),
                record=record,
                findings=tuple(classify_record(record)),
            )
        )
    return items


def order_queue(items: Iterable[ReviewItem]) -> list[ReviewItem]:
    """Most urgent need first; ties keep the run's order (stable, so pages never reshuffle)."""
    return sorted(items, key=lambda item: (item.rank, item.position))


def classify_record(record: Mapping[str, Any]) -> list[Finding]:
    validation = record.get("validation")
    # The sense stage (branch `sense`, proto/sense.py) puts its verdict at validation.sense.
    sense = validation.get("sense") if isinstance(validation, dict) else None
    return [
        *_find_sense_warnings(sense or record.get("sense")),
        *_find_judge_objections(record.get("review")),
        *_find_engine_disagreements(record.get("validation")),
        *_find_repairs(record),
    ]


def _find_sense_warnings(sense: Any) -> list[Finding]:
    # The sense verdict's shape is the sense stage's; read what it plainly says and no more.
    if not sense:
        return []
    findings = sense.get("findings", []) if isinstance(sense, dict) else sense
    out: list[Finding] = []
    for finding in findings if isinstance(findings, list) else []:
        if isinstance(finding, dict):
            if finding.get("severity") == "not_applicable":
                continue
            check = finding.get("check") or finding.get("kind") or finding.get("code") or "sense"
            message = finding.get("message") or ""
            out.append(Finding(Need.SENSE_WARNING, f"{check}: {message}".rstrip(": ")))
        elif isinstance(finding, str):
            out.append(Finding(Need.SENSE_WARNING, finding))
    return out


def _find_judge_objections(review: Any) -> list[Finding]:
    if not isinstance(review, dict):
        return []
    reasons = [str(r) for r in review.get("reasons") or []]
    if review.get("verdict") == "fail" and not reasons:
        reasons = ["the judge failed the sample"]
    who = review.get("reviewer") or "judge"
    return [Finding(Need.JUDGE_OBJECTION, f"{who}: {reason}") for reason in reasons]


def _find_engine_disagreements(validation: Any) -> list[Finding]:
    if not isinstance(validation, dict):
        return []
    out = [
        Finding(
            Need.ENGINE_DISAGREEMENT,
            f"{check.get('engine')}: {check.get('error_class') or 'failed'} "
            f"{check.get('message') or ''}".strip(),
        )
        for check in validation.get("checks") or []
        if isinstance(check, dict) and check.get("ok") is False
    ]
    if validation.get("results_agree") is False:
        out.append(Finding(Need.ENGINE_DISAGREEMENT, "the engines returned different rows"))
    return out


def _find_repairs(record: Mapping[str, Any]) -> list[Finding]:
    attempts = record.get("attempts")
    if isinstance(attempts, int) and attempts > 1:
        return [Finding(Need.REPAIR, f"repaired: accepted at attempt {attempts}")]
    return []


def list_facets(items: Iterable[ReviewItem]) -> dict[str, list[str]]:
    """The values each filter can take in this run."""
    items = list(items)
    return {
        "domain": sorted({i.text("domain") for i in items} - {""}),
        "style": sorted({i.text("prompt_style") for i in items} - {""}),
        "complexity": sorted({i.text("complexity") for i in items} - {""}),
        "finding": [n.slug for n in Need] + ["none"],
    }
