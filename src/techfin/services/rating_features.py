"""Rating features from the hub (issue 5 item 1): read an enterprise's shared records under
consent and compute the catalogue with the pure `techfin.enterprises.features`.

Reading shared data goes through `consent.checked_read` (purpose `credit_assessment`), which
logs the access. Patent-quality cohorts are built from every granted invention in the hub
(filing year × IPC section) — an aggregate reference distribution of public register facts;
nothing identifying another enterprise leaves this module.

Where the IP platform has loaded legal events for a patent, its legal state, remaining life
and high-value flag come from `techfin.ip.status` on those events; otherwise from the hub's
patent record (`patents.status`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from techfin.enterprises import features as F
from techfin.services import consent
from techfin.services.authz import require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import NotFound
from techfin.store.db import Database
from techfin.store.tables import (
    AnnualFinancials,
    Consent,
    CourtRecord,
    CreditRegisterLoan,
    CustomsRecord,
    Enterprise,
    FundingRound,
    GrantedTitle,
    Institution,
    Patent,
    SocialSecurityRecord,
    TaxRecord,
    UtilityRecord,
)

READERS = (
    Role.ACCOUNT_MANAGER,
    Role.REVIEWER,
    Role.APPROVER,
    Role.RISK_MANAGER,
    Role.ADMIN,
)

_COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "financials": (
        AnnualFinancials,
        (
            "year",
            "revenue",
            "net_profit",
            "total_assets",
            "total_liabilities",
            "rd_expense",
            "employees",
            "tech_staff",
        ),
    ),
    "social_security": (SocialSecurityRecord, ("quarter", "insured_staff")),
    "tax": (TaxRecord, ("quarter", "vat", "cit", "declared_revenue", "tax_credit_grade")),
    "customs": (CustomsRecord, ("quarter", "exports", "imports")),
    "utility": (UtilityRecord, ("quarter", "power_kwh", "water_m3")),
    "funding_rounds": (FundingRound, ("stage", "closed_on", "amount", "lead_investor")),
    "credit_loans": (
        CreditRegisterLoan,
        ("lender", "balance", "classification", "overdue_days", "opened_on", "matures_on"),
    ),
    "court": (CourtRecord, ("kind", "case_no", "filed_on", "amount", "status")),
    "titles": (GrantedTitle, ("title", "valid_from", "valid_to")),
}

PATENT_COLUMNS = (
    "number",
    "kind",
    "filed_on",
    "granted_on",
    "status",
    "ipc",
    "claims",
    "forward_citations",
)


def _dicts(rows: Iterable[Any], cols: Sequence[str]) -> list[dict[str, Any]]:
    return [{c: getattr(r, c) for c in cols} for r in rows]


def _ip_tables() -> tuple[Any, Any] | None:
    """The IP platform's legal events and profiles, when that module is installed."""
    try:
        from techfin.store.tables_ip import IpLegalEvent, IpPatentProfile
    except ImportError:  # pragma: no cover - the IP platform ships with techfin
        return None
    return IpLegalEvent, IpPatentProfile


def _families(session: Session, patent_ids: Sequence[int] | None = None) -> dict[int, int]:
    ip = _ip_tables()
    if ip is None:
        return {}
    _, profile = ip
    q = select(profile.patent_id, profile.family)
    if patent_ids is not None:
        q = q.where(profile.patent_id.in_(patent_ids))
    return {pid: len(fam) for pid, fam in session.execute(q) if fam}


def patent_facts_for(
    session: Session, rows: Sequence[Patent], as_of: dt.date
) -> list[F.PatentFacts]:
    """The enterprise's patents; legal state from the IP platform's events when it has any."""
    ids = [r.id for r in rows]
    families = _families(session, ids)
    with_events: set[int] = set()
    ip = _ip_tables()
    if ip is not None and ids:
        event = ip[0]
        with_events = set(
            session.scalars(select(event.patent_id).where(event.patent_id.in_(ids)).distinct())
        )
    out = []
    for row in rows:
        base = {c: getattr(row, c) for c in PATENT_COLUMNS}
        base["family_size"] = families.get(row.id)
        facts = F.patent_facts(base, as_of)
        if row.id in with_events:
            from dataclasses import replace

            from techfin.ip.status import derive_status, high_value
            from techfin.services.ip_registry import load_domain

            patent, events = load_domain(session, row)
            status = derive_status(patent, events, as_of)
            facts = replace(
                facts,
                in_force=status.in_force,
                remaining_years=status.remaining_years if status.in_force else None,
                high_value=high_value(patent, events, as_of).high_value,
            )
        out.append(facts)
    return out


