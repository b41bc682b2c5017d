"""Distinct schemas among a run's accepted records, and the spec check of their schema properties.

    python bench/seeded_values/distinct_records.py RUN_DIR

Distinct as issue 17 defines it: the set of (table, column, type) after case-folding names,
types without their lengths (VARCHAR(40) = VARCHAR(80)); read from each record's `sql_context`
(the DDL before the rows). Also prints how many records' measured rows per table (the report's
reader, `shared/report/table_rows.py`) differ from the planner's draw.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import sqlglot
from sqlglot import exp

from shared.report.table_rows import rows_per_table


def signature(context: str) -> frozenset[tuple[str, str, str]]:
    ddl = context.split("\nINSERT INTO ", 1)[0]
    columns: set[tuple[str, str, str]] = set()
    for tree in sqlglot.parse(ddl, read="sqlite"):
        if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Schema):
            table = tree.this.this.name.lower()
            for column in tree.this.expressions:
                if isinstance(column, exp.ColumnDef):
                    kind = column.args.get("kind")
                    base = kind.this.name if kind is not None else ""
                    columns.add((table, column.name.lower(), base))
    return frozenset(columns)


def main(run: Path) -> None:
    signatures: set[frozenset[tuple[str, str, str]]] = set()
    records = differ = 0
    for line in (run / "dataset.jsonl").open():
        record = json.loads(line)
        records += 1
        signatures.add(signature(record["sql_context"]))
        planned = (record.get("properties") or {}).get("properties", {}).get("rows_per_table")
        if planned is not None and rows_per_table(record["sql_context"]) != planned:
            differ += 1
    print(f"{records} records, {len(signatures)} distinct schemas")
    print(f"rows per table measured != planned: {differ}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
