"""IP platform, items 4 and 5: pledge contracts over patent pools, their registration with the
patent office, collateral value and LTV; the day-end monitor and the risk manager's alert queue.

A pledge contract (`draft`) covers one or more patents (a pool) and secures one or more loans or
credit lines, named by an opaque reference (origination owns the loans). Applying for
registration runs `techfin.ip.pledge.registration_refusals` for each patent — the office's §11
reasons — and the bank's own `policy_exceptions`: a refusal reason makes the application
`refused` at once; otherwise it is `applied` until the office's answer is recorded
(`registered` with number and date, or `refused`), and a registered pledge is later `released`.
Only a registered pledge is effective collateral: before that its items count at zero.

The day-end step `ip.monitoring` runs `techfin.ip.monitor.monitor_pool` over every registered
pledge of the institution and stores each alert once (keyed by subject, kind and the date the
condition arose), so re-running a date raises nothing new.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.ip.monitor import Holding, monitor_pool
from techfin.ip.patents import EventKind, LegalEvent
from techfin.ip.pledge import (
    PledgedItem,
    PledgePolicy,
    pledge_policy,
    policy_exceptions,
    position,
    registration_refusals,
)
from techfin.ip.status import derive_status
from techfin.money import cents
from techfin.services import audit
from techfin.services.authz import owned, require_role
from techfin.services.context import Actor, Role
from techfin.services.eod import step
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.services.ip_registry import (
    find_patent,
    ip_policy,
    load_domain,
    record_platform_event,
)
from techfin.services.ip_valuation import latest_accepted
from techfin.store.db import Database
from techfin.store.tables import Institution, utcnow
from techfin.store.tables import Patent as PatentRow
from techfin.store.tables_ip import IpAlert, IpPledge, IpPledgeItem, IpSecuredDebt

MAKERS = (Role.ACCOUNT_MANAGER, Role.RISK_MANAGER)
READERS = (Role.ACCOUNT_MANAGER, Role.RISK_MANAGER, Role.APPROVER, Role.REVIEWER, Role.ADMIN)
DEBT_KINDS = ("loan", "credit_line")
ZERO = Decimal(0)


def _policy(name: str | None) -> PledgePolicy:
    try:
        return pledge_policy(name or str(ip_policy()["pledge"]["default_policy"]))
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="policy") from exc


def _queue_roles() -> list[Role]:
    return [Role(r) for r in ip_policy()["alerts"]["roles"]]


# --- contracts -----------------------------------------------------------------------------


def create_pledge(
    db: Database,
    actor: Actor,
    *,
    contract_no: str,
    pledgor_name: str,
    patents: list[str],
    debts: list[dict[str, Any]],
    signed_on: dt.date,
    pledgor_enterprise_id: int | None = None,
    policy: str | None = None,
    consenting_co_owners: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """A pledge contract over a pool of patents securing loans / credit lines (a draft)."""
    require_role(actor, MAKERS, "creating a pledge contract")
    if actor.institution_id is None:
        raise Forbidden("a pledge belongs to an institution")
    if not contract_no.strip():
        raise ValidationFailed("contract_no is required", field="contract_no")
    if not patents:
        raise ValidationFailed("a pledge covers at least one patent", field="patents")
    if not debts:
        raise ValidationFailed("a pledge secures at least one loan or credit line", field="debts")
    chosen = _policy(policy)
    consents = consenting_co_owners or {}
    parsed_debts = [_debt(d, i) for i, d in enumerate(debts)]
    refs = [d["reference"] for d in parsed_debts]
    if len(set(refs)) != len(refs):
        raise ValidationFailed("each secured debt reference once", field="debts")
    with db.transaction() as session:
        if session.scalar(
            select(IpPledge.id).where(
                IpPledge.institution_id == actor.institution_id,
                IpPledge.contract_no == contract_no.strip(),
            )
        ):
            raise Conflict(f"contract {contract_no} exists", field="contract_no")
        pledge = IpPledge(
            institution_id=actor.institution_id,
            contract_no=contract_no.strip(),
            pledgor_name=pledgor_name.strip(),
            pledgor_enterprise_id=pledgor_enterprise_id,
            policy_name=chosen.name,
            status="draft",
            signed_on=signed_on,
            created_by=actor.user_id or None,
        )
        session.add(pledge)
        session.flush()
        numbers: set[str] = set()
        for number in patents:
            try:
                row = find_patent(session, number)
            except NotFound as exc:
                raise ValidationFailed(exc.detail, field="patents") from exc
            if row.number in numbers:
                raise ValidationFailed(f"patent {row.number} listed twice", field="patents")
            numbers.add(row.number)
            session.add(
                IpPledgeItem(
                    pledge_id=pledge.id,
                    patent_id=row.id,
                    consenting_co_owners=list(consents.get(number, consents.get(row.number, []))),
                )
            )
        for d in parsed_debts:
            session.add(IpSecuredDebt(pledge_id=pledge.id, **d))
        session.flush()
        audit.record(
            session,
            actor,
            "ip.create_pledge",
            f"pledge:{pledge.id}",
            after={"contract": contract_no, "patents": sorted(numbers), "debts": refs},
        )
        return _pledge_dict(session, pledge, None)


def _debt(d: dict[str, Any], i: int) -> dict[str, Any]:
    field = f"debts[{i}]"
    kind = str(d.get("kind", "loan"))
    if kind not in DEBT_KINDS:
        raise ValidationFailed(f"{field}.kind must be loan or credit_line", field=field)
    reference = str(d.get("reference", "")).strip()
    if not reference or len(reference) > 64:
        raise ValidationFailed(f"{field}.reference: 1–64 characters", field=field)
    try:
        balance = Decimal(str(d["balance"]))
        starts = _date(d["starts_on"])
        matures = _date(d["matures_on"])
    except (KeyError, ValueError, ArithmeticError) as exc:
        raise ValidationFailed(
            f"{field}: balance, starts_on and matures_on are required ({exc})", field=field
        ) from exc
    if isinstance(d["balance"], float):
        raise ValidationFailed(f"{field}.balance: a decimal string, not a float", field=field)
    if balance < 0 or balance != balance.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{field}.balance: yuan with at most 2 decimals", field=field)
    if matures <= starts:
        raise ValidationFailed(f"{field}.matures_on must be after starts_on", field=field)
    return {
        "kind": kind,
        "reference": reference,
        "balance": cents(balance),
        "starts_on": starts,
        "matures_on": matures,
    }


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _own_pledge(session: Session, actor: Actor, pledge_id: int) -> IpPledge:
    pledge = owned(session, actor, IpPledge, pledge_id, "pledge")
    return pledge


def _items(session: Session, pledge: IpPledge) -> list[tuple[IpPledgeItem, PatentRow]]:
    rows = session.execute(
        select(IpPledgeItem, PatentRow)
        .join(PatentRow, PatentRow.id == IpPledgeItem.patent_id)
        .where(IpPledgeItem.pledge_id == pledge.id)
        .order_by(PatentRow.number)
    ).all()
    return [(i, p) for i, p in rows]


def _debts(session: Session, pledge: IpPledge) -> list[IpSecuredDebt]:
    return list(
        session.scalars(
            select(IpSecuredDebt)
            .where(IpSecuredDebt.pledge_id == pledge.id)
            .order_by(IpSecuredDebt.reference)
        )
    )


def _refusals(
    session: Session, pledge: IpPledge, on: dt.date
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The office's refusal reasons and the bank's policy exceptions for each patent on `on`."""
    debts = _debts(session, pledge)
    maturity = max(d.matures_on for d in debts)
    start = min(d.starts_on for d in debts)
    policy = _policy(pledge.policy_name)
    refusals: list[dict[str, str]] = []
    exceptions: list[dict[str, str]] = []
    for item, row in _items(session, pledge):
        patent, events = load_domain(session, row)
        for r in registration_refusals(
            patent,
            events,
            applied_on=on,
            debt_maturity=maturity,
            consenting_co_owners=item.consenting_co_owners or (),
        ):
            refusals.append({"patent": row.number, "reason": r.reason.value, "message": r.message})
        status = derive_status(patent, events, on)
        for text in policy_exceptions(
            status, patent.patent_type.value, policy, loan_start=start, loan_maturity=maturity
        ):
            exceptions.append({"patent": row.number, "message": text})
    return refusals, exceptions


