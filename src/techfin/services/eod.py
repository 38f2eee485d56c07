"""Day-end (日终) processing for a business date, per institution.

Capabilities register steps (`@step("name", order)`); `run` executes them in order for each
institution. Each step's writes and its completion marker commit in ONE transaction, so a crash
leaves either the whole step or none of it; the next run resumes from the failed step and never
repeats a completed one. A completed day is never run again: a second `run` for the same date
changes nothing. When every step has completed, the institution's business date moves to the
next day.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from techfin.services import audit
from techfin.services.authz import require_institution, require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import Conflict, NotFound
from techfin.store.db import Database
from techfin.store.tables import (
    AuditHead,
    BusinessDate,
    Consent,
    EodRun,
    EodStepRun,
    Institution,
    utcnow,
)

StepFunction = Callable[[Session, Institution, dt.date], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    function: StepFunction


@dataclass
class Registry:
    steps: dict[str, Step] = field(default_factory=dict)

    def step(self, name: str, order: int) -> Callable[[StepFunction], StepFunction]:
        def decorate(function: StepFunction) -> StepFunction:
            self.steps[name] = Step(name, order, function)
            return function

        return decorate

    def ordered(self) -> list[Step]:
        return sorted(self.steps.values(), key=lambda s: (s.order, s.name))


REGISTRY = Registry()
step = REGISTRY.step


@dataclass(frozen=True)
class StepOutcome:
    step: str
    status: str  # completed | skipped | failed
    detail: dict[str, Any]
    error: str = ""


@dataclass(frozen=True)
class RunOutcome:
    institution: str
    business_date: dt.date
    status: str  # completed | already_completed | failed
    steps: list[StepOutcome]

    def to_dict(self) -> dict[str, Any]:
        return {
            "institution": self.institution,
            "business_date": self.business_date.isoformat(),
            "status": self.status,
            "steps": [s.__dict__ for s in self.steps],
        }


def business_date(db: Database, institution_code: str) -> dt.date | None:
    with db.read() as session:
        institution = session.scalar(
            select(Institution).where(Institution.code == institution_code)
        )
        if institution is None:
            raise NotFound(f"no institution {institution_code}")
        row = session.get(BusinessDate, institution.id)
        return row.business_date if row else None


def set_business_date(db: Database, actor: Actor, institution_code: str, date: dt.date) -> None:
    """Set an institution's business date by hand (day-end normally moves it): the operator at
    the command line, or an administrator of that institution; audited."""
    require_role(actor, [Role.ADMIN], "setting the business date")
    with db.transaction() as session:
        institution = session.scalar(
            select(Institution).where(Institution.code == institution_code)
        )
        if institution is None:
            raise NotFound(f"no institution {institution_code}")
        require_institution(actor, institution.id, "institution")
        row = session.get(BusinessDate, institution.id)
        before = row.business_date if row else None
        if row is None:
            session.add(BusinessDate(institution_id=institution.id, business_date=date))
        else:
            row.business_date = date
        audit.record(
            session,
            actor,
            "business_date.set",
            f"institution:{institution_code}",
            before=before,
            after=date,
        )


def _run_one(
    db: Database, actor: Actor, institution_id: int, date: dt.date, registry: Registry
) -> RunOutcome:
    with db.transaction() as session:
        institution = session.get(Institution, institution_id)
        assert institution is not None
        code = institution.code
        current = session.get(BusinessDate, institution_id)
        if current is None:
            session.add(BusinessDate(institution_id=institution_id, business_date=date))
        run = session.scalar(
            select(EodRun).where(
                EodRun.institution_id == institution_id, EodRun.business_date == date
            )
        )
        if run is not None and run.status == "completed":
            return RunOutcome(code, date, "already_completed", [])
        if current is not None and date > current.business_date:
            raise Conflict(
                f"{code}: business date is {current.business_date}; run day-end for it first",
                field="date",
            )
        if current is not None and date < current.business_date and run is None:
            raise Conflict(
                f"{code}: {date} is before the business date {current.business_date} "
                "and was never run",
                field="date",
            )
        if run is None:
            run = EodRun(institution_id=institution_id, business_date=date, status="running")
            session.add(run)
            session.flush()
            audit.record(session, actor, "eod.start", f"institution:{code}", after=str(date))
        run_id = run.id

    outcomes: list[StepOutcome] = []
    for seq, item in enumerate(registry.ordered(), start=1):
        with db.read() as session:
            done = session.scalar(
                select(EodStepRun.detail).where(
                    EodStepRun.run_id == run_id,
                    EodStepRun.step == item.name,
                    EodStepRun.status == "completed",
                )
            )
        if done is not None:
            outcomes.append(StepOutcome(item.name, "skipped", done))
            continue
        try:
            with db.transaction() as session:
                institution = session.get(Institution, institution_id)
                assert institution is not None
                detail = item.function(session, institution, date) or {}
                previous = session.scalar(
                    select(EodStepRun).where(
                        EodStepRun.run_id == run_id, EodStepRun.step == item.name
                    )
                )
                if previous is None:
                    previous = EodStepRun(
                        run_id=run_id, seq=seq, step=item.name, status="completed"
                    )
                    session.add(previous)
                previous.status = "completed"
                previous.detail = detail
                previous.error = ""
                previous.finished_at = utcnow()
            outcomes.append(StepOutcome(item.name, "completed", detail))
        except Exception as exc:  # a failing step is recorded, the run stops, resume later
            message = f"{type(exc).__name__}: {exc}"
            with db.transaction() as session:
                failed = session.scalar(
                    select(EodStepRun).where(
                        EodStepRun.run_id == run_id, EodStepRun.step == item.name
                    )
                )
                if failed is None:
                    failed = EodStepRun(run_id=run_id, seq=seq, step=item.name, status="failed")
                    session.add(failed)
                failed.status = "failed"
                failed.error = message[:2000]
                failed.finished_at = utcnow()
                run_row = session.get(EodRun, run_id)
                assert run_row is not None
                run_row.status = "failed"
                audit.record(
                    session,
                    actor,
                    "eod.step_failed",
                    f"institution:{code}",
                    reason=f"{date} {item.name}: {message[:500]}",
                )
            outcomes.append(StepOutcome(item.name, "failed", {}, message))
            return RunOutcome(code, date, "failed", outcomes)

    with db.transaction() as session:
        run_row = session.get(EodRun, run_id)
        assert run_row is not None
        run_row.status = "completed"
        run_row.finished_at = utcnow()
        current = session.get(BusinessDate, institution_id)
        assert current is not None
        before = current.business_date
        current.business_date = date + dt.timedelta(days=1)
        audit.record(
            session,
            actor,
            "eod.complete",
            f"institution:{code}",
            before=str(before),
            after=str(current.business_date),
        )
    return RunOutcome(code, date, "completed", outcomes)


# Modules that register day-end steps when imported; a capability adds its module here.
STEP_MODULES = [
    "techfin.services.ip_pledges",
    "techfin.services.origination",
    "techfin.services.recognition",
    "techfin.services.servicing_monitoring",
]


def _load_steps() -> None:
    """Import the modules that register day-end steps (each registers on import)."""
    for name in STEP_MODULES:
        importlib.import_module(name)


def run(
    db: Database,
    actor: Actor,
    date: dt.date,
    institution_code: str | None = None,
    registry: Registry = REGISTRY,
) -> list[RunOutcome]:
    """Run day-end for `date` for one institution, or for all institutions."""
    if registry is REGISTRY:
        _load_steps()
    with db.read() as session:
        query = select(Institution.id).order_by(Institution.code)
        if institution_code:
            query = query.where(Institution.code == institution_code)
        ids = list(session.scalars(query))
    if institution_code and not ids:
        raise NotFound(f"no institution {institution_code}", field="institution")
    return [_run_one(db, actor, iid, date, registry) for iid in ids]


# --- the platform's own steps ----------------------------------------------------------------


@step("consents.expiry_notice", order=10)
def _consents_expiring(session: Session, institution: Institution, date: dt.date) -> dict[str, Any]:
    """Count consents granted to the institution that expire within 30 days (to renew in time)."""
    soon = date + dt.timedelta(days=30)
    count = session.scalar(
        select(func.count(Consent.id)).where(
            Consent.grantee_institution_id == institution.id,
            Consent.revoked_at.is_(None),
            Consent.expires_on >= date,
            Consent.expires_on <= soon,
        )
    )
    return {"expiring_within_30_days": int(count or 0)}


@step("audit.checkpoint", order=1000)
def _audit_checkpoint(session: Session, institution: Institution, date: dt.date) -> dict[str, Any]:
    """Record the audit chain's head so a later edit can be dated to after this day-end."""
    head = session.get(AuditHead, 1)
    return {"seq": head.seq if head else 0, "hash": head.entry_hash if head else ""}
