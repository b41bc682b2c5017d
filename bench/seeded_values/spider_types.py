"""Share of a Spider-seeded run's non-key columns declared as Spider's `tables.json` says.

    python bench/seeded_values/spider_types.py RUN_DIR [TABLES_JSON]

Each record's fixture DDL (`sql_context`) is compared column by column with the database's DDL
as `render_spider_ddl` writes it from `tables.json` (the comparison of `trace.py` for BIRD).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from bench.seeded_values.trace import _compare_types
from shared.datasets.spider import render_spider_ddl

TABLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "spider" / "tables.json"


def main(run: Path, tables_path: Path) -> None:
    tables = {t["db_id"]: t for t in json.loads(tables_path.read_text())}
    diffs: Counter[str] = Counter()
    checked = equal = 0
    for line in (run / "dataset.jsonl").open():
        record = json.loads(line)
        db = record["domain"].removeprefix("seed_")
        if db not in tables:
            continue
        found, same = _compare_types(render_spider_ddl(tables[db]), record["sql_context"], diffs)
        checked, equal = checked + found, equal + same
    share = f" ({equal / checked:.1%})" if checked else ""
    print(f"declared as tables.json: {equal}/{checked}{share}; differences: {diffs.most_common(5)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else TABLES)
