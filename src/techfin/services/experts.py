"""The one registry of tech and IP experts, with their fields and conflicts of interest.

Every capability that needs experts (expert committee, IP valuation, rating review) draws them
here, so a conflict declared once is honoured everywhere.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from techfin.services import audit
from techfin.services.authz import require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import NotFound, ValidationFailed
from techfin.store.db import Database
from techfin.store.tables import Expert, ExpertConflict

KINDS = ("tech", "ip")


@dataclass(frozen=True)
class ExpertView:
    id: int
    name: str
    kind: str
    fields: list[str]
    affiliation: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def add_expert(
    db: Database, actor: Actor, *, name: str, kind: str, fields: list[str], affiliation: str = ""
) -> ExpertView:
    require_role(actor, [Role.ADMIN], "adding an expert")
    if kind not in KINDS:
        raise ValidationFailed("kind must be tech or ip", field="kind")
    if not name.strip():
        raise ValidationFailed("name is required", field="name")
    with db.transaction() as session:
        expert = Expert(name=name.strip(), kind=kind, fields=list(fields), affiliation=affiliation)
        session.add(expert)
        session.flush()
        audit.record(
            session, actor, "expert.add", f"expert:{expert.id}", after=[name, kind, fields]
        )
        return ExpertView(expert.id, expert.name, kind, list(fields), affiliation)


def declare_conflict(
    db: Database,
    actor: Actor,
    *,
    expert_id: int,
    reason: str,
    enterprise_id: int | None = None,
    institution_id: int | None = None,
) -> None:
    require_role(actor, [Role.ADMIN, Role.EXPERT], "declaring a conflict of interest")
    if enterprise_id is None and institution_id is None:
        raise ValidationFailed("name the enterprise or institution", field="enterprise_id")
    if not reason.strip():
        raise ValidationFailed("a conflict needs a reason", field="reason")
    with db.transaction() as session:
        if session.get(Expert, expert_id) is None:
            raise NotFound("expert not found")
        session.add(
            ExpertConflict(
                expert_id=expert_id,
                enterprise_id=enterprise_id,
                institution_id=institution_id,
                reason=reason,
            )
        )
        audit.record(
            session,
            actor,
            "expert.declare_conflict",
            f"expert:{expert_id}",
            reason=reason,
            after={"enterprise": enterprise_id, "institution": institution_id},
        )


def eligible(
    db: Database, *, kind: str, field: str | None, enterprise_id: int, institution_id: int | None
) -> list[ExpertView]:
    """Active experts of `kind` (and `field`) free of conflicts with enterprise or institution."""
    with db.read() as session:
        conflicted = set(
            session.scalars(
                select(ExpertConflict.expert_id).where(
                    (ExpertConflict.enterprise_id == enterprise_id)
                    | (ExpertConflict.institution_id == institution_id)
                )
            )
        )
        rows = session.scalars(
            select(Expert).where(Expert.kind == kind, Expert.active.is_(True)).order_by(Expert.id)
        )
        return [
            ExpertView(x.id, x.name, x.kind, list(x.fields), x.affiliation)
            for x in rows
            if x.id not in conflicted and (field is None or field in x.fields)
        ]


def draw(
    db: Database,
    *,
    kind: str,
    field: str | None,
    enterprise_id: int,
    institution_id: int | None,
    count: int,
    seed: int,
) -> list[ExpertView]:
    """Draw `count` experts at random (reproducibly by `seed`) without conflicts of interest."""
    pool = eligible(
        db, kind=kind, field=field, enterprise_id=enterprise_id, institution_id=institution_id
    )
    if len(pool) < count:
        raise ValidationFailed(
            f"only {len(pool)} unconflicted {kind} experts in {field or 'any field'}; need {count}",
            field="count",
        )
    return random.Random(seed).sample(pool, count)
