"""IP platform, item 6: disposal of pledged patents on default.

Routes (`techfin.ip.disposal.DisposalRoute`): negotiated with the pledgor (agreed price, sale
through an IP exchange, acquisition by an IP operation fund) or judicial auction. An auction's
reserves come from `techfin.ip.disposal.auction_plan` — the first at least 70 % of the
valuation, each further round at most 20 % lower, as policy data — and a round recorded with
another reserve is checked by `auction_violations`. Closing applies the proceeds to costs,
interest and principal and keeps the recovery rate for LGD estimates; a sold patent's price is
also kept against the agency that valued it (the library's past accuracy).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.ip.disposal import (
    DisposalRoute,
    apply_proceeds,
    auction_plan,
    auction_violations,
    disposal_outcome,
    disposal_policy,
)
from techfin.money import cents, quantize
from techfin.services import audit
from techfin.services.authz import owned, require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import Conflict, ValidationFailed
from techfin.services.ip_pledges import end_pledge
from techfin.services.ip_valuation import latest_accepted, record_agency_outcome
from techfin.store.db import Database
from techfin.store.tables_ip import IpAuctionRound, IpDisposal, IpPledge, IpPledgeItem

ROLES = (Role.RISK_MANAGER, Role.APPROVER)
ZERO = Decimal(0)


def _money(value: Decimal, field: str) -> Decimal:
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{field}: yuan, not negative, at most 2 decimals", field=field)
    return value


def _pool_value(session: Session, pledge: IpPledge) -> Decimal:
    ids = session.scalars(
        select(IpPledgeItem.patent_id).where(IpPledgeItem.pledge_id == pledge.id)
    ).all()
    total = ZERO
    for pid in ids:
        v = latest_accepted(session, pledge.institution_id, pid)
        if v is not None and v.value is not None:
            total += v.value
    return total


def open_disposal(
    db: Database,
    actor: Actor,
    pledge_id: int,
    *,
    route: str,
    exposure: Decimal,
    interest: Decimal,
    principal: Decimal,
    valuation: Decimal | None = None,
    start_ratio: Decimal | None = None,
    reduction: Decimal | None = None,
    rounds: int | None = None,
) -> dict[str, Any]:
    """Open a disposal of a registered pledge's pool (valuation: the accepted appraisals)."""
    require_role(actor, ROLES, "opening a disposal")
    try:
        chosen = DisposalRoute(route)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in DisposalRoute)
        raise ValidationFailed(f"route must be one of {allowed}", field="route") from exc
    for name, amount in (("exposure", exposure), ("interest", interest), ("principal", principal)):
        _money(amount, name)
    if exposure <= 0:
        raise ValidationFailed("exposure must be positive", field="exposure")
    with db.transaction() as session:
        pledge = owned(session, actor, IpPledge, pledge_id, "pledge")
        if pledge.status != "registered":
            raise Conflict("only a registered pledge can be disposed of", field="pledge_id")
        basis = valuation if valuation is not None else _pool_value(session, pledge)
        _money(basis, "valuation")
        plan: list[dict[str, str | int]] = []
        if chosen is DisposalRoute.JUDICIAL_AUCTION:
            if basis <= 0:
                raise ValidationFailed("an auction needs a valuation", field="valuation")
            try:
                plan = [
                    r.to_dict()
                    for r in auction_plan(
                        basis, start_ratio=start_ratio, reduction=reduction, rounds=rounds
                    )
                ]
            except ValueError as exc:
                raise ValidationFailed(str(exc), field=str(exc).split(":")[0]) from exc
        disposal = IpDisposal(
            institution_id=pledge.institution_id,
            pledge_id=pledge.id,
            route=chosen.value,
            valuation=basis,
            exposure=exposure,
            interest=interest,
            principal=principal,
            plan=plan,
            policy_version=f"disposal_policy@{disposal_policy().version}",
            status="open",
            created_by=actor.user_id or None,
        )
        session.add(disposal)
        session.flush()
        audit.record(
            session,
            actor,
            "ip.open_disposal",
            f"disposal:{disposal.id}",
            after={"pledge": pledge.id, "route": chosen.value, "valuation": basis, "plan": plan},
        )
        return _dict(session, disposal)


