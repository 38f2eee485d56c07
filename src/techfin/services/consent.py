"""Consent (guidance art. 16): an enterprise grants an institution the use of its shared data
for a purpose until an expiry, and can revoke it. Every read of shared data checks a live
consent and is logged (who, what, when, purpose); the enterprise sees that log.

Basic registry facts (name, credit code, industry, area, registration date) are public in
China (National Enterprise Credit Information Publicity System) and need no consent; everything
else the hub holds — financials, social security, tax, customs, utilities, patents held,
funding, the credit register — does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.services import audit
from techfin.services.authz import require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import ConsentRequired, Forbidden, NotFound, ValidationFailed
from techfin.store.db import Database
from techfin.store.tables import Consent, DataAccess, Enterprise, Institution, User, utcnow

MAX_CONSENT = dt.timedelta(days=3 * 366)


class Purpose(StrEnum):
    CREDIT_ASSESSMENT = "credit_assessment"
    POST_LOAN_MONITORING = "post_loan_monitoring"
    INSURANCE_UNDERWRITING = "insurance_underwriting"
    GUARANTEE = "guarantee"
    INVESTMENT = "investment"


@dataclass(frozen=True)
class ConsentView:
    id: int
    enterprise_id: int
    enterprise_name: str
    grantee: str
    grantee_name: str
    purpose: str
    granted_at: dt.datetime
    expires_on: dt.date
    revoked_at: dt.datetime | None
    live: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _view(session: Session, consent: Consent, today: dt.date) -> ConsentView:
    institution = session.get(Institution, consent.grantee_institution_id)
    assert institution is not None
    enterprise = session.get(Enterprise, consent.enterprise_id)
    return ConsentView(
        id=consent.id,
        enterprise_id=consent.enterprise_id,
        enterprise_name=enterprise.name if enterprise else "",
        grantee=institution.code,
        grantee_name=institution.name,
        purpose=consent.purpose,
        granted_at=consent.granted_at,
        expires_on=consent.expires_on,
        revoked_at=consent.revoked_at,
        live=consent.revoked_at is None and consent.expires_on >= today,
    )


def _own_enterprise(actor: Actor, enterprise_id: int) -> None:
    if actor.is_system:
        return
    if actor.role is not Role.ENTERPRISE or actor.enterprise_id != enterprise_id:
        raise Forbidden("only the enterprise itself grants or revokes consent to its data")


def parse_purpose(purpose: str) -> Purpose:
    try:
        return Purpose(purpose)
    except ValueError as exc:
        allowed = ", ".join(p.value for p in Purpose)
        raise ValidationFailed(f"purpose must be one of {allowed}", field="purpose") from exc


def grant(
    db: Database,
    actor: Actor,
    *,
    enterprise_id: int,
    grantee_code: str,
    purpose: str,
    expires_on: dt.date,
    today: dt.date | None = None,
) -> ConsentView:
    today = today or dt.date.today()
    _own_enterprise(actor, enterprise_id)
    purpose_value = parse_purpose(purpose)
    if expires_on <= today:
        raise ValidationFailed("expiry must be after today", field="expires_on")
    if expires_on - today > MAX_CONSENT:
        raise ValidationFailed("a consent lasts at most three years", field="expires_on")
    with db.transaction() as session:
        if session.get(Enterprise, enterprise_id) is None:
            raise NotFound("enterprise not found")
        grantee = session.scalar(select(Institution).where(Institution.code == grantee_code))
        if grantee is None:
            raise ValidationFailed(f"no institution {grantee_code}", field="grantee")
        consent = Consent(
            enterprise_id=enterprise_id,
            grantee_institution_id=grantee.id,
            purpose=purpose_value.value,
            granted_by_user_id=actor.user_id or None,
            expires_on=expires_on,
        )
        session.add(consent)
        session.flush()
        audit.record(
            session,
            actor,
            "consent.grant",
            f"enterprise:{enterprise_id}",
            reason=purpose_value.value,
            after={"grantee": grantee_code, "purpose": purpose_value.value, "until": expires_on},
        )
        return _view(session, consent, today)


def revoke(db: Database, actor: Actor, consent_id: int, reason: str = "") -> ConsentView:
    with db.transaction() as session:
        consent = session.get(Consent, consent_id)
        if consent is None:
            raise NotFound("consent not found")
        _own_enterprise(actor, consent.enterprise_id)
        if consent.revoked_at is not None:
            return _view(session, consent, dt.date.today())
        consent.revoked_at = utcnow()
        consent.revoked_reason = reason
        audit.record(
            session,
            actor,
            "consent.revoke",
            f"consent:{consent_id}",
            reason=reason,
            before="live",
            after="revoked",
        )
        return _view(session, consent, dt.date.today())


def list_for_enterprise(db: Database, actor: Actor, enterprise_id: int) -> list[ConsentView]:
    _own_enterprise(actor, enterprise_id)
    today = dt.date.today()
    with db.read() as session:
        rows = session.scalars(
            select(Consent).where(Consent.enterprise_id == enterprise_id).order_by(Consent.id)
        )
        return [_view(session, c, today) for c in rows]


def list_for_institution(db: Database, actor: Actor) -> list[ConsentView]:
    """Consents granted to the caller's institution."""
    today = dt.date.today()
    with db.read() as session:
        rows = session.scalars(
            select(Consent)
            .where(Consent.grantee_institution_id == actor.institution_id)
            .order_by(Consent.id.desc())
        )
        return [_view(session, c, today) for c in rows]


