"""API of the rating platform (issue 5): features from the hub, rating an enterprise under
consent and its history, model versions with maker-checker validation and champion/challenger
roles, grade overrides with maker-checker, and the override report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from techfin.api.deps import current_actor, get_db
from techfin.services import rating, rating_features
from techfin.services.context import Actor
from techfin.store.db import Database

router = APIRouter(tags=["rating"])
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]
AsOf = Annotated[dt.date | None, Query(description="as-of date (default today)")]


# --- features -------------------------------------------------------------------------------


@router.get("/api/rating/catalogue")
def catalogue(actor: ActorDep) -> dict[str, Any]:
    """Every feature: definition, unit, source, missing rule, and the hub tables it comes from
    (or why the hub cannot supply it)."""
    return rating_features.catalogue()


@router.get("/api/rating/enterprises/{enterprise_id}/features")
def features(enterprise_id: int, actor: ActorDep, db: DbDep, as_of: AsOf = None) -> dict[str, Any]:
    """The enterprise's features from the hub (needs its credit-assessment consent; logged)."""
    return rating_features.enterprise_features(db, actor, enterprise_id, as_of)


@router.get("/api/rating/features")
def all_features(actor: ActorDep, db: DbDep, as_of: AsOf = None) -> list[dict[str, Any]]:
    """Features of every enterprise that consented to the caller's institution."""
    return rating_features.all_features(db, actor, as_of)


# --- ratings --------------------------------------------------------------------------------


class RateRequest(BaseModel):
    as_of: dt.date | None = None
    stage: str | None = Field(
        default=None, description="startup | growth | mature (default: by age)"
    )


@router.post("/api/rating/enterprises/{enterprise_id}/ratings", status_code=201)
def rate(enterprise_id: int, body: RateRequest, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Rate the enterprise now (consent needed): expert scorecard, blended with the champion
    model when there is one; stored with the rule, catalogue and model versions it used and
    the grade's policy levers."""
    return rating.rate_enterprise(db, actor, enterprise_id, as_of=body.as_of, stage=body.stage)


@router.get("/api/rating/enterprises/{enterprise_id}/ratings")
def history(enterprise_id: int, actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    """The caller's institution's ratings of the enterprise, newest first."""
    return rating.rating_history(db, actor, enterprise_id)


@router.get("/api/rating/ratings/{rating_id}")
def get_rating(rating_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return rating.get_rating(db, actor, rating_id)


@router.get("/api/rating/grades/{grade}/policy")
def grade_policy(grade: str, actor: ActorDep) -> dict[str, Any]:
    """A grade's policy levers (eligible products, limit multiple, pricing bp, approval route)."""
    return rating.policy_levers(grade)


# --- model governance -----------------------------------------------------------------------


class ModelSubmission(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    model_json: str = Field(min_length=2, description="techfin.rating Scorecard.to_json()")
    training_data_sha256: str = Field(min_length=64, max_length=64)
    segment: str = Field(default="all", description="all | startup | growth | mature")
    description: str = Field(default="", max_length=500)
    metrics: dict[str, Any] | None = None


@router.post("/api/rating/models", status_code=201)
def submit_model(body: ModelSubmission, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Store a new model version (the developer is the caller); it waits for a validator."""
    return rating.submit_model(db, actor, **body.model_dump())


@router.get("/api/rating/models")
def list_models(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return rating.list_models(db, actor)


@router.get("/api/rating/models/{model_id}")
def get_model(model_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return rating.get_model(db, actor, model_id)


class Decision(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=2000)


@router.post("/api/rating/models/{model_id}/decision")
def decide_model(model_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """The independent validator approves or rejects (the developer never can; a note is
    required)."""
    return rating.decide_model(db, actor, model_id, approve=body.approve, note=body.note)


class RoleRequest(BaseModel):
    role: str = Field(description="champion | challenger | none")


@router.post("/api/rating/models/{model_id}/role")
def set_role(model_id: int, body: RoleRequest, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return rating.set_model_role(db, actor, model_id, body.role)


# --- overrides ------------------------------------------------------------------------------


class OverrideRequest(BaseModel):
    to_grade: str = Field(min_length=2, max_length=8)
    reason: str = Field(default="", max_length=2000)


@router.post("/api/rating/ratings/{rating_id}/overrides", status_code=201)
def request_override(
    rating_id: int, body: OverrideRequest, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    """Ask to change the grade (reason required); a second person decides."""
    return rating.request_override(db, actor, rating_id, to_grade=body.to_grade, reason=body.reason)


@router.post("/api/rating/overrides/{override_id}/decision")
def decide_override(override_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return rating.decide_override(db, actor, override_id, approve=body.approve, note=body.note)


@router.get("/api/rating/overrides")
def overrides(
    actor: ActorDep, db: DbDep, status: Annotated[str | None, Query()] = None
) -> list[dict[str, Any]]:
    return rating.list_overrides(db, actor, status)


@router.get("/api/rating/overrides/report")
def override_report(
    actor: ActorDep,
    db: DbDep,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Overrides by requesting user and direction (up/down), and by deciding user."""
    return rating.override_report(db, actor, date_from, date_to)
