"""API of market reference data: the monthly LPR fixings entered on the platform.

`GET /api/lpr/fixings` (any signed-in user): the table in force and every entry;
`POST /api/lpr/fixings` (platform operator's administrator): enter next month's fixing;
`POST /api/lpr/fixings/{id}/decision` (another such administrator): confirm or reject it.
`GET /api/lpr?date=` (in `techfin.api.credit`) answers from the extended table.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from techfin.api.deps import current_actor, get_db
from techfin.services import market
from techfin.services.context import Actor
from techfin.store.db import Database

router = APIRouter(prefix="/api/lpr", tags=["market"])
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]


class FixingBody(BaseModel):
    fixing_date: dt.date = Field(description="publication date: the 20th, or later over holidays")
    one_year_percent: str = Field(description='percent, e.g. "3.00" (multiples of 0.05)')
    five_year_plus_percent: str = Field(description='percent, e.g. "3.50"')
    source: str = Field(max_length=300, description="the publication, e.g. the NIFC notice")


class Decision(BaseModel):
    approve: bool
    note: str = ""


@router.get("/fixings")
def fixings(actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return market.lpr_fixings(db, actor)


@router.post("/fixings", status_code=201)
def propose(body: FixingBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return market.propose_lpr_fixing(db, actor, **body.model_dump())


@router.post("/fixings/{entry_id}/decision")
def decide(entry_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return market.decide_lpr_fixing(db, actor, entry_id, approve=body.approve, note=body.note)