def apply_registration(
    db: Database, actor: Actor, pledge_id: int, *, applied_on: dt.date
) -> dict[str, Any]:
    """Apply to the patent office; refused at once for any §11 reason techfin.ip finds."""
    require_role(actor, MAKERS, "applying for pledge registration")
    with db.transaction() as session:
        pledge = _own_pledge(session, actor, pledge_id)
        if pledge.status != "draft":
            raise Conflict(f"pledge is {pledge.status}, not draft", field="status")
        refusals, exceptions = _refusals(session, pledge, applied_on)
        pledge.applied_on = applied_on
        pledge.refusals = refusals
        pledge.policy_exceptions = exceptions
        if refusals:
            pledge.status = "refused"
            pledge.refused_on = applied_on
        else:
            pledge.status = "applied"
        audit.record(
            session,
            actor,
            "ip.apply_pledge_registration",
            f"pledge:{pledge.id}",
            before="draft",
            after={"status": pledge.status, "refusals": [r["reason"] for r in refusals]},
        )
        return _pledge_dict(session, pledge, applied_on)


def record_registration(
    db: Database,
    actor: Actor,
    pledge_id: int,
    *,
    registration_no: str,
    registered_on: dt.date,
) -> dict[str, Any]:
    """The office registered the pledge: from now on it is effective collateral."""
    require_role(actor, MAKERS, "recording a pledge registration")
    if not registration_no.strip():
        raise ValidationFailed("registration_no is required", field="registration_no")
    with db.transaction() as session:
        pledge = _own_pledge(session, actor, pledge_id)
        if pledge.status != "applied":
            raise Conflict(f"pledge is {pledge.status}, not applied", field="status")
        if pledge.applied_on and registered_on < pledge.applied_on:
            raise ValidationFailed("registered before it was applied for", field="registered_on")
        refusals, _ = _refusals(session, pledge, registered_on)
        if refusals:
            raise Conflict(
                "the office must refuse this registration: "
                + "; ".join(f"{r['patent']} {r['reason']}" for r in refusals),
                field="registered_on",
            )
        pledge.status = "registered"
        pledge.registration_no = registration_no.strip()
        pledge.registered_on = registered_on
        secured = sum((d.balance for d in _debts(session, pledge)), ZERO)
        for _item, row in _items(session, pledge):
            record_platform_event(
                session,
                row.id,
                LegalEvent(
                    EventKind.PLEDGE_REGISTERED,
                    registered_on,
                    amount=secured,
                    reference=pledge.registration_no,
                    party=_institution_code(session, pledge.institution_id),
                ),
            )
        audit.record(
            session,
            actor,
            "ip.register_pledge",
            f"pledge:{pledge.id}",
            before="applied",
            after={"no": pledge.registration_no, "on": registered_on},
        )
        return _pledge_dict(session, pledge, registered_on)


