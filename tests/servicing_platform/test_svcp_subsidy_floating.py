"""Rate-points subsidies (贴息) on a floating loan: the points are checked against the rate in
force on the business date, not the loan's starting rate, at the request and again at the
approval; and the domain caps the payer's points at each day's rate, so after a repricing below
the points the payer pays all the interest and never more.

The loan (as in test_svcp_floating): 120,000.00 interest-only, monthly from 2024-06-25, LPR 1Y
− 20 bp: 3.45 % − 0.20 % = 3.25 %; repriced on 2025-06-25 to 3.00 % − 0.20 % = 2.80 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from svcp_world import set_business_date
from test_svcp_floating import _floating_loan, _row

from techfin.services import servicing as svc
from techfin.services.errors import ValidationFailed

PAYER = "区科技局"
REF = "区科发〔2025〕7号"
START = dt.date(2024, 6, 25)


def _request(world, loan: int, rate: str) -> dict:
    return svc.request_subsidy(
        world.db, world.actor("s_rm"), loan, payer=PAYER, reference=REF, rate=rate
    )


def test_points_above_the_repriced_rate_are_refused_though_below_the_starting_rate(world):
    loan = _floating_loan(world, start=START, spread_bp="-20")
    set_business_date(world, dt.date(2025, 7, 1))
    with pytest.raises(ValidationFailed) as err:
        _request(world, loan, "0.03")  # below the starting 3.25 %, above today's 2.80 %
    assert err.value.field == "rate"
    assert "0.0280" in str(err.value) and "2025-07-01" in str(err.value)
    made = _request(world, loan, "0.028")  # exactly the rate in force: the whole interest
    assert made["status"] == "pending"


def test_the_approval_checks_the_rate_in_force_on_its_own_business_date(world):
    """Requested before the repricing (3 points ≤ 3.25 %); by the approval the rate is 2.80 %:
    the approval is refused and nothing is approved."""
    loan = _floating_loan(world, start=START, spread_bp="-20")
    set_business_date(world, dt.date(2025, 6, 1))
    made = _request(world, loan, "0.03")
    set_business_date(world, dt.date(2025, 7, 1))
    with pytest.raises(ValidationFailed) as err:
        svc.decide_subsidy(world.db, world.actor("s_rm2"), made["id"], approve=True)
    assert err.value.field == "rate"
    with world.db.read() as s:
        assert svc.approved_subsidy(s, loan) is None


def test_the_domain_caps_the_points_at_each_days_rate(world):
    """3 points approved before the repricing. Row due 2025-06-25 (31 days at 3.25 %): interest
    120,000 × 0.0325 × 31 ÷ 360 = 335.83, the payer's 120,000 × 0.03 × 31 ÷ 360 = 310.00.
    Row due 2025-07-25 (30 days at 2.80 %): interest 280.00, the payer's min(3 %, 2.80 %) →
    280.00 — all of it; the borrower's part 0.00, never negative."""
    loan = _floating_loan(world, start=START, spread_bp="-20")
    set_business_date(world, dt.date(2025, 6, 1))
    made = _request(world, loan, "0.03")
    svc.decide_subsidy(world.db, world.actor("s_rm2"), made["id"], approve=True)
    view = svc.loan_view(world.db, world.actor("s_am"), loan, as_of=dt.date(2025, 7, 26))
    assert view["rate"]["current_rate"] == "0.0280"
    june, july = _row(view, "2025-06-25"), _row(view, "2025-07-25")
    assert (june["interest"], june["subsidy"]) == ("335.83", "310.00")
    assert (july["interest"], july["subsidy"]) == ("280.00", "280.00")
    assert Decimal(july["borrower_interest"]) == 0
