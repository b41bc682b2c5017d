"""The dataset writer: each sample id written exactly once, run status rebuilt from the files.

Files are the source of truth. On start the writer drops a torn last line (a crash mid-write),
reloads the ids it has written, and recounts every run, so a redelivered message is skipped and
the counts are right after any crash.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from proto.common import Outcome, Stage
from proto.run import RunStatus
from proto.sample import SampleEnvelope, TokenCost, utc_now
from shared.pipeline.records import dataset_record, rejected_record
from shared.pipeline.saturation import SaturationMonitor

FILES: dict[Outcome, str] = {
    Outcome.ACCEPTED: "dataset.jsonl",
    Outcome.DUPLICATE: "duplicates.jsonl",
    Outcome.REJECTED: "rejected.jsonl",
}
POISON_FILE = "poison.jsonl"


def drop_torn_tail(path: Path) -> None:
    """Truncate after the last newline: a partial line can only come from a crash mid-write."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as handle:
        data = handle.read()
        if data.endswith(b"\n"):
            return
        handle.truncate(data.rfind(b"\n") + 1)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def finished_at(record: dict[str, Any]) -> datetime:
    """When a written sample finished: its last history entry's time (records spell it
    "+00:00", envelopes "Z": compared as datetimes, not text)."""
    history = record.get("history") or (record.get("envelope") or {}).get("history") or []
    try:
        return datetime.fromisoformat(str(history[-1]["at"])) if history else EPOCH
    except (KeyError, ValueError):
        return EPOCH


class DatasetSink:
    def __init__(
        self, out_dir: Path, fsync: bool = False, saturation: SaturationMonitor | None = None
    ) -> None:
        self.out_dir = out_dir
        self.fsync = fsync
        self.saturation = saturation or SaturationMonitor()
        self.seen: set[tuple[str, str]] = set()
        self.status: dict[str, RunStatus] = {}
        self.handles: dict[str, TextIO] = {}

    def open(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        written: list[tuple[datetime, Outcome, dict[str, Any]]] = []
        for outcome, name in FILES.items():
            path = self.out_dir / name
            drop_torn_tail(path)
            if path.exists():
                with path.open() as handle:
                    written += [(finished_at(r), outcome, r) for r in map(json.loads, handle)]
            self.handles[name] = path.open("a", encoding="utf-8")
        # Recount in the order samples finished, so the saturation windows are the ones the
        # sink had before it restarted.
        for _, outcome, record in sorted(written, key=lambda item: item[0]):
            self._count(outcome, record)
        for run_id, status in self.status.items():  # summarised once, not per recounted line
            status.saturation = self.saturation.snapshot(run_id)
        drop_torn_tail(self.out_dir / POISON_FILE)
        self.handles[POISON_FILE] = (self.out_dir / POISON_FILE).open("a", encoding="utf-8")

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()

    def ensure_run(self, run_id: str, target: int) -> RunStatus:
        status = self.status.get(run_id)
        if status is None:
            status = self.status[run_id] = RunStatus(run_id=run_id, target=target)
        elif target and not status.target:
            status.target = target
        return status

    def write(self, outcome: Outcome, envelope: SampleEnvelope) -> RunStatus | None:
        """Append the sample to its file; None if this sample id was already written."""
        if (envelope.run_id, envelope.sample_id) in self.seen:
            return None
        record = (
            dataset_record(envelope) if outcome is Outcome.ACCEPTED else rejected_record(envelope)
        )
        self._append(FILES[outcome], record)
        status = self._count(outcome, record)
        status.saturation = self.saturation.snapshot(envelope.run_id)
        return status

    def write_poison(self, body: bytes, headers: dict[str, str]) -> None:
        self._append(
            POISON_FILE,
            {
                "at": utc_now().isoformat(),
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
            },
        )

    def _append(self, name: str, record: dict[str, Any]) -> None:
        handle = self.handles[name]
        handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        handle.flush()
        if self.fsync:
            os.fsync(handle.fileno())

    def _count(self, outcome: Outcome, record: dict[str, Any]) -> RunStatus:
        run_id, sample_id = record["run_id"], record["id"]
        self.seen.add((run_id, sample_id))
        status = self.ensure_run(run_id, 0)
        cost = record["cost"] if outcome is Outcome.ACCEPTED else record["envelope"]["cost"]
        status.cost = status.cost.add(TokenCost.model_validate(cost))
        if outcome is Outcome.ACCEPTED:
            status.accepted += 1
            history = record.get("history", [])
        else:
            history = record["envelope"].get("history", [])
            if outcome is Outcome.DUPLICATE:
                status.duplicate += 1
            else:
                status.rejected += 1
                key = record.get("error_class") or "unknown"
                status.rejection_reasons[key] = status.rejection_reasons.get(key, 0) + 1
        count_sense(status, outcome, record)
        self.saturation.observe_record(outcome.value, record)
        stages = [f"{h['stage']}.{h['outcome']}" for h in history]
        counts = Counter(status.stages)
        counts.update(stages)
        status.stages = dict(counts)
        status.updated_at = utc_now()
        return status


def count_sense(status: RunStatus, outcome: Outcome, record: dict[str, Any]) -> None:
    """Sense counters by check, from a written record (so a restarted sink recounts them):
    failures sent to repair, the checks that still failed a rejected sample, and the findings
    (warnings) an accepted record keeps."""
    envelope = record.get("envelope") or {}
    history = record.get("history") if outcome is Outcome.ACCEPTED else envelope.get("history")
    last_failure: list[str] = []
    entries = list(history or [])
    for index, entry in enumerate(entries):
        names = sorted(set(entry.get("checks") or []))
        if not names:
            continue
        after = [e for e in entries[index + 1 :] if e.get("stage") == Stage.REVISER.value]
        repaired = bool(after) and after[0].get("outcome") == Outcome.REPAIRED.value
        if repaired:
            _bump(status.sense_repaired, names)
        last_failure = [] if repaired else names
    if outcome is Outcome.REJECTED and last_failure:
        _bump(status.sense_rejected, last_failure)
    validation = record.get("validation") if outcome is Outcome.ACCEPTED else None
    sense = (validation or {}).get("sense")
    if sense is not None:
        status.sense_checked += 1
        _bump(status.sense_warnings, sorted({f["check"] for f in sense.get("findings", [])}))


def _bump(counter: dict[str, int], keys: list[str]) -> None:
    for key in keys:
        counter[key] = counter.get(key, 0) + 1
