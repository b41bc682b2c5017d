"""`sqlsynth dedup FILE`: remove near-duplicates from any dataset (Gretel, Spider, BIRD, ours).

The same three layers as the dedup service (shared/pipeline/near_dedup.py), over the rows in
file order: a row is kept unless an earlier kept row of the same schema is an exact, question or
SQL near-duplicate of it. The schema scope is the row's `db_id` when it has one, else a hash of
its `sql_context`. Kept rows are written unchanged: JSONL lines byte for byte, items of a JSON
array file as one JSON object per line, CSV rows under the original header; an --out ending in
.json gets a JSON array of the same objects. Rows that cannot be read are reported, not written.
"""

from __future__ import annotations

import asyncio
import csv
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from services.cli.common import (
    dataset_options,
    make_progress,
    open_dataset,
    print_json,
    stderr_console,
)
from shared.datasets import DatasetError, DatasetFormat, DatasetRecord, LoadError
from shared.pipeline.dedup import MemoryClaimStore, short_hash
from shared.similarity.embedders import (
    DEFAULT_EMBEDDER,
    EMBEDDERS,
    STATIC,
    distilled_model_dir,
    load_embedder,
)
from shared.similarity.locks import MemoryScopeLock
from shared.sql.dialects import sqlglot_dialect

if TYPE_CHECKING:
    # qdrant-client takes seconds to import; every `sqlsynth` subcommand imports this module.
    from shared.pipeline.near_dedup import (
        Candidate,
        Judgement,
        NearDedupConfig,
        NearDuplicateJudge,
    )

ARRAY_FORMATS = {DatasetFormat.SPIDER, DatasetFormat.BIRD, DatasetFormat.JSON}
EMBED_BATCH = 512
RUN_ID = "dedup"


@dataclass
class DedupRun:
    records: list[DatasetRecord]
    judgements: list[Judgement] = field(default_factory=list)
    scopes: int = 0
    elapsed_s: float = 0.0

    def kept(self) -> list[DatasetRecord]:
        return [r for r, j in zip(self.records, self.judgements, strict=True) if not j.duplicate]


def record_scope(record: DatasetRecord) -> str:
    if record.db_id:
        return f"db:{record.db_id}"
    return f"ctx:{short_hash(record.schema_ddl or '')}"


def candidate_of_record(index: int, record: DatasetRecord) -> Candidate:
    from shared.pipeline.near_dedup import Candidate

    dialect = sqlglot_dialect(record.sql_dialect) if record.sql_dialect else "sqlite"
    scope = record_scope(record)
    return Candidate(
        # Row position, not the row's id: ids repeat in real files, positions do not.
        sample_id=str(index),
        run_id=RUN_ID,
        scope=short_hash(scope),
        sql=record.sql,
        dialect=dialect,
        question=record.question or None,
        schema_label=scope,
    )


async def judge_records(
    run: DedupRun, model: str, config: NearDedupConfig, console: Console, show: bool
) -> NearDuplicateJudge:
    from shared.pipeline.near_dedup import NearDuplicateJudge
    from shared.similarity.index import SimilarityIndex

    if model == STATIC and not distilled_model_dir(build=False).exists():
        console.print("distilling the static embedding model (first use, about a minute)")
    embedder = await asyncio.to_thread(load_embedder, model)
    index = SimilarityIndex.open(dim=embedder.dim, model=embedder.name)
    judge = NearDuplicateJudge(index, embedder, MemoryClaimStore(), MemoryScopeLock(), config)
    candidates = [candidate_of_record(i, r) for i, r in enumerate(run.records)]
    run.scopes = len({c.scope for c in candidates})
    started = time.perf_counter()
    try:
        with make_progress(console, enabled=show) as progress:
            task = progress.add_task("deduplicating", total=len(candidates), status="")
            duplicates = 0
            for start in range(0, len(candidates), EMBED_BATCH):
                batch = candidates[start : start + EMBED_BATCH]
                vectors = await judge.embed(batch)
                for offset, candidate in enumerate(batch):
                    rows = vectors[2 * offset : 2 * offset + 2]
                    judgement = await judge.judge(candidate, rows)
                    run.judgements.append(judgement)
                    duplicates += judgement.duplicate
                    progress.update(task, advance=1, status=f"duplicates {duplicates}")
    finally:
        await index.close()
    run.elapsed_s = time.perf_counter() - started
    return judge


def build_report(
    path: Path, fmt: str, run: DedupRun, errors: list[LoadError], judge: NearDuplicateJudge
) -> dict[str, Any]:
    layers = Counter(j.layer for j in run.judgements if j.duplicate)
    rate = len(run.records) / run.elapsed_s if run.elapsed_s else None
    return {
        "file": str(path),
        "format": fmt,
        "rows": len(run.records),
        "kept": len(run.records) - sum(layers.values()),
        "duplicates": sum(layers.values()),
        "by_layer": {
            layer: layers.get(layer, 0)
            for layer in ("exact_question", "exact_sql", "question", "sql")
        },
        "malformed": len(errors),
        "scopes": run.scopes,
        "model": judge.embedder.name,
        "question_threshold": judge.question_threshold,
        "sql_threshold": judge.config.sql_threshold,
        "elapsed_s": round(run.elapsed_s, 3),
        "rows_per_s": round(rate, 1) if rate else None,
    }


