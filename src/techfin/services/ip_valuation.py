"""IP platform, item 3: the library of valuation agencies, and valuations ordered by a bank.

A valuation is ordered from an agency in the library, or done internally where the policy
allows it (exposure below `valuation.internal_max_exposure` in `ip_policy.yaml`). An agency
with a declared conflict with the pledgor or the bank, one out of qualification, or one that
has valued the same enterprise for the bank the policy's maximum number of times in a row
(rotation) cannot be assigned. Reviewing experts are drawn from the shared registry
(`techfin.services.experts`), which honours their declared conflicts. The report (method,
inputs, result with its working and sensitivity) is computed by `techfin.ip.valuation`;
acceptance is maker-checker: whoever recorded the report can never accept it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from techfin.ip import valuation as ipv
from techfin.ip.status import derive_status
from techfin.money import cents
from techfin.services import audit, experts
from techfin.services.authz import owned, require_role
from techfin.services.context import Actor, InstitutionKind, Role
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.services.ip_registry import find_patent, ip_policy, load_domain, policy_version
from techfin.store.db import Database
from techfin.store.tables import Institution, utcnow
from techfin.store.tables import Patent as PatentRow
from techfin.store.tables_ip import IpAgency, IpAgencyConflict, IpAgencyTrack, IpValuation

BANK_MAKERS = (Role.ACCOUNT_MANAGER, Role.RISK_MANAGER)
CHECKERS = (Role.APPROVER, Role.RISK_MANAGER, Role.REVIEWER)
METHODS: dict[str, Callable[..., ipv.Valuation]] = {
    "relief_from_royalty": ipv.relief_from_royalty,
    "income_share": ipv.income_share,
    "cost_approach": ipv.cost_approach,
    "market_approach": ipv.market_approach,
    "real_option": ipv.real_option,
}
INCOME_METHODS = ("relief_from_royalty", "income_share")


def _library_admin(actor: Actor) -> None:
    require_role(actor, [Role.ADMIN], "maintaining the agency library")
    if not actor.is_system and actor.institution_code != "HUB":
        raise Forbidden("the agency library is kept by the information hub's administrators")


# --- the library ---------------------------------------------------------------------------


def add_agency(
    db: Database,
    actor: Actor,
    *,
    institution_code: str,
    qualification: str,
    fields: list[str],
    qualification_no: str = "",
    qualified_until: dt.date | None = None,
) -> dict[str, Any]:
    """Put an institution of kind `valuation_agency` in the library."""
    _library_admin(actor)
    if not qualification.strip():
        raise ValidationFailed("qualification is required", field="qualification")
    with db.transaction() as session:
        inst = session.scalar(select(Institution).where(Institution.code == institution_code))
        if inst is None:
            raise ValidationFailed(f"no institution {institution_code}", field="institution_code")
        if inst.kind != InstitutionKind.VALUATION_AGENCY.value:
            raise ValidationFailed(
                f"{institution_code} is a {inst.kind}, not a valuation_agency",
                field="institution_code",
            )
        if session.scalar(select(IpAgency).where(IpAgency.institution_id == inst.id)):
            raise Conflict(
                f"{institution_code} is already in the library", field="institution_code"
            )
        agency = IpAgency(
            institution_id=inst.id,
            qualification=qualification.strip(),
            qualification_no=qualification_no,
            qualified_until=qualified_until,
            fields=list(fields),
        )
        session.add(agency)
        session.flush()
        audit.record(
            session,
            actor,
            "ip.add_agency",
            f"agency:{agency.id}",
            after={"institution": institution_code, "qualification": qualification},
        )
        return _agency_dict(session, agency)


def declare_agency_conflict(
    db: Database,
    actor: Actor,
    *,
    agency_id: int,
    reason: str,
    enterprise_id: int | None = None,
    institution_id: int | None = None,
) -> None:
    """A conflict of interest of an agency (with an enterprise or an institution)."""
    require_role(actor, [Role.ADMIN], "declaring an agency's conflict of interest")
    if enterprise_id is None and institution_id is None:
        raise ValidationFailed("name the enterprise or institution", field="enterprise_id")
    if not reason.strip():
        raise ValidationFailed("a conflict needs a reason", field="reason")
    with db.transaction() as session:
        agency = session.get(IpAgency, agency_id)
        if agency is None:
            raise NotFound("agency not found")
        own = actor.institution_id == agency.institution_id
        if not (actor.is_system or actor.institution_code == "HUB" or own):
            raise NotFound("agency not found")
        session.add(
            IpAgencyConflict(
                agency_id=agency_id,
                enterprise_id=enterprise_id,
                institution_id=institution_id,
                reason=reason.strip(),
            )
        )
        audit.record(
            session,
            actor,
            "ip.declare_agency_conflict",
            f"agency:{agency_id}",
            reason=reason,
            after={"enterprise": enterprise_id, "institution": institution_id},
        )


def _accuracy(session: Session, agency_id: int) -> dict[str, Any]:
    rows = session.scalars(select(IpAgencyTrack).where(IpAgencyTrack.agency_id == agency_id)).all()
    errors = [abs(r.realised - r.valued) / r.valued for r in rows if r.valued > 0]
    mean = (sum(errors, Decimal(0)) / len(errors)).quantize(Decimal("0.0001")) if errors else None
    return {"outcomes": len(rows), "mean_abs_error": None if mean is None else str(mean)}


def _agency_dict(session: Session, agency: IpAgency) -> dict[str, Any]:
    inst = session.get(Institution, agency.institution_id)
    return {
        "id": agency.id,
        "institution_code": inst.code if inst else "",
        "name": inst.name if inst else "",
        "qualification": agency.qualification,
        "qualification_no": agency.qualification_no,
        "qualified_until": agency.qualified_until.isoformat() if agency.qualified_until else None,
        "fields": list(agency.fields or []),
        "active": agency.active,
        "accuracy": _accuracy(session, agency.id),
    }


def list_agencies(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The library, with each agency's past accuracy (|realised − valued| ÷ valued)."""
    with db.read() as session:
        rows = session.scalars(select(IpAgency).order_by(IpAgency.id)).all()
        return [_agency_dict(session, a) for a in rows]


