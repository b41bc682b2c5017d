"""Helpers the routes share: templates, the reviewer cookie, SQL highlighting, times."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers.sql import MySqlLexer, PostgresLexer, SqlLexer

from proto.common import Engine
from services.review.context import ReviewContext
from shared.review.items import QueueFilter

HERE = Path(__file__).resolve().parent
REVIEWER_COOKIE = "sqlsynth_reviewer"
templates = Jinja2Templates(directory=HERE / "templates")

# Pygments' lexer per dialect (SQLite has none of its own; the generic SQL lexer reads it).
LEXERS: dict[Engine, type[Lexer]] = {
    Engine.SQLITE: SqlLexer,
    Engine.POSTGRES: PostgresLexer,
    Engine.MYSQL: MySqlLexer,
}
FORMATTER = HtmlFormatter(cssclass="hl", nowrap=False)
templates.env.globals["highlight_css"] = Markup(FORMATTER.get_style_defs(".hl"))


def highlight_sql(sql: str, dialect: Engine) -> Markup:
    return Markup(highlight(sql, LEXERS[dialect](), FORMATTER))  # pygments escapes the text


templates.env.filters["sql"] = highlight_sql


def get_context(request: Request) -> ReviewContext:
    context = request.app.state.review
    assert isinstance(context, ReviewContext)
    return context


def get_reviewer(request: Request) -> str:
    return request.cookies.get(REVIEWER_COOKIE, "").strip()


def read_filter(request: Request) -> QueueFilter:
    q = request.query_params
    return QueueFilter(
        domain=q.get("domain", ""),
        style=q.get("style", ""),
        complexity=q.get("complexity", ""),
        finding=q.get("finding", ""),
    )


def encode_filter(queue_filter: QueueFilter) -> str:
    values = {k: v for k, v in vars(queue_filter).items() if v}
    return ("?" + urlencode(values)) if values else ""


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def render(request: Request, name: str, **values: Any) -> Any:
    context = get_context(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "reviewer": get_reviewer(request),
            "run_id": context.run_id,
            "live": context.live,
            **values,
        },
    )
