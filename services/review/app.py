"""The review web app (FastAPI + Jinja2 + htmx, all served locally): `create_app(context)`.

Engines are opened in the lifespan, never at import; the routes are thin and call
`shared/review/`. The reviewer's name is a cookie set on the first page and stored with every
decision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.review import routes_records, routes_run
from services.review.context import ReviewContext
from services.review.live import LiveQueue
from shared.engines.registry import close_engines, open_engines

HERE = Path(__file__).resolve().parent


def create_app(context: ReviewContext, nats_url: str | None = None) -> FastAPI:
    """With `nats_url` the app reviews a running run: it consumes the held samples and sends
    each decision on (services/review/live.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context.opened = await open_engines(context.engine_settings, context.engines)
        queue = LiveQueue(nats_url, context) if nats_url else None
        if queue is not None:
            await queue.start()
        try:
            yield
        finally:
            if queue is not None:
                await queue.stop()
            await close_engines(context.opened)
            context.opened = {}
            context.store.close()

    app = FastAPI(title="sqlsynth review", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.review = context
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(routes_records.router)
    app.include_router(routes_run.router)
    return app
