"""API of the tech credit quota requests decided by head office (guidance art. 10)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from techfin.api.deps import current_actor, get_db
from techfin.services import quota_requests
from techfin.services.context import Actor
from techfin.store.db import Database

router = APIRouter(tags=["origination"])
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]


@router.get("/api/quota-requests")
def list_requests(
    actor: ActorDep, db: DbDep, status: str | None = "pending"
) -> list[dict[str, Any]]:
    """Requests for more tech quota (status pending, approved, rejected; empty for all)."""
    return quota_requests.requests(db, actor, status or None)


class Decision(BaseModel):
    decision: str = Field(pattern="^(approve|reject)$")
    reason: str = Field(min_length=1, max_length=500)


@router.post("/api/quota-requests/{request_id}")
def decide(request_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Head office approves (the branch's quota grows) or rejects, with a reason; audited."""
    return quota_requests.decide(
        db, actor, request_id, approve=body.decision == "approve", reason=body.reason
    )
