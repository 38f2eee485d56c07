"""API of the platform: health, identity, enterprises (registry and consented profile),
consent, audit, day-end."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from techfin.api.deps import current_actor, get_db
from techfin.services import audit as audit_service
from techfin.services import consent, enterprises, users
from techfin.services import eod as eod_service
from techfin.services.authz import require_role
from techfin.services.context import Actor, Role
from techfin.store.db import Database
from techfin.store.migrate import current_revision, head_revision

router = APIRouter()
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]


@router.get("/health", tags=["platform"])
def health(db: DbDep) -> dict[str, Any]:
    """Database reachable and migrated to head."""
    try:
        current = current_revision(db.engine)
    except Exception as exc:  # report, don't crash: this is the health check
        return {"status": "error", "database": "unreachable", "detail": type(exc).__name__}
    head = head_revision(db.engine)
    ok = current == head
    return {
        "status": "ok" if ok else "error",
        "database": db.dialect,
        "migration": {"current": current, "head": head, "at_head": ok},
    }


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


@router.post("/api/token", tags=["identity"])
def token(body: TokenRequest, db: DbDep) -> dict[str, Any]:
    """Exchange a username and password for a bearer token (12 hours)."""
    actor = users.authenticate(db, body.username, body.password)
    value, expires = users.issue_token(db, actor)
    return {"access_token": value, "token_type": "bearer", "expires_at": expires.isoformat() + "Z"}


@router.get("/api/me", tags=["identity"])
def me(actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return users.me(db, actor).to_dict()


@router.get("/api/users", tags=["identity"])
def list_users(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return [u.to_dict() for u in users.list_users(db, actor)]


@router.get("/api/users/{user_id}", tags=["identity"])
def get_user(user_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return users.get_user(db, actor, user_id).to_dict()


class NewUser(BaseModel):
    username: str
    password: str
    role: str
    display_name: str = ""
    branch_code: str | None = None


@router.post("/api/users", tags=["identity"], status_code=201)
def add_user(body: NewUser, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Add a user to the caller's own institution (admins)."""
    with db.transaction() as session:
        user = users.add_user(
            session,
            actor,
            username=body.username,
            password=body.password,
            role=body.role,
            institution_code=actor.institution_code,
            display_name=body.display_name,
            branch_code=body.branch_code,
        )
        return users.view(session, user).to_dict()


@router.get("/api/enterprises", tags=["enterprises"])
def search_enterprises(
    actor: ActorDep,
    db: DbDep,
    q: str = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Public registry facts by name or credit code."""
    return [e.to_dict() for e in enterprises.search(db, actor, q, limit)]


@router.get("/api/enterprises/{enterprise_id}", tags=["enterprises"])
def enterprise(enterprise_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return enterprises.registry_facts(db, actor, enterprise_id).to_dict()


@router.get("/api/enterprises/{enterprise_id}/profile", tags=["enterprises"])
def profile(
    enterprise_id: int, actor: ActorDep, db: DbDep, purpose: str = "credit_assessment"
) -> dict[str, Any]:
    """Shared data under a live consent for `purpose`; the read is logged for the enterprise."""
    return enterprises.shared_profile(db, actor, enterprise_id, purpose)


class ConsentRequest(BaseModel):
    grantee: str = Field(description="institution code")
    purpose: str
    expires_on: dt.date


@router.get("/api/enterprises/{enterprise_id}/consents", tags=["consent"])
def consents(enterprise_id: int, actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return [c.to_dict() for c in consent.list_for_enterprise(db, actor, enterprise_id)]


@router.post("/api/enterprises/{enterprise_id}/consents", tags=["consent"], status_code=201)
def grant(enterprise_id: int, body: ConsentRequest, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return consent.grant(
        db,
        actor,
        enterprise_id=enterprise_id,
        grantee_code=body.grantee,
        purpose=body.purpose,
        expires_on=body.expires_on,
    ).to_dict()


class RevokeRequest(BaseModel):
    reason: str = ""


@router.post("/api/consents/{consent_id}/revoke", tags=["consent"])
def revoke(consent_id: int, body: RevokeRequest, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return consent.revoke(db, actor, consent_id, body.reason).to_dict()


@router.get("/api/consents", tags=["consent"])
def my_consents(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    """Consents granted to the caller's institution."""
    return [c.to_dict() for c in consent.list_for_institution(db, actor)]


@router.get("/api/enterprises/{enterprise_id}/access-log", tags=["consent"])
def access_log(enterprise_id: int, actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return [a.to_dict() for a in consent.access_log(db, actor, enterprise_id)]


@router.get("/api/audit/verify", tags=["audit"])
def audit_verify(actor: ActorDep, db: DbDep) -> dict[str, Any]:
    require_role(actor, [Role.ADMIN, Role.REGULATOR], "verifying the audit chain")
    count, broken = audit_service.verify(db)
    return {
        "entries": count,
        "intact": broken is None,
        "first_broken": None if broken is None else {"seq": broken.seq, "reason": broken.reason},
    }


@router.get("/api/business-date", tags=["day-end"])
def business_date(actor: ActorDep, db: DbDep, request: Request) -> dict[str, Any]:
    value = eod_service.business_date(db, actor.institution_code)
    return {"institution": actor.institution_code, "business_date": value}