def _own(session: Session, actor: Actor, disposal_id: int) -> IpDisposal:
    disposal = owned(session, actor, IpDisposal, disposal_id, "disposal")
    return disposal


def _rounds(session: Session, disposal: IpDisposal) -> list[IpAuctionRound]:
    return list(
        session.scalars(
            select(IpAuctionRound)
            .where(IpAuctionRound.disposal_id == disposal.id)
            .order_by(IpAuctionRound.round_no)
        )
    )


def record_round(
    db: Database,
    actor: Actor,
    disposal_id: int,
    *,
    held_on: dt.date,
    sold: bool,
    price: Decimal | None = None,
    reserve: Decimal | None = None,
) -> dict[str, Any]:
    """One auction round (reserve from the plan unless given, and checked) or one negotiated
    offer (its reserve is the agreed price)."""
    require_role(actor, ROLES, "recording a disposal round")
    with db.transaction() as session:
        disposal = _own(session, actor, disposal_id)
        if disposal.status != "open":
            raise Conflict(f"disposal is {disposal.status}", field="status")
        done = _rounds(session, disposal)
        if any(r.sold for r in done):
            raise Conflict("already sold: close the disposal", field="status")
        number = len(done) + 1
        auction = disposal.route == DisposalRoute.JUDICIAL_AUCTION.value
        if auction:
            if number > len(disposal.plan):
                raise Conflict(
                    f"the plan has {len(disposal.plan)} rounds; close the disposal as unsold",
                    field="round",
                )
            floor = Decimal(str(disposal.plan[number - 1]["reserve"]))
            chosen = floor if reserve is None else _money(reserve, "reserve")
            problems = auction_violations(disposal.valuation, [*(r.reserve for r in done), chosen])
            if problems:
                raise ValidationFailed("; ".join(problems), field="reserve")
        else:
            if price is None and reserve is None:
                raise ValidationFailed("a negotiated offer names its price", field="price")
            chosen = _money(reserve if reserve is not None else price or ZERO, "reserve")
        if sold:
            if price is None:
                raise ValidationFailed("a sale names its price", field="price")
            _money(price, "price")
            if price < chosen:
                raise ValidationFailed(f"price {price} below the reserve {chosen}", field="price")
        row = IpAuctionRound(
            disposal_id=disposal.id,
            round_no=number,
            reserve=chosen,
            held_on=held_on,
            sold=sold,
            price=price if sold else None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "ip.disposal_round",
            f"disposal:{disposal.id}:{number}",
            after={"reserve": chosen, "sold": sold, "price": price},
        )
        return _dict(session, disposal)


