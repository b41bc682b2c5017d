"""Sense-check findings of a run: rejections by class and cause, warnings on accepted records.

    python bench/seeded_values/sense_summary.py RUN_DIR [RUN_DIR ...]

Rejected samples (`rejected.jsonl`) are grouped by error class and the first words of their
reason (a sense error names its check); accepted records (`dataset.jsonl`) by the sense findings
the validator left on them (`validation.sense.findings`: check and severity).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path


def _cause(error_class: str, reason: str) -> str:
    """The check or builder cause that rejected a sample, without its particulars."""
    checks = re.findall(r"\[(\w+)\] (\w+):", reason)
    if checks:
        return ", ".join(dict.fromkeys(f"{c}: {n}" for c, n in checks))
    builder = re.search(r"attempts: ([a-z ]+)", reason)
    if builder:
        return f"{error_class}: {builder.group(1).strip()}"
    kinds = re.findall(r"\[(\w+)\]", reason)
    return f"{error_class}: " + (", ".join(dict.fromkeys(kinds)) or reason[:60])


def summarise(run: Path) -> dict[str, object]:
    accepted = 0
    findings: Counter[str] = Counter()
    records_with: Counter[str] = Counter()
    for line in (run / "dataset.jsonl").open():
        record = json.loads(line)
        accepted += 1
        sense = (record.get("validation") or {}).get("sense") or {}
        seen: set[str] = set()
        for finding in sense.get("findings") or []:
            key = f"{finding.get('severity')}:{finding.get('check')}"
            findings[key] += 1
            seen.add(key)
        records_with.update(seen)
    rejected: Counter[str] = Counter()
    path = run / "rejected.jsonl"
    for line in path.open() if path.is_file() else []:
        record = json.loads(line)
        rejected[_cause(str(record.get("error_class")), str(record.get("reason") or ""))] += 1
    return {
        "run": str(run),
        "accepted": accepted,
        "rejected": sum(rejected.values()),
        "rejected_by_cause": rejected.most_common(),
        "accepted_records_with_finding": records_with.most_common(),
    }


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(json.dumps(summarise(Path(arg)), indent=1))