def record_agency_outcome(
    session: Session,
    agency_id: int,
    valuation_id: int | None,
    valued: Decimal,
    realised: Decimal,
    on: dt.date,
    source: str,
) -> None:
    session.add(
        IpAgencyTrack(
            agency_id=agency_id,
            valuation_id=valuation_id,
            valued=valued,
            realised=realised,
            realised_on=on,
            source=source,
        )
    )


def agency_refusals(
    session: Session,
    agency: IpAgency,
    *,
    enterprise_id: int | None,
    institution_id: int,
    field: str | None,
    on: dt.date,
) -> list[str]:
    """Why this agency cannot be assigned (empty: it can)."""
    out: list[str] = []
    if not agency.active:
        out.append("agency is not active")
    if agency.qualified_until is not None and agency.qualified_until < on:
        out.append(f"qualification expired on {agency.qualified_until}")
    if field and field not in (agency.fields or []):
        out.append(f"agency does not cover the field {field}")
    scope = [IpAgencyConflict.institution_id == institution_id]
    if enterprise_id is not None:
        scope.append(IpAgencyConflict.enterprise_id == enterprise_id)
    conflict = session.scalar(
        select(IpAgencyConflict).where(IpAgencyConflict.agency_id == agency.id, or_(*scope))
    )
    if conflict is not None:
        out.append(f"conflict of interest: {conflict.reason}")
    limit = int(ip_policy()["valuation"]["max_consecutive_same_agency"])
    if enterprise_id is not None:
        recent = session.scalars(
            select(IpValuation.agency_id)
            .where(
                IpValuation.institution_id == institution_id,
                IpValuation.enterprise_id == enterprise_id,
                IpValuation.status == "accepted",
            )
            .order_by(IpValuation.id.desc())
            .limit(limit)
        ).all()
        if len(recent) == limit and all(a == agency.id for a in recent):
            out.append(
                f"rotation: this agency made the last {limit} valuations of the enterprise "
                f"for this bank (policy {policy_version()})"
            )
    return out


# --- valuations -----------------------------------------------------------------------------


def _valuation_dict(session: Session, v: IpValuation) -> dict[str, Any]:
    patent = session.get(PatentRow, v.patent_id)
    return {
        "id": v.id,
        "patent": patent.number if patent else None,
        "mode": v.mode,
        "agency_id": v.agency_id,
        "expert_ids": list(v.expert_ids or []),
        "exposure": str(cents(v.exposure)),
        "status": v.status,
        "method": v.method,
        "inputs": dict(v.inputs or {}),
        "result": dict(v.result or {}),
        "value": None if v.value is None else str(cents(v.value)),
        "collateral_basis": v.collateral_basis,
        "valued_on": v.valued_on.isoformat() if v.valued_on else None,
        "policy_version": v.policy_version,
        "ordered_by": v.ordered_by,
        "prepared_by": v.prepared_by,
        "decided_by": v.decided_by,
        "decision_reason": v.decision_reason,
    }


