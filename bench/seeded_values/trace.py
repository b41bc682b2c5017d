"""Where every text cell of a seeded run's fixtures comes from, by each record's `value_sources`.

    python bench/seeded_values/trace.py RUN_DIR [BIRD_DIR]

A text cell (a string literal in a fixture INSERT, dates and times excluded) is counted under
the first that holds:
- key: a text key or link (recorded `key`) holding a generated key code ('BRE07'; a key's
  real codes, 'BUL', come first and count as real);
- real: its column records a real source (database, seed_rows, seed_literals, schema_comment)
  and, when BIRD_DIR is given, the value is a quoted literal of the BIRD schema file, of the
  metadata's sample values (as the loader adds them) or of the seeds' SQL;
- faker / pattern / word_list: its column records that source (Faker for the inferred kind, a
  code pattern, a closed set the column's own word names);
- untraced: anything else (for BIRD: a value in a real-sourced column that no source holds).
`made_up` counts cells shaped like the labels the converter used to invent ('Type B',
'Card Aurora'). With BIRD_DIR it also compares each non-key column's declared type with BIRD's.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import sqlglot
from sqlglot import exp

from shared.datasets.bird_metadata import METADATA_FILE, annotate_schema, read_bird_metadata
from shared.generation.template.seed.seed_parse import parse_ddl

REAL = {"database", "seed_rows", "seed_literals", "schema_comment"}
MADE_UP = re.compile(
    r"(?i)^\S+(?: \S+)? (?:[a-e]|aurora|beacon|cedar|delta|ember|falcon|granite|harbor|iris|"
    r"juniper|kestrel|lumen|maple|nova|orion|pioneer|quartz|raven|sierra|summit|tundra|vertex|"
    r"willow|zephyr)$"
)
# A text key's generated code (rows.py: 'BRE07', 'COU12').
KEY_CODE = re.compile(r"^[A-Z]{1,3}\d{2,}X?$")
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T][\d:.]+)?$|^\d{1,2}:\d{2}(?::\d{2})?$")


def literals(text: str) -> set[str]:
    return set(re.findall(r"'([^'\n]{1,80})'", text))


def _cells(context: str) -> list[tuple[str, str, str]]:
    """(table, column, value) of every string literal the fixture inserts."""
    out: list[tuple[str, str, str]] = []
    for tree in sqlglot.parse(context, read="sqlite"):
        if not isinstance(tree, exp.Insert) or not isinstance(tree.this, exp.Schema):
            continue
        table = tree.this.this.name
        names = [c.name for c in tree.this.expressions]
        for row in tree.expression.expressions:
            for name, cell in zip(names, row.expressions, strict=False):
                if isinstance(cell, exp.Literal) and cell.is_string:
                    out.append((table, name, cell.this))
    return out


def measure(run: Path, bird: Path | None) -> dict[str, object]:
    metadata, ranges = read_bird_metadata(bird / METADATA_FILE) if bird else ({}, {})
    bird_ddl: dict[str, str] = {}
    counts: Counter[str] = Counter()
    untraced: Counter[str] = Counter()
    made_up: Counter[str] = Counter()
    types_checked = types_equal = 0
    type_diffs: Counter[str] = Counter()
    records = 0
    for line in (run / "dataset.jsonl").open():
        record = json.loads(line)
        records += 1
        sources: dict[str, list[str]] = record.get("value_sources") or {}
        db = record["domain"].removeprefix("seed_")
        known: set[str] | None = None
        if bird and (bird / "schemas" / f"{db}.sql").is_file():
            if db not in bird_ddl:
                raw = (bird / "schemas" / f"{db}.sql").read_text()
                bird_ddl[db] = annotate_schema(raw, metadata.get(db, {}), ranges.get(db, {}))
            seeds = record.get("properties", {}).get("seed_examples", [])
            known = literals(bird_ddl[db]) | {v for s in seeds for v in literals(s)}
            t, e = _compare_types(bird_ddl[db], record["sql_context"], type_diffs)
            types_checked, types_equal = types_checked + t, types_equal + e
        for table, column, value in _cells(record["sql_context"]):
            if DATE_LIKE.match(value):
                continue
            recorded = set(sources.get(f"{table}.{column}", []))
            if MADE_UP.match(value):
                made_up[f"{table}.{column}={value}"] += 1
            if "key" in recorded and KEY_CODE.match(value):
                # A generated code in a text key whose first codes are real (real_key_codes).
                counts["key"] += 1
            elif recorded & REAL and (known is None or value in known):
                counts["real"] += 1
            elif "faker" in recorded:
                counts["faker"] += 1
            elif "pattern" in recorded:
                counts["pattern"] += 1
            elif "word_list" in recorded:
                counts["word_list"] += 1
            elif "key" in recorded and KEY_CODE.match(value):
                counts["key"] += 1
            else:
                counts["untraced"] += 1
                untraced[f"{table}.{column}={value}"] += 1
    cells = sum(counts.values())
    return {
        "records": records,
        "text_cells": cells,
        "by_source": {k: f"{v} ({v / cells:.1%})" for k, v in counts.most_common()},
        "untraced_examples": untraced.most_common(8),
        "made_up_cells": sum(made_up.values()),
        "made_up_examples": made_up.most_common(8),
        "declared_types_equal": f"{types_equal}/{types_checked}" if types_checked else None,
        "type_differences": type_diffs.most_common(8),
    }


def _compare_types(bird_ddl: str, context: str, diffs: Counter[str]) -> tuple[int, int]:
    """Non-key columns whose declared type (as sqlglot prints it) is BIRD's."""
    real = {
        (t.name.lower(), c.name.lower()): c.declared
        for t in parse_ddl(bird_ddl).tables
        for c in t.columns
    }
    checked = equal = 0
    for table in parse_ddl(context.split("INSERT INTO", 1)[0]).tables:
        for column in table.columns:
            key = (table.name.lower(), column.name.lower())
            if key not in real or column.primary or column.name.lower().endswith("id"):
                continue
            checked += 1
            if column.declared.replace("INTEGER", "INT") == real[key].replace("INTEGER", "INT"):
                equal += 1
            else:
                diffs[f"{real[key]} -> {column.declared}"] += 1
    return checked, equal


if __name__ == "__main__":
    bird_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    print(json.dumps(measure(Path(sys.argv[1]), bird_dir), indent=2))
