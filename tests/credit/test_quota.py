"""Tech credit quota: usage, headroom, and a request (never a rejection) beyond it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from techfin.credit.quota import (
    QuotaAction,
    QuotaIncrease,
    QuotaUse,
    TechCreditQuota,
    check_loan_against_quota,
    quota_status,
)

D = Decimal
Q = TechCreditQuota("BJ-ZGC", dt.date(2026, 1, 1), dt.date(2026, 3, 31), D(100_000_000))
USES = [
    QuotaUse("BJ-ZGC", dt.date(2026, 1, 5), D(30_000_000), "L1"),
    QuotaUse("BJ-ZGC", dt.date(2026, 2, 5), D(50_000_000), "L2"),
    QuotaUse("BJ-ZGC", dt.date(2025, 12, 31), D(9_000_000), "before the period"),
    QuotaUse("SH-ZJ", dt.date(2026, 2, 5), D(7_000_000), "other branch"),
]


def test_status_counts_only_this_branch_and_period() -> None:
    s = quota_status(Q, USES)
    assert s.used == D(80_000_000)
    assert s.headroom == D(20_000_000)
    assert s.utilisation == D("0.8")
    assert s.uses_counted == 2
    assert not s.running_low
    s2 = quota_status(Q, [*USES, QuotaUse("BJ-ZGC", dt.date(2026, 3, 31), D(10_000_000))])
    assert s2.running_low  # 90 % used


@pytest.mark.parametrize(
    ("amount", "action"),
    [
        (D("19999999.99"), QuotaAction.WITHIN_QUOTA),
        (D(20_000_000), QuotaAction.WITHIN_QUOTA),
        (D("20000000.01"), QuotaAction.REQUEST_QUOTA),
    ],
)
def test_headroom_edge(amount: Decimal, action: QuotaAction) -> None:
    d = check_loan_against_quota(Q, USES, amount=amount, on=dt.date(2026, 3, 1), loan_id="L3")
    assert d.action is action
    assert d.rejects_loan is False
    assert (d.request is None) == (action is QuotaAction.WITHIN_QUOTA)


def test_request_for_the_shortfall_rounded_up() -> None:
    d = check_loan_against_quota(
        Q,
        USES,
        amount=D(23_500_000),
        on=dt.date(2026, 3, 1),
        loan_id="L3",
        request_multiple=D(1_000_000),
    )
    assert d.action == "request_quota"
    assert d.request is not None
    assert d.request.shortfall == D(3_500_000)
    assert d.request.amount == D(4_000_000)
    assert d.headroom_after == D(-3_500_000)
    assert "never a reason to decline" in d.message


def test_approved_increase_adds_headroom() -> None:
    inc = [QuotaIncrease("BJ-ZGC", dt.date(2026, 2, 20), D(5_000_000), "R1")]
    d = check_loan_against_quota(
        Q, USES, amount=D(23_500_000), on=dt.date(2026, 3, 1), increases=inc
    )
    assert d.action is QuotaAction.WITHIN_QUOTA
    assert quota_status(Q, USES, inc).total_quota == D(105_000_000)


def test_release_reduces_usage() -> None:
    s = quota_status(Q, [*USES, QuotaUse("BJ-ZGC", dt.date(2026, 2, 6), D(-10_000_000), "L2")])
    assert s.used == D(70_000_000)


def test_zero_quota_still_never_rejects() -> None:
    q = TechCreditQuota("NEW", dt.date(2026, 1, 1), dt.date(2026, 12, 31), D(0))
    d = check_loan_against_quota(q, [], amount=D(1), on=dt.date(2026, 6, 1))
    assert d.action is QuotaAction.REQUEST_QUOTA
    assert quota_status(q, []).utilisation is None


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"amount": D(0), "on": dt.date(2026, 3, 1)}, "amount"),
        ({"amount": D(1), "on": dt.date(2026, 4, 1)}, "outside the quota period"),
    ],
)
def test_bad_input(kw: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_loan_against_quota(Q, USES, **kw)  # type: ignore[arg-type]


def test_bad_quota() -> None:
    with pytest.raises(ValueError, match="period_end"):
        TechCreditQuota("X", dt.date(2026, 2, 1), dt.date(2026, 1, 1), D(1))
    with pytest.raises(ValueError, match="amount"):
        TechCreditQuota("X", dt.date(2026, 1, 1), dt.date(2026, 2, 1), D(-1))
