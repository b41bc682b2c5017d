"""Share of a seed set's columns whose declared type the seeded fixture keeps.

    python bench/seeded_values/types_kept.py SEEDS_FILE [SEEDS_FILE ...]

For every database of the seeds file (Spider `dev.json` with its `tables.json`, BIRD mini-dev's
`mini_dev_sqlite.json` with its schema files and metadata), the seed schema is converted the way
a seeded run converts it (`domain_from_ddl`, the database's gold queries as example SQL; the
ingest scrub is skipped, it changes values, not types) and each column's declared type, as
sqlglot prints it, is compared with the type the fixture's DDL declares. Counted apart: plain
columns (not the table's key nor a link to another table) and key/link columns. Lists the most
frequent differences.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from shared.datasets.loader import load_dataset
from shared.errors import GenerationError
from shared.generation.template.schema.schema_model import Domain
from shared.generation.template.seed.from_ddl import domain_from_ddl
from shared.generation.template.seed.seed_parse import parse_ddl


def _same(left: str, right: str) -> bool:
    return left.replace("INTEGER", "INT") == right.replace("INTEGER", "INT")


def _fixture_types(domain: Domain) -> dict[tuple[str, str], str]:
    """Declared types of the fixture's DDL, read back the way the seed's are."""
    from shared.generation.template.schema.ddl import render_ddl

    return {
        (t.name.lower(), c.name.lower()): c.declared
        for t in parse_ddl(render_ddl(domain)).tables
        for c in t.columns
    }


def measure(path: Path) -> dict[str, object]:
    by_db: dict[str, tuple[str, list[str]]] = {}
    queries: dict[str, list[str]] = defaultdict(list)
    for record in load_dataset(path):
        db = record.db_id or "seed"
        by_db.setdefault(db, (record.schema_ddl or "", []))
        queries[db].append(record.sql)
    plain = Counter[str]()
    keys = Counter[str]()
    diffs = Counter[str]()
    for db, (ddl, _) in sorted(by_db.items()):
        try:
            domain = domain_from_ddl(ddl, name=db, example_sql=queries[db])
        except GenerationError:
            plain["unconverted databases"] += 1
            continue
        kept = _fixture_types(domain)
        for table in parse_ddl(ddl).tables:
            try:
                built = domain.table(table.name)
            except KeyError:
                continue
            links = {fk.column.lower() for fk in built.foreign_keys}
            for column in table.columns:
                where = (table.name.lower(), column.name.lower())
                if where not in kept:
                    continue
                keyed = column.name.lower() == built.primary_key.lower() or where[1] in links
                counter = keys if keyed else plain
                counter["checked"] += 1
                if _same(column.declared, kept[where]):
                    counter["equal"] += 1
                else:
                    diffs[f"{'key ' if keyed else ''}{column.declared} -> {kept[where]}"] += 1
    return {
        "seeds": str(path),
        "databases": len(by_db),
        "plain_columns_kept": f"{plain['equal']}/{plain['checked']}"
        f" ({100 * plain['equal'] / max(plain['checked'], 1):.1f}%)",
        "key_columns_kept": f"{keys['equal']}/{keys['checked']}"
        f" ({100 * keys['equal'] / max(keys['checked'], 1):.1f}%)",
        "differences": diffs.most_common(10),
    }


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(json.dumps(measure(Path(argument)), indent=2))
