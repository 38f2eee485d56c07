"""Pages of the information hub: load reports and their quarantined rows."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from techfin.services import ingest, resolution
from techfin.services.errors import ServiceError
from techfin.web.pages import _check_csrf, _db, page_actor, render

router = APIRouter(include_in_schema=False)


@router.get("/hub/batches", response_class=HTMLResponse)
def batches(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    return render(request, "hub_batches.html", batches=ingest.batches(_db(request), actor))


@router.get("/hub/batches/{batch_id}", response_class=HTMLResponse)
def batch(request: Request, batch_id: int) -> HTMLResponse:
    actor = page_actor(request)
    return render(
        request, "hub_batch.html", detail=ingest.batch_detail(_db(request), actor, batch_id)
    )


@router.get("/hub/review", response_class=HTMLResponse)
def review(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    return render(request, "hub_review.html", links=resolution.review_queue(_db(request), actor))


@router.post("/hub/review/{link_id}", response_model=None)
async def decide(request: Request, link_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        resolution.decide(
            _db(request),
            actor,
            link_id,
            confirm=form.get("decision") == "confirm",
            reason=str(form.get("reason", "")),
        )
    except ServiceError as exc:
        return RedirectResponse(f"/hub/review?error={exc.field or ''}: {exc.detail}", 303)
    return RedirectResponse("/hub/review", status_code=303)
