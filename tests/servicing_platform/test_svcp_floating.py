"""Floating-rate loans in servicing, on SQLite and PostgreSQL: the replay reprices on each
repricing date that has come at the LPR fixing in force that day + the spread (the packaged 2024
fixings, where the LPR really moved, so the figures are stable); interest to the fen across a
repricing inside a period; rows after the next repricing are projected; the day-end notice
`repriced` once; a repricing the platform's table cannot answer is computed on the last fixing,
flagged, with a `repricing_lpr_missing` notice and no failed day-end, and corrected once two
platform administrators confirm the fixing; schedule changes keep the floating terms; fixed
loans unchanged. (Origination's side: tests/origination/test_orig_floating.py.)"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from svcp_world import PASSWORD, make_loan, set_business_date

from techfin.credit.pricing import load_lpr_table
from techfin.services import eod, market, users
from techfin.services import servicing as svc
from techfin.services.context import Actor
from techfin.services.errors import ValidationFailed
from techfin.store.tables import Institution
from techfin.store.tables_origination import Loan
from techfin.store.tables_servicing import SvcNotice

FEN = Decimal("0.01")
P = Decimal("120000.00")
REPRICING_KINDS = ("repriced", "repricing_lpr_missing")


def _interest(*parts: tuple[str, int]) -> Decimal:
    """P × Σ(rate × days) ÷ 360, rounded once to the fen (ACT/360)."""
    total = sum((Decimal(r) * d for r, d in parts), Decimal(0))
    return (P * total / 360).quantize(FEN, rounding=ROUND_HALF_UP)


def _floating_loan(
    world,
    *,
    start: dt.date,
    spread_bp: str,
    rule: str = "periodic",
    months: int = 24,
    method: str = "interest-only",
) -> int:
    """A loan as origination leaves a floating one: the rate = LPR in force on the value date
    + the spread, and the `floating` descriptor in `loans.terms`."""
    fixing = load_lpr_table().in_force(start)
    rate = fixing.one_year + Decimal(spread_bp) / 10000
    loan_id = make_loan(world, rate=str(rate), start=start, months=months, method=method)
    with world.db.transaction() as s:
        loan = s.get(Loan, loan_id)
        assert loan is not None
        loan.terms = {
            **loan.terms,
            "floating": {
                "spread_bp": spread_bp,
                "lpr_tenor": "1y",
                "repricing": {"rule": rule, "months": 12},
                "anchor": start.isoformat(),
                "initial_fixing": {
                    "fixing_date": fixing.fixing_date.isoformat(),
                    "lpr": str(fixing.one_year),
                    "tenor": "1y",
                },
            },
        }
    return loan_id


def _row(view: dict, due: str) -> dict:
    return next(r for r in view["schedule"] if r["due_date"] == due)


def _notices(world, loan_id: int) -> list[SimpleNamespace]:
    with world.db.read() as s:
        rows = s.scalars(
            select(SvcNotice)
            .where(SvcNotice.loan_id == loan_id, SvcNotice.kind.in_(REPRICING_KINDS))
            .order_by(SvcNotice.id)
        )
        return [
            SimpleNamespace(
                kind=n.kind, business_date=n.business_date, text=n.text, detail=dict(n.detail)
            )
            for n in rows
        ]


def _repricing_day_end(world, date: dt.date) -> dict:
    with world.db.transaction() as s:
        inst = s.get(Institution, world.bank_id)
        return svc.day_end_repricing(s, inst, date)


def test_repricing_on_the_anniversary_uses_the_new_fixing_to_the_fen(world):
    # value date 2024-06-25: LPR 1Y 3.45 % (2024-06-20) − 20 bp = 3.25 %
    # anniversary 2025-06-25: LPR 1Y 3.00 % (2025-06-20) − 20 bp = 2.80 %
    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20")
    am = world.actor("s_am")
    before = svc.loan_view(world.db, am, loan, as_of=dt.date(2025, 6, 1))
    assert before["rate"]["type"] == "floating"
    assert before["rate"]["text"] == "LPR 1Y − 20 bp, repriced every 12 months"
    assert before["rate"]["current_rate"] == "0.0325"
    assert before["rate"]["next_repricing"] == "2025-06-25"
    # before the anniversary, rows after it are shown at today's rate and marked projected
    assert _row(before, "2025-07-25")["interest"] == str(_interest(("0.0325", 30)))
    assert _row(before, "2025-07-25")["projected"] is True
    assert _row(before, "2025-06-25")["projected"] is False

    after = svc.loan_view(world.db, am, loan, as_of=dt.date(2025, 7, 1))
    assert after["rate"]["current_rate"] == "0.0280"
    [reset] = after["rate"]["repricings"]
    assert Decimal(reset.pop("lpr")) == Decimal("0.03")
    assert reset == {
        "segment": 0,
        "date": "2025-06-25",
        "previous_rate": "0.0325",
        "rate": "0.0280",
        "fixing_date": "2025-06-20",
        "tenor": "1y",
        "lpr_missing": False,
    }
    # 25 May → 25 June (31 days) at 3.25 %: 335.83; 25 June → 25 July (30 days) at 2.80 %: 280.00
    assert _row(after, "2025-06-25")["interest"] == "335.83" == str(_interest(("0.0325", 31)))
    assert _row(after, "2025-07-25")["interest"] == "280.00" == str(_interest(("0.0280", 30)))
    assert _row(after, "2025-07-25")["projected"] is False
    assert after["rate"]["next_repricing"] is None  # 2026-06-25 is the maturity, not a repricing
    # accrued 25 June → 1 July (6 days) at the new rate
    assert after["balances"]["interest_accrued"] == str(_interest(("0.0280", 6))) == "56.00"


def test_a_repricing_inside_a_period_splits_its_interest(world):
    # each 1 January: 2024-01-15 LPR 3.45 % (2023-12-20) + 50 bp = 3.95 %;
    # 2025-01-01 LPR 3.10 % (2024-12-20) + 50 bp = 3.60 %, inside 15 Dec → 15 Jan
    loan = _floating_loan(world, start=dt.date(2024, 1, 15), spread_bp="50", rule="january-1")
    am = world.actor("s_am")
    view = svc.loan_view(world.db, am, loan, as_of=dt.date(2025, 1, 14))
    assert [r["date"] for r in view["rate"]["repricings"]] == ["2025-01-01"]
    # 17 days at 3.95 % + 14 days at 3.60 % = 391.83 (fixed at 3.95 % it would be 408.17)
    expected = _interest(("0.0395", 17), ("0.0360", 14))
    assert expected == Decimal("391.83")
    assert _row(view, "2025-01-15")["interest"] == "391.83"
    # accrual follows each day's rate: the day before the due date, 17 d × 3.95 % + 13 d × 3.60 %
    assert view["balances"]["interest_accrued"] == str(_interest(("0.0395", 17), ("0.0360", 13)))
    assert view["balances"]["interest_accrued"] == "379.83"
    # billed on the due date: exactly the row's interest
    due = svc.loan_view(world.db, am, loan, as_of=dt.date(2025, 1, 15))
    billed = Decimal(due["balances"]["interest_billed"]) - Decimal(
        view["balances"]["interest_billed"]
    )
    assert billed == Decimal("391.83")
    assert Decimal(due["balances"]["interest_accrued"]) == 0
    # the next period accrues at the new rate: 15 → 20 January, 5 days at 3.60 % = 60.00
    later = svc.loan_view(world.db, am, loan, as_of=dt.date(2025, 1, 20))
    assert later["balances"]["interest_accrued"] == str(_interest(("0.0360", 5))) == "60.00"
    assert _row(later, "2025-02-15")["interest"] == str(_interest(("0.0360", 31)))


def test_the_repriced_notice_is_written_once(world):
    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20")
    fixed = make_loan(world, start=dt.date(2024, 6, 25), months=24, method="interest-only")
    assert _repricing_day_end(world, dt.date(2025, 6, 24)) == {"repriced": 0, "lpr_missing": 0}
    assert _repricing_day_end(world, dt.date(2025, 6, 25)) == {"repriced": 1, "lpr_missing": 0}
    assert _repricing_day_end(world, dt.date(2025, 6, 25)) == {"repriced": 0, "lpr_missing": 0}
    assert _repricing_day_end(world, dt.date(2025, 6, 26)) == {"repriced": 0, "lpr_missing": 0}
    notes = _notices(world, loan)
    assert [(n.kind, n.business_date) for n in notes] == [("repriced", dt.date(2025, 6, 25))]
    assert "0.0325 → 0.0280" in notes[0].text and "2025-06-20" in notes[0].text
    assert notes[0].detail["rate"] == "0.0280"
    assert _notices(world, fixed) == []
    # the fixed loan is untouched: no rate block beyond fixed, nothing projected
    view = svc.loan_view(world.db, world.actor("s_am"), fixed, as_of=dt.date(2025, 7, 1))
    assert view["rate"] == {"type": "fixed", "text": "fixed", "current_rate": "0.06"}
    assert not any(r["projected"] for r in view["schedule"])
    assert _row(view, "2025-07-25")["interest"] == str(_interest(("0.06", 30)))


def test_a_missing_fixing_is_flagged_noticed_and_corrected_once_confirmed(world):
    table = load_lpr_table()
    # a value date one year before a repricing date the packaged table cannot answer
    repricing = table.valid_until() + dt.timedelta(days=5)
    start = dt.date(repricing.year - 1, repricing.month, repricing.day)
    loan = _floating_loan(world, start=start, spread_bp="40", months=24)
    initial = table.in_force(start).one_year + Decimal("0.0040")
    day = repricing + dt.timedelta(days=2)
    am = world.actor("s_am")

    view = svc.loan_view(world.db, am, loan, as_of=day)
    [reset] = view["rate"]["repricings"]
    assert reset["lpr_missing"] is True and view["rate"]["lpr_missing"] is True
    assert reset["fixing_date"] == table.last_date.isoformat()
    assert Decimal(reset["rate"]) == table.fixings[-1].one_year + Decimal("0.0040")
    # the whole institution's day-end completes, with the notice instead of a failure
    set_business_date(world, day)
    outcome = eod.run(world.db, Actor.system("test"), day, "SBANK")[0]
    assert outcome.status == "completed", outcome
    step = next(o for o in outcome.steps if o.step == "servicing.repricing")
    assert step.detail == {"repriced": 0, "lpr_missing": 1}
    notes = _notices(world, loan)
    assert [(n.kind, n.business_date) for n in notes] == [("repricing_lpr_missing", repricing)]
    assert "/market/lpr" in notes[0].text
    assert _repricing_day_end(world, day) == {"repriced": 0, "lpr_missing": 0}  # once

    # two platform-operator administrators enter and confirm the missing month's fixing
    with world.db.transaction() as s:
        for name in ("hub_admin1", "hub_admin2"):
            users.add_user(
                s,
                Actor.system("test"),
                username=name,
                password=PASSWORD,
                role="admin",
                institution_code="HUB",
                display_name=name,
            )
    y, m = table.last_date.year + table.last_date.month // 12, table.last_date.month % 12 + 1
    fixing_date = dt.date(y, m, 21)
    assert fixing_date <= repricing
    entry = market.propose_lpr_fixing(
        world.db,
        world.actor("hub_admin1"),
        fixing_date=fixing_date,
        one_year_percent="2.90",
        five_year_plus_percent="3.40",
        source="全国银行间同业拆借中心公告",
        today=fixing_date,
    )
    market.decide_lpr_fixing(world.db, world.actor("hub_admin2"), entry["id"], approve=True)
    view = svc.loan_view(world.db, am, loan, as_of=day)
    [reset] = view["rate"]["repricings"]
    assert reset["lpr_missing"] is False and reset["fixing_date"] == fixing_date.isoformat()
    assert Decimal(reset["previous_rate"]) == initial
    assert Decimal(reset["rate"]) == Decimal("0.0290") + Decimal("0.0040")
    assert _repricing_day_end(world, day) == {"repriced": 1, "lpr_missing": 0}
    assert [n.kind for n in _notices(world, loan)] == ["repricing_lpr_missing", "repriced"]


def test_schedule_changes_keep_the_floating_terms(world):
    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20", months=12)
    ap = world.actor("s_ap")
    set_business_date(world, dt.date(2025, 3, 1))
    with pytest.raises(ValidationFailed) as exc:
        svc.extend_loan(
            world.db,
            ap,
            loan,
            new_maturity=dt.date(2026, 6, 25),
            reason="cash cycle",
            annual_rate=Decimal("0.05"),
        )
    assert exc.value.field == "annual_rate"
    with pytest.raises(ValidationFailed) as exc:
        svc.extend_loan(
            world.db,
            ap,
            loan,
            new_maturity=dt.date(2026, 6, 25),
            reason="cash cycle",
            rate_type="variable",
        )
    assert exc.value.field == "rate_type"
    svc.extend_loan(world.db, ap, loan, new_maturity=dt.date(2026, 6, 25), reason="cash cycle")
    view = svc.loan_view(world.db, world.actor("s_am"), loan, as_of=dt.date(2025, 7, 1))
    assert view["balances"]["schedule_kind"] == "extension"
    # the extension kept the loan's repricing dates: 2025-06-25 at 3.00 % − 20 bp
    assert view["rate"]["text"] == "LPR 1Y − 20 bp, repriced every 12 months"
    assert [r["date"] for r in view["rate"]["repricings"]] == ["2025-06-25"]
    assert view["rate"]["current_rate"] == "0.0280"
    assert _row(view, "2025-07-25")["interest"] == str(_interest(("0.0280", 30)))


def test_a_schedule_change_can_fix_a_floating_rate(world):
    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20", months=12)
    ap = world.actor("s_ap")
    set_business_date(world, dt.date(2025, 3, 1))
    svc.extend_loan(
        world.db,
        ap,
        loan,
        new_maturity=dt.date(2026, 6, 25),
        reason="fixed from now",
        rate_type="fixed",
        annual_rate=Decimal("0.04"),
    )
    view = svc.loan_view(world.db, world.actor("s_am"), loan, as_of=dt.date(2025, 7, 1))
    assert view["rate"]["type"] == "fixed" and view["rate"]["current_rate"] == "0.04"
    assert _row(view, "2025-07-25")["interest"] == str(_interest(("0.04", 30)))


def test_a_fixed_loan_cannot_be_made_floating_by_a_schedule_change(world):
    loan = make_loan(world, start=dt.date(2026, 1, 15))
    set_business_date(world, dt.date(2026, 3, 1))
    with pytest.raises(ValidationFailed) as exc:
        svc.extend_loan(
            world.db,
            world.actor("s_ap"),
            loan,
            new_maturity=dt.date(2027, 6, 15),
            reason="x",
            rate_type="floating",
        )
    assert exc.value.field == "rate_type"


def test_a_restructuring_stays_floating_and_starts_at_the_lpr_on_its_start(world):
    # restructured on 2025-03-01: LPR 1Y 3.10 % (2025-02-20) − 20 bp = 2.90 %, repriced on its
    # own anniversaries (2026-03-01: LPR 3.00 % (2026-02-24) − 20 bp = 2.80 %)
    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20", months=12)
    ap = world.actor("s_ap")
    set_business_date(world, dt.date(2025, 3, 1))
    args = {
        "difficulty_evidence": "orders fell 60 %; audited loss 2025",
        "installments": 24,
        "method": "interest-only",
        "reason": "keep the borrower going",
    }
    with pytest.raises(ValidationFailed) as exc:
        svc.restructure_loan(world.db, ap, loan, annual_rate=Decimal("0.04"), **args)
    assert exc.value.field == "annual_rate"
    done = svc.restructure_loan(world.db, ap, loan, **args)
    assert done["terms"]["floating"]["anchor"] == "2025-03-01"
    assert done["terms"]["floating"]["reset_at_start"] is True
    assert Decimal(done["terms"]["annual_rate"]) == Decimal("0.0290")
    am = world.actor("s_am")
    view = svc.loan_view(world.db, am, loan, as_of=dt.date(2025, 4, 2))
    assert view["balances"]["schedule_kind"] == "restructuring"
    assert view["rate"]["current_rate"] == "0.0290"
    assert view["rate"]["next_repricing"] == "2026-03-01"
    [first] = [r for r in view["rate"]["repricings"] if r["segment"] == 1]
    assert first["date"] == "2025-03-01" and first["fixing_date"] == "2025-02-20"
    # 1 March → 1 April (31 days) on the principal carried over at 2.90 %
    principal = Decimal(view["balances"]["principal_outstanding"])
    assert _row(view, "2025-04-01")["interest"] == str(
        (principal * Decimal("0.0290") * 31 / 360).quantize(FEN, rounding=ROUND_HALF_UP)
    )
    later = svc.loan_view(world.db, am, loan, as_of=dt.date(2026, 3, 5))
    assert later["rate"]["current_rate"] == "0.0280"
    assert [r["date"] for r in later["rate"]["repricings"] if r["segment"] == 1] == [
        "2025-03-01",
        "2026-03-01",
    ]
    # a fixed restructuring of a fixed loan still needs its rate
    fixed = make_loan(world, start=dt.date(2024, 6, 25), months=12)
    with pytest.raises(ValidationFailed) as exc:
        svc.restructure_loan(world.db, ap, fixed, **args)
    assert exc.value.field == "annual_rate"


def test_the_loan_page_shows_the_floating_rate_and_projected_rows(world):
    import re

    from fastapi.testclient import TestClient

    from techfin.app import create_app

    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20")
    set_business_date(world, dt.date(2025, 6, 1))
    client = TestClient(create_app(world.db, secret_key="test-secret"))
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login", data={"username": "s_am", "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    html = client.get(f"/loans/{loan}").text
    assert 'id="rate-floating"' in html and "LPR 1Y − 20 bp" in html
    assert 'id="next-repricing">2025-06-25<' in html
    assert 'id="schedule-projected"' in html and 'class="muted projected"' in html
    assert 'id="rate-lpr-missing"' not in html
    fixed = make_loan(world, start=dt.date(2024, 6, 25), months=24)
    html = client.get(f"/loans/{fixed}").text
    assert 'id="rate-floating"' not in html and 'id="schedule-projected"' not in html


def test_schedule_changes_over_the_api_name_the_rate_field(world):
    from fastapi.testclient import TestClient

    from techfin.app import create_app

    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20", months=12)
    set_business_date(world, dt.date(2025, 3, 1))
    client = TestClient(create_app(world.db, secret_key="test-secret"))
    token = client.post("/api/token", json={"username": "s_ap", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    body = {
        "difficulty_evidence": "orders fell 60 %",
        "installments": 12,
        "method": "interest-only",
        "reason": "r",
        "annual_rate": "0.05",
    }
    bad = client.post(f"/api/loans/{loan}/restructuring", headers=headers, json=body)
    assert bad.status_code == 422 and bad.json()["field"] == "annual_rate"
    fixed = client.post(
        f"/api/loans/{loan}/restructuring", headers=headers, json={**body, "rate_type": "fixed"}
    )
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["terms"]["floating"] is None
    view = svc.loan_view(world.db, world.actor("s_am"), loan, as_of=dt.date(2025, 7, 1))
    assert view["rate"]["type"] == "fixed" and view["rate"]["current_rate"] == "0.05"


def test_a_renewal_stays_floating_from_the_lpr_on_the_maturity_date(world):
    # 12 months from 2024-06-25 at 3.25 %; renewed from the maturity 2025-06-25 at the LPR in
    # force that day, 3.00 % (2025-06-20) − 20 bp = 2.80 %
    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20", months=12)
    am, ap = world.actor("s_am"), world.actor("s_ap")
    set_business_date(world, dt.date(2025, 6, 1))
    due = svc.loan_view(world.db, am, loan)["balances"]["total_due_now"]
    svc.record_payment(world.db, am, loan, amount=due, value_date=dt.date(2025, 6, 1))
    args = {
        "borrower_size": "small",
        "purpose": "working_capital",
        "applied_on": dt.date(2025, 5, 20),
        "investigation_done_on": dt.date(2025, 5, 25),
        "contracts_signed_on": dt.date(2025, 6, 1),
        "installments": 12,
        "reason": "renew the working-capital loan",
        "conditions": {
            "lawful": True,
            "operating": True,
            "funds_diverted": False,
            "missed_interest": False,
            "evaded_debt": False,
        },
    }
    with pytest.raises(ValidationFailed) as exc:
        svc.renew_loan(world.db, ap, loan, annual_rate=Decimal("0.05"), **args)
    assert exc.value.field == "annual_rate"
    out = svc.renew_loan(world.db, ap, loan, **args)
    assert out["effective_from"] == "2025-06-25"
    assert Decimal(out["terms"]["annual_rate"]) == Decimal("0.0280")
    view = svc.loan_view(world.db, am, loan, as_of=dt.date(2025, 7, 1))
    assert view["balances"]["schedule_kind"] == "renewal"
    assert view["rate"]["current_rate"] == "0.0280"
    assert view["rate"]["next_repricing"] is None  # the next anniversary is the maturity
    assert [(r["segment"], r["date"]) for r in view["rate"]["repricings"]] == [(1, "2025-06-25")]
    assert _row(view, "2025-07-25")["interest"] == str(_interest(("0.0280", 30))) == "280.00"
