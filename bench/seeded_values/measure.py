"""Seeded-run fixtures against the real BIRD schema (issue 17): types and text values.

    python bench/seeded_values/measure.py RUN_DIR [BIRD_DIR]

Type correctness: each fixture column's type class (text, integer, real, date) against the
class of the same column in BIRD's schema file (`schemas/<db>.sql`). A text cell is *traced*
when it is one of the column's real example values (BIRD's schema comments), a literal of the
seeds' SQL, or a value of a kind a fake-data library fills (dates, times, codes are not text
cells here); every other text cell is counted as a placeholder.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import sqlglot
from sqlglot import exp

CLASSES = {
    "TEXT": "text",
    "VARCHAR": "text",
    "CHAR": "text",
    "NVARCHAR": "text",
    "INT": "integer",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "SMALLINT": "integer",
    "REAL": "real",
    "DOUBLE": "real",
    "FLOAT": "real",
    "DECIMAL": "real",
    "NUMERIC": "real",
    "DATE": "date",
    "DATETIME": "date",
    "TIMESTAMP": "date",
}


def type_class(dtype: str) -> str:
    return CLASSES.get(dtype.upper().split("(")[0].strip(), dtype.lower())


def read_types(ddl: str) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for tree in sqlglot.parse(ddl, read="sqlite"):
        if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
            continue
        table = tree.this.this.name.lower()
        for col in tree.this.expressions:
            if isinstance(col, exp.ColumnDef) and col.args.get("kind") is not None:
                found[(table, col.name.lower())] = type_class(col.args["kind"].sql("sqlite"))
    return found


def literals(text: str) -> set[str]:
    return {m for m in re.findall(r"'([^'\n]{1,80})'", text)}


def measure(run: Path, bird: Path) -> dict[str, object]:
    real_types: dict[str, dict[tuple[str, str], str]] = {}
    checked = right = 0
    wrong: Counter[str] = Counter()
    cells = placeholders = 0
    examples: Counter[str] = Counter()
    for line in (run / "dataset.jsonl").open():
        record = json.loads(line)
        db = record["domain"].removeprefix("seed_")
        schema_file = bird / "schemas" / f"{db}.sql"
        if not schema_file.exists():
            continue
        ddl = schema_file.read_text()
        types = real_types.setdefault(db, read_types(ddl))
        props = record.get("properties", {})
        sources = literals(ddl) | {v for s in props.get("seed_examples", []) for v in literals(s)}
        context = record["sql_context"]
        statements = sqlglot.parse(context, read="sqlite")
        fixture_types: dict[tuple[str, str], str] = {}
        for tree in statements:
            if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Schema):
                table = tree.this.this.name.lower()
                for col in tree.this.expressions:
                    if isinstance(col, exp.ColumnDef) and col.args.get("kind") is not None:
                        key = (table, col.name.lower())
                        fixture_types[key] = type_class(col.args["kind"].sql("sqlite"))
                        if key in types:
                            checked += 1
                            if types[key] == fixture_types[key]:
                                right += 1
                            else:
                                wrong[
                                    f"{db}.{key[0]}.{key[1]}: {types[key]} -> {fixture_types[key]}"
                                ] += 1
            elif isinstance(tree, exp.Insert):
                table = tree.this.this.name.lower() if isinstance(tree.this, exp.Schema) else ""
                names = (
                    [c.name.lower() for c in tree.this.expressions]
                    if isinstance(tree.this, exp.Schema)
                    else []
                )
                for row in tree.expression.expressions:
                    for name, cell in zip(names, row.expressions, strict=False):
                        if not (isinstance(cell, exp.Literal) and cell.is_string):
                            continue
                        if fixture_types.get((table, name)) != "text":
                            continue
                        cells += 1
                        value = cell.this
                        if value not in sources and not re.fullmatch(r"[\d:\- .]+", value):
                            placeholders += 1
                            examples[value] += 1
    return {
        "type_columns_checked": checked,
        "type_class_correct": round(right / checked, 3) if checked else None,
        "wrong_types": wrong.most_common(8),
        "text_cells": cells,
        "untraced_text_share": round(placeholders / cells, 3) if cells else None,
        "untraced_examples": [v for v, _ in examples.most_common(12)],
    }


if __name__ == "__main__":
    run_dir = Path(sys.argv[1])
    bird_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("../shared/data/bird_minidev")
    print(json.dumps(measure(run_dir, bird_dir), indent=1))