def write_kept(source: Path, fmt: DatasetFormat, kept: list[DatasetRecord], out: Path) -> None:
    """Kept rows as they are in `source` (records know their line or item number)."""
    positions = {r.line for r in kept if r.line is not None}
    if fmt is DatasetFormat.CSV:
        write_kept_csv(source, positions, out)
        return
    if fmt in ARRAY_FORMATS:
        items = json.loads(source.read_text(encoding="utf-8"))
        chosen = [
            json.dumps(item, ensure_ascii=False)
            for n, item in enumerate(items, 1)
            if n in positions
        ]
    else:
        with source.open(encoding="utf-8", errors="replace") as src:
            chosen = [line.rstrip("\r\n") for n, line in enumerate(src, 1) if n in positions]
    with out.open("w", encoding="utf-8") as handle:
        if out.suffix.lower() == ".json":
            handle.write("[\n" + ",\n".join(chosen) + "\n]\n" if chosen else "[]\n")
        else:
            handle.writelines(line + "\n" for line in chosen)


def write_kept_csv(source: Path, positions: set[int], out: Path) -> None:
    """Rows are numbered by their first line, as the CSV loader numbers them."""
    with source.open(encoding="utf-8", errors="replace", newline="") as src:
        header_line = src.readline()
        src.seek(0)
        delimiter = max((",", "\t", ";", "|"), key=header_line.count)
        rows = csv.reader(src, delimiter=delimiter)
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            header = next(rows, None)
            if header is None:
                return
            writer.writerow(header)
            end = rows.line_num
            for values in rows:
                start, end = end + 1, rows.line_num
                if start in positions:
                    writer.writerow(values)


def write_duplicates(path: Path, run: DedupRun) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record, judgement in zip(run.records, run.judgements, strict=True):
            if not judgement.duplicate:
                continue
            nearest = judgement.nearest_sample_id
            nearest_record = run.records[int(nearest)] if nearest and nearest.isdigit() else None
            row = {
                "id": record.id,
                "line": record.line,
                "layer": judgement.layer,
                "nearest_id": nearest_record.id if nearest_record else None,
                "nearest_line": nearest_record.line if nearest_record else None,
                "scores": judgement.scores,
            }
            handle.write(json.dumps(row) + "\n")


@click.command("dedup")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the kept rows here, unchanged (JSONL; a JSON array if the name ends in .json).",
)
@click.option(
    "--duplicates",
    "duplicates_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one JSON line per removed row: its layer, nearest kept row and scores.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the counts as one JSON object.")
@dataset_options
@click.option(
    "--model",
    type=click.Choice(sorted(EMBEDDERS)),
    default=DEFAULT_EMBEDDER,
    show_default=True,
    help="Embedding model (the static one is distilled from the full one on first use).",
)
@click.option(
    "--question-threshold",
    type=click.FloatRange(0, 1),
    help="Question cosine at or above which rows are duplicates (default: the model's).",
)
@click.option("--sql-threshold", type=click.FloatRange(0, 1), default=0.95, show_default=True)
@click.option("--top-k", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--progress/--no-progress", default=True, show_default=True)
def command(
    file: Path,
    out: Path | None,
    duplicates_out: Path | None,
    as_json: bool,
    fmt: str,
    dialect: str | None,
    fields: tuple[str, ...],
    schema_dir: Path | None,
    tables_path: Path | None,
    model: str,
    question_threshold: float | None,
    sql_threshold: float,
    top_k: int,
    progress: bool,
) -> None:
    """Remove near-duplicate rows from dataset FILE (exact, question and SQL layers)."""
    console = stderr_console()
    try:
        reader = open_dataset(file, fmt, dialect, fields, schema_dir, tables_path)
        run = DedupRun(records=list(reader))
    except (DatasetError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    from shared.pipeline.near_dedup import NearDedupConfig

    config = NearDedupConfig(
        question_threshold=question_threshold, sql_threshold=sql_threshold, top_k=top_k
    )
    show = progress and console.is_terminal
    judge = asyncio.run(judge_records(run, model, config, console, show))
    report = build_report(file, reader.format.value, run, reader.errors, judge)
    if out is not None:
        write_kept(file, reader.format, run.kept(), out)
    if duplicates_out is not None:
        write_duplicates(duplicates_out, run)
    if as_json:
        print_json(report)
        return
    stdout = Console()
    stdout.print(
        f"{file.name}: {report['rows']} rows, kept {report['kept']}, removed "
        f"{report['duplicates']} ({', '.join(f'{k} {v}' for k, v in report['by_layer'].items())})"
        f" in {report['scopes']} schemas",
        highlight=False,
    )
    if reader.errors:
        console.print(f"[yellow]{len(reader.errors)} malformed row(s) skipped[/]")