def record_refusal(
    db: Database, actor: Actor, pledge_id: int, *, refused_on: dt.date, reason: str
) -> dict[str, Any]:
    """The office refused the application for a reason it gave."""
    require_role(actor, MAKERS, "recording a refusal")
    if not reason.strip():
        raise ValidationFailed("give the office's reason", field="reason")
    with db.transaction() as session:
        pledge = _own_pledge(session, actor, pledge_id)
        if pledge.status != "applied":
            raise Conflict(f"pledge is {pledge.status}, not applied", field="status")
        pledge.status = "refused"
        pledge.refused_on = refused_on
        pledge.refusals = [
            *(pledge.refusals or []),
            {"patent": "", "reason": "office", "message": reason.strip()},
        ]
        audit.record(
            session,
            actor,
            "ip.refuse_pledge",
            f"pledge:{pledge.id}",
            reason=reason,
            after=refused_on,
        )
        return _pledge_dict(session, pledge, refused_on)


def release_pledge(
    db: Database, actor: Actor, pledge_id: int, *, released_on: dt.date, reason: str
) -> dict[str, Any]:
    """Release (注销) a registered pledge."""
    require_role(actor, MAKERS, "releasing a pledge")
    if not reason.strip():
        raise ValidationFailed("give a reason", field="reason")
    with db.transaction() as session:
        pledge = _own_pledge(session, actor, pledge_id)
        if pledge.status != "registered":
            raise Conflict(f"pledge is {pledge.status}, not registered", field="status")
        if pledge.registered_on and released_on < pledge.registered_on:
            raise ValidationFailed("released before it was registered", field="released_on")
        end_pledge(session, pledge, released_on, reason.strip())
        audit.record(
            session,
            actor,
            "ip.release_pledge",
            f"pledge:{pledge.id}",
            reason=reason,
            before="registered",
            after=released_on,
        )
        return _pledge_dict(session, pledge, released_on)


