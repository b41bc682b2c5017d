"""The queue and one record: read it, accept, reject, edit and re-validate."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from proto.common import Engine
from services.review.context import ReviewContext
from services.review.web import (
    REVIEWER_COOKIE,
    encode_filter,
    get_context,
    get_reviewer,
    parse_time,
    read_filter,
    render,
)
from shared.engines.validator import Validator
from shared.review.decide import ReviewRefused, current_version, decide, save_edit
from shared.review.items import QueueFilter, ReviewItem, list_facets
from shared.review.preview import read_tables, run_preview
from shared.review.revalidate import Revalidation, record_dialect, revalidate_sql
from shared.review.store import Action

router = APIRouter()
FormText = Annotated[str, Form()]


def _find_item(context: ReviewContext, record_id: str) -> ReviewItem:
    item = context.find(record_id)
    if item is None:
        raise HTTPException(404, f"no record {record_id} in this run")
    return item


def _find_next(context: ReviewContext, after: str, queue_filter: QueueFilter) -> str | None:
    """The next undecided record in queue order after `after` (wrapping), within the filter."""
    decided = context.store.latest_decisions(context.run_id)
    queue = [i for i in context.items if queue_filter.admits(i)]
    index = next((n for n, i in enumerate(queue) if i.record_id == after), -1)
    for item in queue[index + 1 :] + queue[: index + 1]:
        if item.record_id not in decided and item.record_id != after:
            return item.record_id
    return None


def _go(request: Request, target: str) -> Response:
    """htmx follows HX-Redirect; a plain form post follows the 303."""
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/", response_class=HTMLResponse)
async def show_queue(request: Request) -> Any:
    context = get_context(request)
    queue_filter = read_filter(request)
    decided = context.store.latest_decisions(context.run_id)
    rows = [i for i in context.items if queue_filter.admits(i)]
    return render(
        request,
        "queue.html",
        rows=rows,
        decided=decided,
        facets=list_facets(context.items),
        filter_values=vars(queue_filter),
        query=encode_filter(queue_filter),
        total=len(context.items),
        done=len(decided),
        guidelines=context.store.guidelines(context.run_id),
    )


@router.post("/reviewer")
async def set_reviewer(name: FormText, back: Annotated[str, Form()] = "/") -> Response:
    response = RedirectResponse(back if back.startswith("/") else "/", status_code=303)
    response.set_cookie(REVIEWER_COOKIE, name.strip()[:200], samesite="strict")
    return response


@router.get("/records/{record_id}", response_class=HTMLResponse)
async def show_record(request: Request, record_id: str) -> Any:
    context = get_context(request)
    item = _find_item(context, record_id)
    queue_filter = read_filter(request)
    latest = context.store.latest_decisions(context.run_id).get(record_id)
    version = current_version(item, latest)
    context_sql = item.text("sql_context")
    return render(
        request,
        "record.html",
        item=item,
        latest=latest,
        version=version,
        dialect=record_dialect(item.record),
        engines=list(Engine),
        tables=read_tables(context_sql),
        preview=run_preview(context_sql, version.sql),
        history=context.store.history(context.run_id, record_id),
        guidelines=context.store.guidelines(context.run_id),
        next_id=_find_next(context, record_id, queue_filter),
        query=encode_filter(queue_filter),
        opened_at=context.store.now().isoformat(),
        error=request.query_params.get("error", ""),
    )


@router.post("/records/{record_id}/accept")
async def accept_record(
    request: Request, record_id: str, opened_at: FormText = "", query: FormText = ""
) -> Response:
    return await _decide(request, record_id, Action.ACCEPT, opened_at, query, "")


@router.post("/records/{record_id}/reject")
async def reject_record(
    request: Request,
    record_id: str,
    reason: FormText = "",
    opened_at: FormText = "",
    query: FormText = "",
) -> Response:
    return await _decide(request, record_id, Action.REJECT, opened_at, query, reason)


def _refuse_if_sent(context: ReviewContext, record_id: str) -> None:
    """Live review: the pipeline already has this record's decision; it cannot change now."""
    if record_id in context.sent:
        raise ReviewRefused("this record's decision already went to the pipeline")


async def _send_on(context: ReviewContext, record_id: str) -> None:
    if context.on_decided is not None:
        await context.on_decided(record_id)


async def _decide(
    request: Request, record_id: str, action: Action, opened_at: str, query: str, reason: str
) -> Response:
    context = get_context(request)
    item = _find_item(context, record_id)
    try:
        _refuse_if_sent(context, record_id)
        decide(
            context.store,
            item,
            run_id=context.run_id,
            reviewer=get_reviewer(request),
            action=action,
            opened_at=parse_time(opened_at),
            reason=reason,
        )
    except ReviewRefused as exc:
        separator = "&" if query else "?"
        return _go(request, f"/records/{record_id}{query}{separator}error={quote(str(exc))}")
    await _send_on(context, record_id)
    next_id = _find_next(context, record_id, QueueFilter())
    return _go(request, f"/records/{next_id}{query}" if next_id else f"/{query}")


async def _revalidate(
    context: ReviewContext, item: ReviewItem, sql: str, question: str | None
) -> Revalidation:
    validator = Validator(context.opened)
    return await revalidate_sql(validator, list(context.opened), item.record, sql, question)


@router.post("/records/{record_id}/check", response_class=HTMLResponse)
async def check_sql(
    request: Request, record_id: str, sql: FormText, question: FormText = ""
) -> Any:
    context = get_context(request)
    item = _find_item(context, record_id)
    result = await _revalidate(context, item, sql.strip(), question.strip() or None)
    return render(
        request,
        "_check.html",
        item=item,
        result=result,
        preview=run_preview(item.text("sql_context"), result.sql),
        saved=False,
        refusal="",
    )


@router.post("/records/{record_id}/edit", response_class=HTMLResponse)
async def edit_record(
    request: Request,
    record_id: str,
    question: FormText,
    sql: FormText,
    explanation: FormText = "",
    opened_at: FormText = "",
) -> Any:
    context = get_context(request)
    item = _find_item(context, record_id)
    latest = context.store.latest_decisions(context.run_id).get(record_id)
    changed_sql = sql.strip() != current_version(item, latest).sql
    # Run again here, whatever the page showed before: a save never trusts the form. The sense
    # checks hold the new SQL to the question being saved with it. A new question alone is the
    # reviewer's judgement (the page shows the checks' findings when asked, without blocking).
    result = (
        await _revalidate(context, item, sql.strip(), question.strip()) if changed_sql else None
    )
    try:
        _refuse_if_sent(context, record_id)
        save_edit(
            context.store,
            item,
            run_id=context.run_id,
            reviewer=get_reviewer(request),
            question=question,
            sql=sql,
            opened_at=parse_time(opened_at),
            revalidation=result,
            explanation=explanation or None,
        )
    except ReviewRefused as exc:
        return render(
            request,
            "_check.html",
            item=item,
            result=result,
            preview=run_preview(item.text("sql_context"), sql.strip()) if result else None,
            saved=False,
            refusal=str(exc),
        )
    await _send_on(context, record_id)
    return _go(request, f"/records/{record_id}")
