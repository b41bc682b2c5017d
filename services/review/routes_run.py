"""Run-wide pages: guidelines and review cycles, the per-cycle measures, the export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from services.review.plots import plot_cycles
from services.review.web import get_context, get_reviewer, render
from shared.review.decide import original_version
from shared.review.export import EXPORT_FILE, build_export_rows, write_export
from shared.review.guidelines import parse_avoid_rules
from shared.review.measures import measure_cycles

router = APIRouter()


@router.get("/guidelines", response_class=HTMLResponse)
async def show_guidelines(request: Request) -> Any:
    context = get_context(request)
    guidelines = context.store.guidelines(context.run_id)
    return render(
        request,
        "guidelines.html",
        guidelines=guidelines,
        rules=parse_avoid_rules([g.text for g in guidelines]),
        cycle=context.store.current_cycle(context.run_id),
        error=request.query_params.get("error", ""),
    )


@router.post("/guidelines")
async def add_guideline(request: Request, text: Annotated[str, Form()]) -> Response:
    context = get_context(request)
    reviewer = get_reviewer(request)
    if not reviewer or not text.strip():
        return RedirectResponse("/guidelines?error=name+and+text+are+both+needed", 303)
    context.store.add_guideline(context.run_id, reviewer, text)
    if context.on_guidelines is not None:
        context.on_guidelines(context)
    return RedirectResponse("/guidelines", status_code=303)


@router.post("/cycles")
async def start_cycle(request: Request) -> Response:
    context = get_context(request)
    reviewer = get_reviewer(request)
    if not reviewer:
        return RedirectResponse("/guidelines?error=say+who+you+are+first", 303)
    context.store.start_cycle(context.run_id, reviewer)
    return RedirectResponse("/guidelines", status_code=303)


@router.get("/measures", response_class=HTMLResponse)
async def show_measures(request: Request) -> Any:
    context = get_context(request)
    originals = {i.record_id: original_version(i) for i in context.items}
    measures = measure_cycles(context.store.all_decisions(context.run_id), originals)
    return render(
        request,
        "measures.html",
        measures=measures,
        plot=plot_cycles(measures) if measures else "",
        total=len(context.items),
    )


@router.get("/export")
async def export_reviewed(request: Request) -> Response:
    context = get_context(request)
    # Written in the order of the run's dataset, not the queue's.
    items = sorted(context.items, key=lambda item: item.position)
    rows = build_export_rows(items, context.store.latest_decisions(context.run_id))
    path = write_export(rows, context.run_dir / EXPORT_FILE)
    return FileResponse(path, media_type="application/x-ndjson", filename=EXPORT_FILE)
