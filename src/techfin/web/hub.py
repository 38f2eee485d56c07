"""Pages of the information hub: load reports and their quarantined rows."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from techfin.services import ingest
from techfin.web.pages import _db, page_actor, render

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