def close_disposal(
    db: Database,
    actor: Actor,
    disposal_id: int,
    *,
    closed_on: dt.date,
    costs: Decimal,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Close: sold (the sold round's price) or unsold; proceeds applied to costs → interest →
    principal; the recovery rate kept. Repeating with the same Idempotency-Key returns the
    first result."""
    require_role(actor, ROLES, "closing a disposal")
    _money(costs, "costs")
    with db.transaction() as session:
        disposal = _own(session, actor, disposal_id)
        if disposal.status != "open":
            if idempotency_key and disposal.idempotency_key == idempotency_key:
                return _dict(session, disposal)
            raise Conflict(f"disposal is already {disposal.status}", field="status")
        rounds = _rounds(session, disposal)
        sale = next((r for r in rounds if r.sold), None)
        price = sale.price if sale is not None and sale.price is not None else ZERO
        outcome = disposal_outcome(
            DisposalRoute(disposal.route),
            sold=sale is not None,
            price=price,
            costs=costs,
            exposure=disposal.exposure,
            rounds=max(1, len(rounds)),
        )
        allocation = apply_proceeds(
            price, costs=costs, interest=disposal.interest, principal=disposal.principal
        )
        disposal.status = "sold" if sale is not None else "unsold"
        disposal.price = price if sale is not None else None
        disposal.costs = costs
        disposal.allocation = allocation.to_dict()
        disposal.recovery_rate = outcome.recovery_rate
        disposal.closed_on = closed_on
        disposal.idempotency_key = idempotency_key
        if sale is not None:
            _track_agencies(session, disposal, price, closed_on)
            pledge = session.get(IpPledge, disposal.pledge_id)
            if pledge is not None and pledge.status == "registered":
                end_pledge(session, pledge, closed_on, f"disposed ({disposal.route})")
        audit.record(
            session,
            actor,
            "ip.close_disposal",
            f"disposal:{disposal.id}",
            after=outcome.to_dict(),
        )
        return _dict(session, disposal)


def _track_agencies(session: Session, disposal: IpDisposal, price: Decimal, on: dt.date) -> None:
    """Share the price over the pool's patents pro rata to value; keep each agency's pair."""
    pledge = session.get(IpPledge, disposal.pledge_id)
    assert pledge is not None
    ids = session.scalars(
        select(IpPledgeItem.patent_id).where(IpPledgeItem.pledge_id == pledge.id)
    ).all()
    values = [latest_accepted(session, pledge.institution_id, pid) for pid in ids]
    total = sum((v.value for v in values if v is not None and v.value is not None), ZERO)
    if total <= 0:
        return
    for v in values:
        if v is None or v.value is None or v.agency_id is None:
            continue
        share = (price * v.value / total).quantize(Decimal("0.01"))
        record_agency_outcome(session, v.agency_id, v.id, v.value, share, on, "disposal")


def _m(amount: Decimal) -> str:
    return str(cents(amount))


def _rate(rate: Decimal) -> str:
    return str(quantize(rate, 4))


def _dict(session: Session, d: IpDisposal) -> dict[str, Any]:
    return {
        "id": d.id,
        "pledge_id": d.pledge_id,
        "route": d.route,
        "valuation": _m(d.valuation),
        "exposure": _m(d.exposure),
        "interest": _m(d.interest),
        "principal": _m(d.principal),
        "plan": list(d.plan or []),
        "policy_version": d.policy_version,
        "status": d.status,
        "rounds": [
            {
                "round": r.round_no,
                "reserve": _m(r.reserve),
                "held_on": r.held_on.isoformat(),
                "sold": r.sold,
                "price": None if r.price is None else _m(r.price),
            }
            for r in _rounds(session, d)
        ],
        "price": None if d.price is None else _m(d.price),
        "costs": None if d.costs is None else _m(d.costs),
        "allocation": dict(d.allocation or {}),
        "recovery_rate": None if d.recovery_rate is None else _rate(d.recovery_rate),
        "closed_on": d.closed_on.isoformat() if d.closed_on else None,
    }


def disposal_detail(db: Database, actor: Actor, disposal_id: int) -> dict[str, Any]:
    require_role(actor, [*ROLES, Role.ACCOUNT_MANAGER], "reading a disposal")
    with db.read() as session:
        return _dict(session, _own(session, actor, disposal_id))


def recovery_rates(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Closed disposals of the caller's institution with their recovery rates (for LGD)."""
    require_role(actor, [*ROLES, Role.ACCOUNT_MANAGER], "reading recovery rates")
    with db.read() as session:
        rows = session.scalars(
            select(IpDisposal)
            .where(
                IpDisposal.institution_id == actor.institution_id,
                IpDisposal.status.in_(("sold", "unsold")),
            )
            .order_by(IpDisposal.closed_on)
        ).all()
        return [
            {
                "disposal_id": d.id,
                "route": d.route,
                "sold": d.status == "sold",
                "exposure": _m(d.exposure),
                "recovery_rate": None if d.recovery_rate is None else _rate(d.recovery_rate),
                "closed_on": d.closed_on.isoformat() if d.closed_on else None,
            }
            for d in rows
        ]
