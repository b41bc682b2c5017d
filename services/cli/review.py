"""`sqlsynth review RUN_DIR [--port P]`: serve the review app for a finished run.

PostgreSQL and MariaDB are the run's own kind of engines: given by DSN, or started privately on
loopback for the session (as `sqlsynth validate` does) and stopped when the server stops.
"""

from __future__ import annotations

from pathlib import Path

import click

from proto.common import Engine
from services.cli.common import engine_list_option, stderr_console
from services.review.context import REVIEW_DB, ReviewContext, write_run_guidelines
from shared.review.items import DATASET_FILE, RunNotFound
from shared.review.store import ReviewStore, sqlite_url
from shared.runtime.servers import servers_for


def build_context(
    run_dir: Path,
    db_url: str | None,
    engines: list[Engine],
    dsns: dict[Engine, str],
    *,
    live: bool = False,
    run_id: str | None = None,
) -> ReviewContext:
    from shared.engines.registry import EngineSettings

    store = ReviewStore(db_url or sqlite_url(run_dir / REVIEW_DB))
    return ReviewContext(
        run_dir=run_dir,
        store=store,
        engine_settings=EngineSettings(
            postgres_dsn=dsns.get(Engine.POSTGRES), mysql_dsn=dsns.get(Engine.MYSQL)
        ),
        engines=engines,
        on_guidelines=write_run_guidelines,
        live=live,
        fixed_run_id=run_id,
    )


@click.command("review")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=int, default=8021, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--db",
    "db_url",
    envvar="SQLSYNTH_REVIEW_DB",
    help="SQLAlchemy URL of the decision store (default: sqlite file RUN_DIR/review.sqlite); "
    "e.g. postgresql://user@host/db",
)
@click.option(
    "--engines",
    default="sqlite,postgres,mysql",
    show_default=True,
    callback=engine_list_option,
    help="Engines an edited SQL must pass.",
)
@click.option("--postgres-dsn", envvar="SQLSYNTH_POSTGRES_DSN")
@click.option("--mysql-dsn", envvar="SQLSYNTH_MYSQL_DSN")
@click.option(
    "--live",
    is_flag=True,
    help="Review a running run (`sqlsynth run --review`): consume its held samples from NATS "
    "and send each decision on to the pipeline.",
)
@click.option("--nats-url", envvar="SQLSYNTH_NATS_URL", help="The run's broker (with --live).")
@click.option("--run-id", help="With --live: only this run's samples (default: every held one).")
def command(
    run_dir: Path,
    port: int,
    host: str,
    db_url: str | None,
    engines: list[Engine],
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    live: bool,
    nats_url: str | None,
    run_id: str | None,
) -> None:
    """Review a finished run in the browser: queue, edits re-run on the engines, guidelines,
    per-cycle measures and the reviewed export."""
    import uvicorn

    from services.review.app import create_app

    console = stderr_console()
    configured = {Engine.POSTGRES: postgres_dsn, Engine.MYSQL: mysql_dsn}
    if live and not nats_url:
        raise click.ClickException("--live needs --nats-url (or SQLSYNTH_NATS_URL)")
    if live:
        run_dir.mkdir(parents=True, exist_ok=True)
    elif not (run_dir / DATASET_FILE).is_file():
        # Checked before any server starts: a wrong folder costs nothing.
        raise click.ClickException(f"{run_dir} has no {DATASET_FILE}: not a run folder")
    try:
        with servers_for(engines, configured) as servers:
            if servers.unavailable:
                missing = ", ".join(f"{e.value} ({why})" for e, why in servers.unavailable.items())
                raise click.ClickException(f"engines unavailable: {missing}")
            context = build_context(
                run_dir, db_url, engines, servers.dsns, live=live, run_id=run_id
            )
            what = (
                f"the live queue of {run_id or 'every run'} on {nats_url}"
                if live
                else f"{len(context.items)} records of run {context.run_id}"
            )
            console.print(f"reviewing {what} at http://{host}:{port}/ (Ctrl-C stops)")
            app = create_app(context, nats_url if live else None)
            uvicorn.run(app, host=host, port=port, log_level="warning")
    except RunNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
