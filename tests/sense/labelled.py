"""The labelled evidence set (tests/fixtures/sense) as SenseInput records, with their labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from proto.common import PromptStyle
from shared.datasets.spider import render_spider_ddl
from shared.sense import Origin, SenseCheck, SenseInput

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sense"
DATA = Path(__file__).parents[2].parent / "shared" / "data"


@dataclass(frozen=True)
class Labelled:
    id: str
    source: str
    crafted: bool
    record: SenseInput
    # True/False per error-level check; None where the check cannot apply (no rows).
    labels: dict[SenseCheck, bool | None]


@cache
def _spider_tables() -> dict[str, dict[str, object]]:
    entries = json.loads((DATA / "spider" / "tables.json").read_text())
    return {entry["db_id"]: entry for entry in entries}


def _schema(schema: dict[str, str], contexts: dict[str, str]) -> str:
    if "context" in schema:
        return contexts[schema["context"]]
    if "ddl" in schema:
        return schema["ddl"]
    if "spider_db" in schema:
        return render_spider_ddl(_spider_tables()[schema["spider_db"]])
    return (DATA / "bird_minidev" / "schemas" / f"{schema['bird_db']}.sql").read_text()


@cache
def load_labelled() -> tuple[Labelled, ...]:
    contexts = json.loads((FIXTURES / "contexts.json").read_text())
    found = []
    for line in (FIXTURES / "labelled.jsonl").read_text().splitlines():
        raw = json.loads(line)
        style = raw.get("prompt_style")
        record = SenseInput(
            question=raw["question"],
            sql=raw["sql"],
            schema_ddl=_schema(raw["schema"], contexts),
            evidence=raw.get("evidence") or "",
            origin=Origin(raw["origin"]),
            planned_style=PromptStyle(style) if style else None,
        )
        labels = {SenseCheck(k): v for k, v in raw["labels"].items()}
        found.append(Labelled(raw["id"], raw["source"], raw["crafted"], record, labels))
    return tuple(found)