def live_consent(
    session: Session, actor: Actor, enterprise_id: int, purpose: Purpose, today: dt.date
) -> Consent:
    consent = session.scalar(
        select(Consent)
        .where(
            Consent.enterprise_id == enterprise_id,
            Consent.grantee_institution_id == actor.institution_id,
            Consent.purpose == purpose.value,
            Consent.revoked_at.is_(None),
            Consent.expires_on >= today,
        )
        .order_by(Consent.expires_on.desc())
    )
    if consent is None:
        raise ConsentRequired(
            f"no live consent from enterprise {enterprise_id} to {actor.institution_code} "
            f"for {purpose.value}",
            field="purpose",
        )
    return consent


def checked_read(
    session: Session,
    actor: Actor,
    enterprise_id: int,
    purpose: Purpose,
    what: str,
    today: dt.date | None = None,
) -> Consent | None:
    """Check consent for a read of shared data and log it, in the caller's transaction.

    The enterprise reading its own data needs no consent and is not logged as a third party.
    """
    if actor.role is Role.ENTERPRISE and actor.enterprise_id == enterprise_id:
        return None
    require_role(
        actor,
        [
            Role.ACCOUNT_MANAGER,
            Role.REVIEWER,
            Role.APPROVER,
            Role.RISK_MANAGER,
            Role.UNDERWRITER,
            Role.EXPERT,
            Role.ADMIN,
        ],
        "reading an enterprise's shared data",
    )
    consent = live_consent(session, actor, enterprise_id, purpose, today or dt.date.today())
    session.add(
        DataAccess(
            enterprise_id=enterprise_id,
            user_id=actor.user_id,
            actor=actor.username,
            institution_id=actor.institution_id,
            consent_id=consent.id,
            purpose=purpose.value,
            what=what,
        )
    )
    return consent


def system_read(
    session: Session,
    *,
    institution_id: int,
    enterprise_id: int,
    purpose: Purpose,
    what: str,
    on: dt.date,
    job: str,
) -> Consent | None:
    """A system job (day-end) reading shared data for an institution: needs that institution's
    live consent like a person would, and is logged under the job's name. Returns None (and
    reads nothing) when there is no live consent."""
    consent = session.scalar(
        select(Consent)
        .where(
            Consent.enterprise_id == enterprise_id,
            Consent.grantee_institution_id == institution_id,
            Consent.purpose == purpose.value,
            Consent.revoked_at.is_(None),
            Consent.expires_on >= on,
        )
        .order_by(Consent.expires_on.desc())
    )
    if consent is None:
        return None
    session.add(
        DataAccess(
            enterprise_id=enterprise_id,
            user_id=None,
            actor=f"system:{job}",
            institution_id=institution_id,
            consent_id=consent.id,
            purpose=purpose.value,
            what=what,
        )
    )
    return consent


@dataclass(frozen=True)
class AccessView:
    at: dt.datetime
    user: str
    institution: str
    purpose: str
    what: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def access_log(
    db: Database, actor: Actor, enterprise_id: int, limit: int = 200
) -> list[AccessView]:
    """Who read the enterprise's shared data; visible to the enterprise itself."""
    _own_enterprise(actor, enterprise_id)
    with db.read() as session:
        rows = session.execute(
            select(DataAccess, User.username, Institution.code)
            .outerjoin(User, User.id == DataAccess.user_id)
            .join(Institution, Institution.id == DataAccess.institution_id)
            .where(DataAccess.enterprise_id == enterprise_id)
            .order_by(DataAccess.id.desc())
            .limit(limit)
        )
        return [AccessView(a.at, u or a.actor, c, a.purpose, a.what) for a, u, c in rows]