def build_cohorts(
    session: Session, as_of: dt.date, years: Iterable[int] | None = None
) -> F.Cohorts:
    """Every granted invention in the hub filed by `as_of` (only in the filing `years` given,
    when given), as the cohort reference."""
    q = select(Patent.id, *[getattr(Patent, c) for c in PATENT_COLUMNS]).where(
        Patent.kind == "invention", Patent.granted_on.is_not(None), Patent.filed_on <= as_of
    )
    if years is not None:
        wanted = sorted(set(years))
        if not wanted:
            return F.Cohorts()
        q = q.where(
            or_(*[Patent.filed_on.between(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in wanted])
        )
    rows = session.execute(q).all()
    families = _families(session)
    facts = []
    for r in rows:
        d = {c: getattr(r, c) for c in PATENT_COLUMNS}
        d["family_size"] = families.get(r.id)
        facts.append(F.patent_facts(d, as_of))
    return F.Cohorts.build(facts)


def known_investors(session: Session) -> frozenset[str]:
    """Codes and names of the platform's investor and government-fund institutions."""
    rows = session.execute(
        select(Institution.code, Institution.name).where(
            Institution.kind.in_(("investor", "government_fund"))
        )
    )
    return frozenset(x for code, name in rows for x in (code, name) if x)


def load_records(session: Session, enterprise: Enterprise, as_of: dt.date) -> F.EnterpriseRecords:
    parts: dict[str, Any] = {}
    for key, (table, cols) in _COLUMNS.items():
        rows = session.scalars(
            select(table).where(table.enterprise_id == enterprise.id).order_by(table.id)
        )
        parts[key] = _dicts(rows, cols)
    patents = session.scalars(
        select(Patent).where(Patent.enterprise_id == enterprise.id).order_by(Patent.id)
    ).all()
    return F.EnterpriseRecords(
        registered_on=enterprise.registered_on,
        known_investors=known_investors(session),
        patents=patent_facts_for(session, patents, as_of),
        **parts,
    )


def features_in_session(
    session: Session,
    actor: Actor,
    enterprise_id: int,
    as_of: dt.date,
    cohorts: F.Cohorts | None = None,
    *,
    what: str = "rating features",
) -> F.FeatureSet:
    """Check consent (logged), read the records and compute the features, in the caller's
    transaction."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("enterprise not found")
    if not actor.is_system:  # the operator at the command line reads as the hub itself
        consent.checked_read(session, actor, enterprise_id, consent.Purpose.CREDIT_ASSESSMENT, what)
    records = load_records(session, enterprise, as_of)
    if cohorts is None:  # one enterprise: only the cohorts of its own inventions
        years = {p.filed_on.year for p in records.patents if p.kind == "invention"}
        cohorts = build_cohorts(session, as_of, years)
    return F.compute_features(records, as_of, cohorts)


def enterprise_features(
    db: Database, actor: Actor, enterprise_id: int, as_of: dt.date | None = None
) -> dict[str, Any]:
    """The catalogue's features for one enterprise (consent needed; the read is logged)."""
    require_role(actor, READERS, "computing rating features")
    day = as_of or dt.date.today()
    with db.transaction() as session:
        fs = features_in_session(session, actor, enterprise_id, day)
        return {"enterprise_id": enterprise_id, **fs.to_dict()}


def all_features(db: Database, actor: Actor, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Features of every enterprise the caller may read: those with a live credit-assessment
    consent to the caller's institution (the system operator: all). Cohorts are built once."""
    require_role(actor, READERS, "computing rating features")
    day = as_of or dt.date.today()
    with db.transaction() as session:
        if actor.is_system:
            ids = list(session.scalars(select(Enterprise.id).order_by(Enterprise.id)))
        else:
            ids = sorted(
                set(
                    session.scalars(
                        select(Consent.enterprise_id).where(
                            Consent.grantee_institution_id == actor.institution_id,
                            Consent.purpose == consent.Purpose.CREDIT_ASSESSMENT.value,
                            Consent.revoked_at.is_(None),
                            Consent.expires_on >= day,
                        )
                    )
                )
            )
        cohorts = build_cohorts(session, day)
        out = []
        for eid in ids:
            fs = features_in_session(session, actor, eid, day, cohorts)
            out.append({"enterprise_id": eid, **fs.to_dict()})
        return out


def catalogue() -> dict[str, Any]:
    return {
        "version": F.catalogue_version(),
        "features": [e.to_dict() for e in F.catalogue()],
        "extra": [e.to_dict() for e in F.extra_catalogue()],
    }
