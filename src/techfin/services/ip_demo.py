"""Demo data for the IP pages, to run after `techfin demo load` (the lead's demo may call it).

`seed(db, as_of=...)` puts every valuation agency in the library, loads legal events (grant and
annual fees, one patent left in its grace period, one with an invalidation request) for a
handful of the world's invention patents through the hub's loader, and at the first bank:
valuations ordered from an agency and accepted by a checker, three pledge pools — one well
covered, one over its target LTV, one refused for §11 reasons — and the day-end monitor run,
so the patent page, the pledge pages and the alert queue all have something to show.
Everything goes through the services (audited, maker-checker kept).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from techfin.ip.dates import add_years, full_years_between
from techfin.services import ip_pledges, ip_registry, ip_valuation, users
from techfin.services.context import Actor, InstitutionKind
from techfin.services.errors import ServiceError
from techfin.store.db import Database
from techfin.store.tables import Enterprise, Institution, Patent, User
from techfin.store.tables_ip import IpAgency

REVENUES = ["3000000", "3300000", "3600000", "3900000", "4200000"]


def _fees(
    number: str, filed: dt.date, granted: dt.date, as_of: dt.date, skip_last: bool
) -> list[dict[str, Any]]:
    grant_year = full_years_between(filed, granted) + 1
    last_due = full_years_between(filed, as_of) + 1
    years = list(range(grant_year + 1, last_due + 1))
    if skip_last and years:
        years = years[:-1]
    return [
        {
            "number": number,
            "kind": "fee_paid",
            "on": add_years(filed, y - 1).isoformat(),
            "fee_year": y,
            "as_of": as_of.isoformat(),
        }
        for y in years
    ]


def _user(db: Database, institution_id: int, role: str, skip: int | None = None) -> Actor:
    with db.read() as session:
        query = select(User.id).where(
            User.institution_id == institution_id, User.role == role, User.active.is_(True)
        )
        if skip is not None:
            query = query.where(User.id != skip)
        user_id = session.scalar(query.order_by(User.id))
    if user_id is None:
        raise LookupError(f"no {role} at institution {institution_id}")
    return users.actor_by_id(db, user_id)


def seed(db: Database, *, as_of: dt.date, patents: int = 6) -> dict[str, Any]:
    """Seed the IP tables over an already loaded demo world; returns what it made."""
    system = Actor.system("demo")
    out: dict[str, Any] = {"agencies": 0, "events": 0, "valuations": 0, "pledges": 0}
    with db.read() as session:
        agencies = session.scalars(
            select(Institution.code).where(
                Institution.kind == InstitutionKind.VALUATION_AGENCY.value
            )
        ).all()
        in_library = set(
            session.scalars(
                select(Institution.code).join(IpAgency, IpAgency.institution_id == Institution.id)
            )
        )
        bank_row = session.execute(
            select(Institution.id, Institution.code)
            .where(Institution.kind == InstitutionKind.BANK.value)
            .order_by(Institution.code)
        ).first()
        rows = session.scalars(
            select(Patent)
            .where(
                Patent.kind == "invention",
                Patent.granted_on.is_not(None),
                Patent.enterprise_id.is_not(None),
                Patent.filed_on >= add_years(as_of, -14),
                Patent.granted_on <= add_years(as_of, -1),
            )
            .order_by(Patent.id)
            .limit(patents)
        ).all()
        chosen = [(p.number, p.filed_on, p.granted_on, p.enterprise_id) for p in rows]
        names = {
            e.id: e.name
            for e in session.scalars(
                select(Enterprise).where(Enterprise.id.in_([c[3] for c in chosen]))
            )
        }
    for code in agencies:
        if code not in in_library:
            ip_valuation.add_agency(
                db,
                system,
                institution_code=code,
                qualification="资产评估机构备案（财政部门）",
                qualification_no=f"ZCPG-{code}",
                qualified_until=add_years(as_of, 3),
                fields=["software", "electronics", "biotech", "equipment"],
            )
            out["agencies"] += 1
    if bank_row is None or len(chosen) < 4 or not agencies:
        out["skipped"] = "needs a bank, a valuation agency and four granted invention patents"
        return out
    bank_id, bank_code = int(bank_row[0]), str(bank_row[1])
    records: list[dict[str, Any]] = []
    for i, (number, filed, granted, _ent) in enumerate(chosen):
        assert granted is not None
        records.append(
            {"number": number, "kind": "granted", "on": granted.isoformat(), "as_of": str(as_of)}
        )
        records += _fees(number, filed, granted, as_of, skip_last=(i == 3))
    records.append(
        {
            "number": chosen[2][0],
            "kind": "invalidation_requested",
            "on": (as_of - dt.timedelta(days=20)).isoformat(),
            "party": "某竞争企业",
            "as_of": str(as_of),
        }
    )
    report = ip_registry.push_legal_events(db, system, records, label="demo", today=as_of)
    out["events"] = report.loaded
    am = _user(db, bank_id, "account_manager")
    checker = _user(db, bank_id, "approver")
    with db.read() as session:
        agency_id = session.scalar(select(IpAgency.id).order_by(IpAgency.id))
    for number, _f, _g, _e in chosen[:3]:
        try:
            v = ip_valuation.order_valuation(
                db,
                am,
                patent=number,
                exposure=Decimal("3000000"),
                mode="agency",
                agency_id=agency_id,
                on=as_of - dt.timedelta(days=30),
            )
            ip_valuation.submit_report(
                db,
                am,
                v["id"],
                method="relief_from_royalty",
                inputs={
                    "revenues": REVENUES,
                    "royalty_rate": "0.05",
                    "tax_rate": "0.25",
                    "discount_rate": "0.12",
                },
                valued_on=as_of - dt.timedelta(days=30),
            )
            ip_valuation.decide_valuation(
                db, checker, v["id"], accept=True, reason="inputs within the industry bands"
            )
            out["valuations"] += 1
        except ServiceError as exc:  # e.g. too few unconflicted experts: show what happened
            out.setdefault("notes", []).append(f"valuation of {number}: {exc.detail}")
    signed = as_of - dt.timedelta(days=25)
    plans = [
        ("IPZY-DEMO-001", [chosen[0][0]], "100000", True),  # well covered
        ("IPZY-DEMO-002", [chosen[1][0]], "300000", True),  # over its target LTV
        ("IPZY-DEMO-003", [chosen[3][0], chosen[2][0]], "500000", False),  # refused
    ]
    owners = {number: int(ent or 0) for number, _f, _g, ent in chosen}
    for contract, numbers, balance, _ok in plans:
        owner = owners[numbers[0]]
        try:
            p = ip_pledges.create_pledge(
                db,
                am,
                contract_no=contract,
                pledgor_name=names.get(owner, str(owner)),
                pledgor_enterprise_id=owner,
                patents=numbers,
                debts=[
                    {
                        "kind": "loan",
                        "reference": f"LN-{contract}",
                        "balance": balance,
                        "starts_on": signed.isoformat(),
                        "matures_on": add_years(signed, 2).isoformat(),
                    }
                ],
                signed_on=signed,
            )
            applied = ip_pledges.apply_registration(db, am, p["id"], applied_on=signed)
            if applied["status"] == "applied":
                ip_pledges.record_registration(
                    db,
                    am,
                    p["id"],
                    registration_no=f"Y{signed:%Y%m%d}{p['id']:05d}",
                    registered_on=signed + dt.timedelta(days=5),
                )
            out["pledges"] += 1
        except ServiceError as exc:
            out.setdefault("notes", []).append(f"pledge {contract}: {exc.detail}")
    # events after the pledges: a licence and a lawsuit the monitor must flag
    later = [
        {
            "number": chosen[0][0],
            "kind": "licence_recorded",
            "on": (as_of - dt.timedelta(days=6)).isoformat(),
            "party": "被许可企业",
            "as_of": str(as_of),
        },
        {
            "number": chosen[1][0],
            "kind": "litigation_filed",
            "on": (as_of - dt.timedelta(days=3)).isoformat(),
            "reference": "(2026)知民初1号",
            "as_of": str(as_of),
        },
    ]
    out["events"] += ip_registry.push_legal_events(
        db, system, later, label="demo-later", today=as_of
    ).loaded
    with db.transaction() as session:
        out["monitoring"] = ip_pledges.monitor_institution(session, bank_id, as_of)
    out["bank"] = bank_code
    return out