def order_valuation(
    db: Database,
    actor: Actor,
    *,
    patent: str,
    exposure: Decimal,
    mode: str,
    on: dt.date,
    agency_id: int | None = None,
    field: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Order a valuation of `patent` securing `exposure` yuan, from an agency or internally."""
    require_role(actor, BANK_MAKERS, "ordering a valuation")
    if actor.institution_id is None:
        raise Forbidden("a valuation is ordered by an institution's user")
    if exposure <= 0:
        raise ValidationFailed("exposure must be positive", field="exposure")
    settings = ip_policy()["valuation"]
    if mode not in ("agency", "internal"):
        raise ValidationFailed("mode must be agency or internal", field="mode")
    threshold = Decimal(str(settings["internal_max_exposure"]))
    if mode == "internal" and exposure >= threshold:
        raise ValidationFailed(
            f"an internal valuation is allowed below {threshold} yuan of exposure "
            f"({policy_version()}); order one from an agency",
            field="mode",
        )
    if mode == "agency" and agency_id is None:
        raise ValidationFailed("name the agency", field="agency_id")
    with db.read() as session:
        row = find_patent(session, patent)
        enterprise_id = row.enterprise_id
    count = int(settings["experts_per_valuation"])
    drawn = (
        experts.draw(
            db,
            kind=str(settings["expert_kind"]),
            field=field,
            enterprise_id=enterprise_id if enterprise_id is not None else -1,
            institution_id=actor.institution_id,
            count=count,
            seed=seed,
        )
        if count > 0
        else []
    )
    with db.transaction() as session:
        row = find_patent(session, patent)
        if mode == "agency":
            agency = session.get(IpAgency, agency_id)
            if agency is None:
                raise ValidationFailed(f"no agency {agency_id} in the library", field="agency_id")
            refusals = agency_refusals(
                session,
                agency,
                enterprise_id=row.enterprise_id,
                institution_id=actor.institution_id,
                field=field,
                on=on,
            )
            if refusals:
                raise ValidationFailed(
                    "this agency cannot be assigned: " + "; ".join(refusals), field="agency_id"
                )
        valuation = IpValuation(
            institution_id=actor.institution_id,
            patent_id=row.id,
            enterprise_id=row.enterprise_id,
            mode=mode,
            agency_id=agency_id if mode == "agency" else None,
            expert_ids=[x.id for x in drawn],
            exposure=exposure,
            status="ordered",
            policy_version=policy_version(),
            ordered_by=actor.user_id or None,
        )
        session.add(valuation)
        session.flush()
        audit.record(
            session,
            actor,
            "ip.order_valuation",
            f"valuation:{valuation.id}",
            after={"patent": row.number, "mode": mode, "agency": agency_id, "exposure": exposure},
        )
        return _valuation_dict(session, valuation)


def _plain(value: Any, path: str) -> Any:
    """JSON inputs: numbers as decimal strings or integers; floats are refused."""
    if isinstance(value, float):
        raise ValidationFailed(
            f'{path}: give numbers as decimal strings (e.g. "0.05"), not floats', field=path
        )
    if isinstance(value, list):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{path}.{k}") for k, v in value.items()}
    return value


def _owned(session: Session, actor: Actor, valuation_id: int) -> IpValuation:
    v = session.get(IpValuation, valuation_id)
    if v is None:
        raise NotFound("valuation not found")
    if actor.is_system or actor.institution_id == v.institution_id:
        return v
    if v.agency_id is not None:
        agency = session.get(IpAgency, v.agency_id)
        if agency is not None and agency.institution_id == actor.institution_id:
            return v
    raise NotFound("valuation not found")


def submit_report(
    db: Database,
    actor: Actor,
    valuation_id: int,
    *,
    method: str,
    inputs: dict[str, Any],
    valued_on: dt.date,
) -> dict[str, Any]:
    """Record the report (the maker): computed by `techfin.ip.valuation`. Income forecasts are
    cut to the remaining legal life on `valued_on` (economic life ≤ legal life)."""
    if method not in METHODS:
        raise ValidationFailed(f"method must be one of {', '.join(METHODS)}", field="method")
    clean = _plain(inputs, "inputs")
    with db.transaction() as session:
        v = _owned(session, actor, valuation_id)
        if actor.institution_id == v.institution_id:
            # The bank's own maker (internal valuation, or keying in the agency's report).
            require_role(actor, BANK_MAKERS, "recording a valuation report")
        if v.status != "ordered":
            raise Conflict(f"valuation {valuation_id} is {v.status}, not ordered", field="status")
        row = session.get(PatentRow, v.patent_id)
        assert row is not None
        patent, events = load_domain(session, row)
        status = derive_status(patent, events, valued_on)
        notes: list[str] = []
        if method in INCOME_METHODS and "revenues" in clean:
            original = [Decimal(str(x)) for x in clean["revenues"]]
            capped = ipv.cap_to_legal_life(original, status.remaining_years)
            clean = {**clean, "revenues": [str(x) for x in capped]}
            if list(capped) != original:
                notes.append(
                    f"forecast cut to the remaining legal life of {status.remaining_years} years"
                )
        try:
            result = METHODS[method](**clean)
        except TypeError as exc:
            raise ValidationFailed(f"inputs for {method}: {exc}", field="inputs") from exc
        except (ValueError, ArithmeticError) as exc:
            raise ValidationFailed(f"inputs for {method}: {exc}", field="inputs") from exc
        body = result.to_dict()
        body["platform_notes"] = notes
        body["remaining_years"] = str(status.remaining_years)
        v.method = method
        v.inputs = _plain(inputs, "inputs")
        v.result = body
        v.value = result.value
        v.collateral_basis = result.collateral_basis
        v.valued_on = valued_on
        v.status = "submitted"
        v.prepared_by = actor.user_id or None
        audit.record(
            session,
            actor,
            "ip.submit_valuation",
            f"valuation:{v.id}",
            after={"method": method, "value": result.value, "valued_on": valued_on},
        )
        return _valuation_dict(session, v)


def decide_valuation(
    db: Database, actor: Actor, valuation_id: int, *, accept: bool, reason: str
) -> dict[str, Any]:
    """The checker accepts or rejects a submitted report; the maker never can."""
    require_role(actor, CHECKERS, "accepting a valuation")
    if not reason.strip():
        raise ValidationFailed("give a reason", field="reason")
    with db.transaction() as session:
        v = owned(session, actor, IpValuation, valuation_id, "valuation")
        if v.status != "submitted":
            raise Conflict(f"valuation {valuation_id} is {v.status}, not submitted", field="status")
        if v.prepared_by is not None and v.prepared_by == actor.user_id:
            raise Forbidden("maker-checker: whoever recorded the report cannot decide on it")
        before = v.status
        v.status = "accepted" if accept else "rejected"
        v.decided_by = actor.user_id or None
        v.decided_at = utcnow()
        v.decision_reason = reason.strip()
        audit.record(
            session,
            actor,
            "ip.accept_valuation" if accept else "ip.reject_valuation",
            f"valuation:{v.id}",
            reason=reason,
            before=before,
            after={"status": v.status, "value": v.value},
        )
        return _valuation_dict(session, v)


def valuation_detail(db: Database, actor: Actor, valuation_id: int) -> dict[str, Any]:
    with db.read() as session:
        return _valuation_dict(session, _owned(session, actor, valuation_id))


def valuations_of_patent(session: Session, actor: Actor, patent_id: int) -> list[dict[str, Any]]:
    """The caller's institution's valuations of the patent, newest first."""
    if actor.institution_id is None and not actor.is_system:
        return []
    query = select(IpValuation).where(IpValuation.patent_id == patent_id)
    if not actor.is_system:
        query = query.where(IpValuation.institution_id == actor.institution_id)
    rows = session.scalars(query.order_by(IpValuation.id.desc())).all()
    return [_valuation_dict(session, v) for v in rows]


def latest_accepted(session: Session, institution_id: int, patent_id: int) -> IpValuation | None:
    """The institution's latest accepted valuation of the patent that can be a collateral basis."""
    return session.scalar(
        select(IpValuation)
        .where(
            IpValuation.institution_id == institution_id,
            IpValuation.patent_id == patent_id,
            IpValuation.status == "accepted",
            IpValuation.collateral_basis.is_(True),
        )
        .order_by(IpValuation.valued_on.desc(), IpValuation.id.desc())
    )