def end_pledge(session: Session, pledge: IpPledge, on: dt.date, reason: str) -> None:
    """Mark a registered pledge released and add the release to its patents' events (in the
    caller's transaction: a release, or the sale of the pool in a disposal)."""
    pledge.status = "released"
    pledge.released_on = on
    pledge.release_reason = reason
    for _item, row in _items(session, pledge):
        record_platform_event(
            session,
            row.id,
            LegalEvent(
                EventKind.PLEDGE_RELEASED,
                on,
                reference=pledge.registration_no,
                party=_institution_code(session, pledge.institution_id),
            ),
        )


def set_balance(
    db: Database, actor: Actor, pledge_id: int, *, reference: str, balance: Decimal
) -> dict[str, Any]:
    """The current balance of a secured loan / credit line (until origination feeds it)."""
    require_role(actor, MAKERS, "updating a secured balance")
    if balance < 0 or balance != balance.quantize(Decimal("0.01")):
        raise ValidationFailed("balance: yuan with at most 2 decimals", field="balance")
    with db.transaction() as session:
        pledge = _own_pledge(session, actor, pledge_id)
        debt = session.scalar(
            select(IpSecuredDebt).where(
                IpSecuredDebt.pledge_id == pledge.id, IpSecuredDebt.reference == reference
            )
        )
        if debt is None:
            raise NotFound(f"no secured debt {reference} in this pledge")
        before = debt.balance
        debt.balance = cents(balance)
        audit.record(
            session,
            actor,
            "ip.set_secured_balance",
            f"pledge:{pledge.id}:{reference}",
            before=before,
            after=balance,
        )
        return _pledge_dict(session, pledge, None)


def _institution_code(session: Session, institution_id: int) -> str:
    inst = session.get(Institution, institution_id)
    return inst.code if inst else ""


# --- positions ------------------------------------------------------------------------------


def _holdings(
    session: Session, pledge: IpPledge, as_of: dt.date
) -> list[tuple[PatentRow, Holding, PledgedItem, dict[str, Any]]]:
    out = []
    for _item, row in _items(session, pledge):
        patent, events = load_domain(session, row)
        valuation = latest_accepted(session, pledge.institution_id, row.id)
        value = valuation.value if valuation is not None and valuation.value is not None else ZERO
        valued_on = valuation.valued_on if valuation is not None else None
        status = derive_status(patent, events, as_of)
        holding = Holding(patent, tuple(events), value, valued_on)
        item = PledgedItem(
            row.number,
            patent.patent_type.value,
            value,
            in_force=status.in_force,
            registered=pledge.status == "registered",
        )
        info = {
            "number": row.number,
            "title": row.title,
            "type": patent.patent_type.value,
            "state": status.state.value,
            "remaining_years": str(status.remaining_years),
            "appraised_value": str(value),
            "valued_on": valued_on.isoformat() if valued_on else None,
            "valuation_id": valuation.id if valuation is not None else None,
        }
        out.append((row, holding, item, info))
    return out


