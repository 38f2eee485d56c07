"""Day-end detector for pledged patents and pools."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from techfin.ip.monitor import AlertKind, Holding, detect_alerts, monitor_pool
from techfin.ip.patents import EventKind as K
from techfin.ip.patents import LegalEvent, Patent, PatentType
from techfin.ip.pledge import pledge_policy

D = Decimal
FILED = date(2015, 3, 10)
INV = Patent("201510123456.7", PatentType.INVENTION, FILED, owners=("A Co",))
BASE = [
    LegalEvent(K.GRANTED, date(2018, 6, 20)),
    LegalEvent(K.PLEDGE_REGISTERED, date(2018, 8, 1), amount=D(1_000_000)),
]
HOUSE = pledge_policy()


def kinds(
    events: list[LegalEvent], as_of: date, valued: date | None = date(2018, 7, 1)
) -> set[AlertKind]:
    return {a.kind for a in detect_alerts(INV, events, as_of, HOUSE, last_valued_on=valued)}


def test_unpledged_patent_raises_nothing() -> None:
    assert detect_alerts(INV, BASE[:1], date(2019, 4, 1), HOUSE) == ()


def test_fee_due_then_grace_then_lapse() -> None:
    assert kinds(BASE, date(2019, 2, 1)) == set()
    assert kinds(BASE, date(2019, 2, 20)) == {AlertKind.FEE_DUE}  # due 2019-03-10, 18 days
    assert kinds(BASE, date(2019, 4, 1)) == {AlertKind.FEE_IN_GRACE}
    lapsed = detect_alerts(INV, BASE, date(2019, 9, 11), HOUSE, last_valued_on=date(2019, 1, 1))
    assert [a.kind for a in lapsed] == [AlertKind.LAPSED]
    assert lapsed[0].since == date(2019, 3, 10)
    assert "freeze_drawdowns" in lapsed[0].actions
    assert lapsed[0].key == "201510123456.7:lapsed:2019-03-10"


def test_invalidation_litigation_preservation_transfer_licence() -> None:
    events = [
        *BASE,
        LegalEvent(K.FEE_PAID, date(2019, 3, 1), fee_year=5),
        LegalEvent(K.INVALIDATION_REQUESTED, date(2019, 5, 1)),
        LegalEvent(K.LITIGATION_FILED, date(2019, 5, 2)),
        LegalEvent(K.PRESERVATION_ORDERED, date(2019, 5, 3)),
        LegalEvent(K.TRANSFERRED, date(2019, 5, 4), owners=("Z Co",)),
        LegalEvent(K.LICENCE_RECORDED, date(2019, 5, 5)),
    ]
    assert kinds(events, date(2019, 6, 1)) == {
        AlertKind.INVALIDATION,
        AlertKind.LITIGATION,
        AlertKind.PRESERVATION,
        AlertKind.TRANSFER,
        AlertKind.LICENCE,
    }


def test_revaluation_due_and_remaining_life_low() -> None:
    paid = [
        *BASE,
        *[LegalEvent(K.FEE_PAID, date(2014 + k, 3, 1), fee_year=k) for k in range(5, 21)],
    ]
    assert AlertKind.REVALUATION_DUE in kinds(paid, date(2019, 7, 1))  # 12 months after
    assert AlertKind.REVALUATION_DUE in kinds(paid, date(2019, 1, 1), valued=None)
    # house minimum for inventions 5 years: term ends 2035-03-10 → low from 2030-03-10
    assert AlertKind.REMAINING_LIFE_LOW not in kinds(paid, date(2030, 3, 10), date(2030, 1, 1))
    low = detect_alerts(INV, paid, date(2030, 3, 11), HOUSE, last_valued_on=date(2030, 1, 1))
    assert [(a.kind, a.since) for a in low] == [(AlertKind.REMAINING_LIFE_LOW, date(2030, 3, 11))]


def test_running_twice_gives_the_same_alerts() -> None:
    a = detect_alerts(INV, BASE, date(2019, 4, 1), HOUSE)
    b = detect_alerts(INV, list(reversed(BASE)), date(2019, 4, 1), HOUSE)
    assert a == b and [x.key for x in a] == [x.key for x in b]


def test_pool_lapse_breaches_ltv_and_asks_for_repayment() -> None:
    """Two inventions appraised 2,000,000 each, loan 1,000,000 (LTV 0.25 = target). One
    lapses: value 2,000,000, LTV 0.5 → repay 1,000,000 − 0.25 × 2,000,000 = 500,000."""
    other = Patent("201610000001.2", PatentType.INVENTION, date(2016, 1, 1))
    other_events = (
        LegalEvent(K.GRANTED, date(2018, 1, 1)),
        LegalEvent(K.PLEDGE_REGISTERED, date(2018, 8, 1)),
        LegalEvent(K.FEE_PAID, date(2018, 12, 1), fee_year=4),
    )
    holdings = [
        Holding(INV, tuple(BASE), D(2_000_000), date(2019, 1, 1)),
        Holding(other, other_events, D(2_000_000), date(2019, 1, 1)),
    ]
    fine = monitor_pool("POOL-1", D(1_000_000), holdings, date(2019, 3, 1), HOUSE)
    assert not fine.position.breach
    assert AlertKind.LTV_BREACH not in {a.kind for a in fine.alerts}
    report = monitor_pool("POOL-1", D(1_000_000), holdings, date(2019, 9, 11), HOUSE)
    breach = [a for a in report.alerts if a.kind is AlertKind.LTV_BREACH]
    assert len(breach) == 1 and breach[0].amount == D("500000.00")
    assert report.position.ltv == D("0.5000")
    assert report.to_dict()["alerts"]
