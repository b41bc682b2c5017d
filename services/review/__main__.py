"""The review app as a run's process (`sqlsynth run --review`): live queue, settings from env.

SQLSYNTH_NATS_URL, SQLSYNTH_OUT_DIR (the run folder: review.sqlite and guidelines.json go
there), SQLSYNTH_ENGINES and the engine DSNs as every service; SQLSYNTH_REVIEW_PORT,
SQLSYNTH_REVIEW_HOST, SQLSYNTH_REVIEW_RUN_ID and SQLSYNTH_REVIEW_DB for the app.
"""

from __future__ import annotations

from pathlib import Path

import uvicorn
from prometheus_client import start_http_server

from proto.common import Engine
from services.review.app import create_app
from services.review.context import REVIEW_DB, ReviewContext, write_run_guidelines
from shared.engines.settings import EngineSettings
from shared.logging import configure_logging
from shared.review.store import ReviewStore, sqlite_url
from shared.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    out_dir: Path = Path("out")
    engines: str = "sqlite,postgres,mysql"
    review_port: int = 8021
    review_host: str = "127.0.0.1"
    review_run_id: str | None = None
    review_db: str | None = None


def main() -> None:
    settings = ReviewSettings()
    configure_logging("review", settings.log_level)
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    context = ReviewContext(
        run_dir=settings.out_dir,
        store=ReviewStore(settings.review_db or sqlite_url(settings.out_dir / REVIEW_DB)),
        engine_settings=EngineSettings(),
        engines=[Engine(name.strip()) for name in settings.engines.split(",") if name.strip()],
        on_guidelines=write_run_guidelines,
        live=True,
        fixed_run_id=settings.review_run_id,
    )
    if settings.metrics_port:
        # The run's Prometheus lists every process as a target: serve at least the process's
        # own metrics, so the target is up.
        start_http_server(settings.metrics_port)
    app = create_app(context, settings.nats_url)
    uvicorn.run(app, host=settings.review_host, port=settings.review_port, log_level="warning")


main()