def _pledge_dict(session: Session, pledge: IpPledge, as_of: dt.date | None) -> dict[str, Any]:
    day = as_of or dt.date.today()
    policy = _policy(pledge.policy_name)
    held = _holdings(session, pledge, day)
    items = [h[2] for h in held]
    debts = _debts(session, pledge)
    per_debt = [
        {
            "kind": d.kind,
            "reference": d.reference,
            "balance": str(d.balance),
            "starts_on": d.starts_on.isoformat(),
            "matures_on": d.matures_on.isoformat(),
            "position": position(d.balance, items, policy).to_dict(),
        }
        for d in debts
    ]
    pool = position([d.balance for d in debts], items, policy) if debts else None
    return {
        "id": pledge.id,
        "contract_no": pledge.contract_no,
        "pledgor_name": pledge.pledgor_name,
        "pledgor_enterprise_id": pledge.pledgor_enterprise_id,
        "policy": f"{policy.name}@{policy.version}",
        "status": pledge.status,
        "effective": pledge.status == "registered",
        "signed_on": pledge.signed_on.isoformat(),
        "applied_on": _iso(pledge.applied_on),
        "registration_no": pledge.registration_no,
        "registered_on": _iso(pledge.registered_on),
        "refused_on": _iso(pledge.refused_on),
        "refusals": list(pledge.refusals or []),
        "policy_exceptions": list(pledge.policy_exceptions or []),
        "released_on": _iso(pledge.released_on),
        "release_reason": pledge.release_reason,
        "as_of": day.isoformat(),
        "items": [h[3] for h in held],
        "debts": per_debt,
        "pool_position": None if pool is None else pool.to_dict(),
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def pledge_detail(
    db: Database, actor: Actor, pledge_id: int, as_of: dt.date | None = None
) -> dict[str, Any]:
    """The contract, its items with status and appraisal, LTV per loan and for the pool,
    and its alerts."""
    require_role(actor, READERS, "reading a pledge")
    with db.read() as session:
        pledge = _own_pledge(session, actor, pledge_id)
        out = _pledge_dict(session, pledge, as_of)
        alerts = session.scalars(
            select(IpAlert).where(IpAlert.pledge_id == pledge.id).order_by(IpAlert.id.desc())
        ).all()
        out["alerts"] = [_alert_dict(session, a) for a in alerts]
        return out


def list_pledges(db: Database, actor: Actor) -> list[dict[str, Any]]:
    require_role(actor, READERS, "listing pledges")
    with db.read() as session:
        rows = session.scalars(
            select(IpPledge)
            .where(IpPledge.institution_id == actor.institution_id)
            .order_by(IpPledge.id.desc())
        ).all()
        return [
            {
                "id": p.id,
                "contract_no": p.contract_no,
                "pledgor_name": p.pledgor_name,
                "status": p.status,
                "registration_no": p.registration_no,
                "open_alerts": len(
                    session.scalars(
                        select(IpAlert.id).where(
                            IpAlert.pledge_id == p.id, IpAlert.status != "closed"
                        )
                    ).all()
                ),
            }
            for p in rows
        ]


def loan_position(
    db: Database, actor: Actor, reference: str, as_of: dt.date | None = None
) -> dict[str, Any]:
    """LTV of one loan / credit line over every registered pool of the caller that secures it."""
    require_role(actor, READERS, "reading a loan's collateral")
    day = as_of or dt.date.today()
    with db.read() as session:
        rows = session.execute(
            select(IpSecuredDebt, IpPledge)
            .join(IpPledge, IpPledge.id == IpSecuredDebt.pledge_id)
            .where(
                IpSecuredDebt.reference == reference,
                IpPledge.institution_id == actor.institution_id,
            )
            .order_by(IpPledge.id)
        ).all()
        if not rows:
            raise NotFound(f"no pledge secures {reference}")
        items: list[PledgedItem] = []
        pledges = []
        for _debt_row, pledge in rows:
            items.extend(h[2] for h in _holdings(session, pledge, day))
            pledges.append(pledge.id)
        balance = rows[-1][0].balance
        policy = _policy(rows[-1][1].policy_name)
        return {
            "reference": reference,
            "as_of": day.isoformat(),
            "pledges": pledges,
            "position": position(balance, items, policy).to_dict(),
        }


def pledges_of_patent(session: Session, actor: Actor, patent_id: int) -> list[dict[str, Any]]:
    if actor.institution_id is None and not actor.is_system:
        return []
    query = (
        select(IpPledge)
        .join(IpPledgeItem, IpPledgeItem.pledge_id == IpPledge.id)
        .where(IpPledgeItem.patent_id == patent_id)
    )
    if not actor.is_system:
        query = query.where(IpPledge.institution_id == actor.institution_id)
    return [
        {"id": p.id, "contract_no": p.contract_no, "status": p.status}
        for p in session.scalars(query.order_by(IpPledge.id))
    ]


# --- day-end monitoring and the alert queue -------------------------------------------------


def monitor_institution(session: Session, institution_id: int, day: dt.date) -> dict[str, Any]:
    """Run the domain monitor over the institution's registered pledges; store new alerts."""
    pledges = session.scalars(
        select(IpPledge)
        .where(IpPledge.institution_id == institution_id, IpPledge.status == "registered")
        .order_by(IpPledge.id)
    ).all()
    raised = seen = 0
    for pledge in pledges:
        policy = _policy(pledge.policy_name)
        held = _holdings(session, pledge, day)
        ids = {row.number: row.id for row, *_ in held}
        debts = _debts(session, pledge)
        report = monitor_pool(
            f"pledge:{pledge.id}",
            [d.balance for d in debts],
            [h[1] for h in held],
            day,
            policy,
        )
        for alert in report.alerts:
            patent_id = ids.get(alert.subject)
            same_key = session.scalar(
                select(IpAlert.id).where(
                    IpAlert.institution_id == institution_id,
                    IpAlert.pledge_id == pledge.id,
                    IpAlert.alert_key == alert.key,
                )
            )
            # A condition still being worked (open or acknowledged) is not raised again, even
            # when its start date moves (an LTV breach is dated each day it is seen); its
            # detail and amount follow the latest run.
            live = session.scalar(
                select(IpAlert).where(
                    IpAlert.institution_id == institution_id,
                    IpAlert.pledge_id == pledge.id,
                    IpAlert.kind == alert.kind.value,
                    IpAlert.patent_id.is_(None)
                    if patent_id is None
                    else IpAlert.patent_id == patent_id,
                    IpAlert.status != "closed",
                )
            )
            if same_key or live is not None:
                if live is not None and live.raised_on <= day:
                    live.detail = alert.detail
                    live.amount = alert.amount
                seen += 1
                continue
            session.add(
                IpAlert(
                    institution_id=institution_id,
                    pledge_id=pledge.id,
                    patent_id=patent_id,
                    alert_key=alert.key,
                    kind=alert.kind.value,
                    severity=alert.severity,
                    actions=list(alert.actions),
                    since=alert.since,
                    raised_on=day,
                    detail=alert.detail,
                    amount=alert.amount,
                    policy_version=f"{policy.name}@{policy.version}",
                    status="open",
                )
            )
            raised += 1
    session.flush()
    return {"pledges": len(pledges), "alerts_raised": raised, "alerts_already_open": seen}


@step("ip.monitoring", order=300)
def _monitoring_step(session: Session, institution: Institution, date: dt.date) -> dict[str, Any]:
    return monitor_institution(session, institution.id, date)


def run_monitoring(db: Database, actor: Actor, day: dt.date) -> dict[str, Any]:
    """Run the monitor now for the caller's institution (the same code as the day-end step)."""
    require_role(actor, _queue_roles(), "running IP monitoring")
    if actor.institution_id is None:
        raise Forbidden("monitoring runs for an institution")
    with db.transaction() as session:
        out = monitor_institution(session, actor.institution_id, day)
        audit.record(session, actor, "ip.run_monitoring", f"date:{day}", after=out)
        return out


def _alert_dict(session: Session, a: IpAlert) -> dict[str, Any]:
    patent = session.get(PatentRow, a.patent_id) if a.patent_id else None
    pledge = session.get(IpPledge, a.pledge_id)
    return {
        "id": a.id,
        "key": a.alert_key,
        "pledge_id": a.pledge_id,
        "contract_no": pledge.contract_no if pledge else "",
        "patent": patent.number if patent else None,
        "kind": a.kind,
        "severity": a.severity,
        "actions": list(a.actions or []),
        "since": a.since.isoformat(),
        "raised_on": a.raised_on.isoformat(),
        "detail": a.detail,
        "amount": None if a.amount is None else str(a.amount),
        "policy_version": a.policy_version,
        "status": a.status,
        "acknowledged_by": a.acknowledged_by,
        "closed_by": a.closed_by,
        "close_reason": a.close_reason,
    }


def alert_queue(db: Database, actor: Actor, status: str | None = None) -> list[dict[str, Any]]:
    """The institution's alerts, open first, most severe first."""
    require_role(actor, [*_queue_roles(), Role.ACCOUNT_MANAGER, Role.APPROVER], "reading alerts")
    if status is not None and status not in ("open", "acknowledged", "closed"):
        raise ValidationFailed("status must be open, acknowledged or closed", field="status")
    order = {"critical": 0, "warning": 1, "info": 2}
    with db.read() as session:
        query = select(IpAlert).where(IpAlert.institution_id == actor.institution_id)
        if status:
            query = query.where(IpAlert.status == status)
        rows = session.scalars(query.order_by(IpAlert.id)).all()
        out = [_alert_dict(session, a) for a in rows]
    rank = {"open": 0, "acknowledged": 1, "closed": 2}
    out.sort(key=lambda a: (rank[a["status"]], order.get(a["severity"], 9), -a["id"]))
    return out


def _own_alert(session: Session, actor: Actor, alert_id: int) -> IpAlert:
    alert = owned(session, actor, IpAlert, alert_id, "alert")
    return alert


def acknowledge_alert(db: Database, actor: Actor, alert_id: int, note: str = "") -> dict[str, Any]:
    require_role(actor, _queue_roles(), "acknowledging an alert")
    with db.transaction() as session:
        alert = _own_alert(session, actor, alert_id)
        if alert.status != "open":
            raise Conflict(f"alert is {alert.status}, not open", field="status")
        alert.status = "acknowledged"
        alert.acknowledged_by = actor.user_id or None
        alert.acknowledged_at = utcnow()
        audit.record(
            session,
            actor,
            "ip.acknowledge_alert",
            f"alert:{alert.id}",
            reason=note,
            before="open",
            after="acknowledged",
        )
        return _alert_dict(session, alert)


def close_alert(db: Database, actor: Actor, alert_id: int, reason: str) -> dict[str, Any]:
    require_role(actor, _queue_roles(), "closing an alert")
    if not reason.strip():
        raise ValidationFailed("closing an alert needs a reason", field="reason")
    with db.transaction() as session:
        alert = _own_alert(session, actor, alert_id)
        if alert.status == "closed":
            raise Conflict("alert is already closed", field="status")
        before = alert.status
        alert.status = "closed"
        alert.closed_by = actor.user_id or None
        alert.closed_at = utcnow()
        alert.close_reason = reason.strip()
        audit.record(
            session,
            actor,
            "ip.close_alert",
            f"alert:{alert.id}",
            reason=reason,
            before=before,
            after="closed",
        )
        return _alert_dict(session, alert)
