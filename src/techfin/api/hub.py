"""API of the information hub: push endpoints per source and the load reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from techfin.api.deps import current_actor, get_db
from techfin.services import ingest, resolution
from techfin.services.context import Actor
from techfin.store.db import Database

router = APIRouter(tags=["hub"])
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]


class Push(BaseModel):
    records: list[Any] = Field(min_length=1, max_length=50_000)
    label: str = Field(default="api", max_length=200)


@router.post("/api/hub/{source}", status_code=201)
def push(source: str, body: Push, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Push records of one source (field names or their Chinese headers as keys). Bad records
    are quarantined with reasons; the same content pushed again changes nothing."""
    return ingest.ingest_records(db, actor, source, body.records, label=body.label).to_dict()


@router.get("/api/hub/batches")
def batches(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return [b.to_dict() for b in ingest.batches(db, actor)]


@router.get("/api/hub/batches/{batch_id}")
def batch(batch_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ingest.batch_detail(db, actor, batch_id)


@router.post("/api/hub/resolve/{source}")
def resolve(source: str, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Run entity resolution over the source's unlinked records."""
    return resolution.run(db, actor, source).to_dict()


@router.get("/api/hub/review")
def review_queue(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return [link.to_dict() for link in resolution.review_queue(db, actor)]


class Decision(BaseModel):
    decision: str = Field(pattern="^(confirm|reject)$")
    reason: str = Field(min_length=1, max_length=500)


@router.post("/api/hub/review/{link_id}")
def decide(link_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Confirm (merge) or reject (unmerge) a link, with a reason; audited."""
    return resolution.decide(
        db, actor, link_id, confirm=body.decision == "confirm", reason=body.reason
    ).to_dict()
