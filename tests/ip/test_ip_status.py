"""Legal status derived from events: fee years, grace, lapse, restoration, terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techfin.ip.dates import add_months, add_years
from techfin.ip.patents import EventKind as K
from techfin.ip.patents import InvalidationOutcome, LegalEvent, Patent, PatentType
from techfin.ip.rules import patent_rules
from techfin.ip.status import LegalState, derive_status, high_value

FILED = date(2015, 3, 10)
INV = Patent("201510123456.7", PatentType.INVENTION, FILED, owners=("A Co",))
GRANT = LegalEvent(K.GRANTED, date(2018, 6, 20))


def ev(kind: K, on: date, **kw: object) -> LegalEvent:
    return LegalEvent(kind, on, **kw)  # type: ignore[arg-type]


def test_grant_covers_the_fee_year_it_falls_in_and_next_fee_is_due_on_the_anniversary() -> None:
    """Filed 2015-03-10, granted 2018-06-20: fee year 4 runs 2018-03-10..2019-03-09 and is
    paid at grant; year 5 (1,200 yuan, band 4–6) is due 2019-03-10, grace to 2019-09-10."""
    s = derive_status(INV, [GRANT], date(2019, 3, 1))
    assert s.state is LegalState.IN_FORCE
    assert s.last_paid_fee_year == 4
    assert s.next_fee_year == 5
    assert s.next_fee_due == date(2019, 3, 10)
    assert s.grace_end == date(2019, 9, 10)
    assert s.fee_amount_due == Decimal(1200)
    assert s.late_fee == 0
    assert s.term_end == date(2035, 3, 10)
    assert s.remaining_days == (date(2035, 3, 10) - date(2019, 3, 1)).days


def test_pending_before_grant() -> None:
    s = derive_status(INV, [GRANT], date(2018, 6, 19))
    assert s.state is LegalState.PENDING
    assert s.remaining_days == 0 and not s.in_force


def test_due_date_itself_is_not_yet_grace_then_grace_with_late_fee() -> None:
    """On 2019-03-10 the fee is due (in force). On 2019-04-15 the second month of grace has
    started: one charged month (the first is free) → 5 % × 1,200 = 60 yuan."""
    assert derive_status(INV, [GRANT], date(2019, 3, 10)).state is LegalState.IN_FORCE
    s = derive_status(INV, [GRANT], date(2019, 4, 15))
    assert s.state is LegalState.IN_GRACE and s.in_force
    assert s.late_fee == Decimal(60)
    assert derive_status(INV, [GRANT], date(2019, 4, 10)).late_fee == 0


def test_unpaid_past_grace_lapses_at_end_of_last_paid_year_then_restoration() -> None:
    """Fee year 5 unpaid: in grace through 2019-09-10; from 2019-09-11 the patent has lapsed
    as of 2019-03-10 (end of fee year 4). A restoration on 2019-11-01 revives it, and year 6
    is then the next fee due (2020-03-10)."""
    last_grace = derive_status(INV, [GRANT], date(2019, 9, 10))
    assert last_grace.state is LegalState.IN_GRACE
    lapsed = derive_status(INV, [GRANT], date(2019, 9, 11))
    assert lapsed.state is LegalState.LAPSED
    assert lapsed.ended_on == date(2019, 3, 10)
    assert lapsed.remaining_days == 0 and lapsed.remaining_years == 0
    events = [GRANT, ev(K.RESTORED, date(2019, 11, 1), fee_year=5)]
    assert derive_status(INV, events, date(2019, 10, 31)).state is LegalState.LAPSED
    restored = derive_status(INV, events, date(2019, 12, 1))
    assert restored.state is LegalState.IN_FORCE
    assert restored.last_paid_fee_year == 5
    assert restored.next_fee_due == date(2020, 3, 10)


def test_payment_in_grace_counts_but_after_grace_does_not() -> None:
    paid_in_grace = [GRANT, ev(K.FEE_PAID, date(2019, 8, 1), fee_year=5)]
    assert derive_status(INV, paid_in_grace, date(2019, 12, 1)).state is LegalState.IN_FORCE
    too_late = [GRANT, ev(K.FEE_PAID, date(2019, 10, 1), fee_year=5)]
    s = derive_status(INV, too_late, date(2019, 12, 1))
    assert s.state is LegalState.LAPSED
    assert any("after its grace period" in d for d in s.discrepancies)


def test_gap_in_payments_lapses_at_the_gap() -> None:
    """Years 5 and 7 paid but not 6: lapse as of 2020-03-10 (due date of year 6)."""
    events = [
        GRANT,
        ev(K.FEE_PAID, date(2019, 3, 1), fee_year=5),
        ev(K.FEE_PAID, date(2020, 3, 1), fee_year=7),
    ]
    s = derive_status(INV, events, date(2021, 1, 1))
    assert s.state is LegalState.LAPSED and s.ended_on == date(2020, 3, 10)


def test_office_lapse_notice_disagreeing_with_payments_is_reported() -> None:
    events = [GRANT, ev(K.FEE_PAID, date(2019, 3, 1), fee_year=5), ev(K.LAPSED, date(2019, 10, 1))]
    s = derive_status(INV, events, date(2019, 10, 2))
    assert s.state is LegalState.IN_FORCE
    assert s.discrepancies


def _fully_paid(p: Patent, grant: date, years: int) -> list[LegalEvent]:
    out = [LegalEvent(K.GRANTED, grant)]
    for k in range(2, years + 1):
        out.append(LegalEvent(K.FEE_PAID, add_years(p.filing_date, k - 1), fee_year=k))
    return out


def test_design_term_depends_on_filing_date() -> None:
    before = Patent("202130000001.X", PatentType.DESIGN, date(2021, 5, 31))
    after = Patent("202130000002.X", PatentType.DESIGN, date(2021, 6, 1))
    rules = patent_rules()
    assert rules.term_years(PatentType.DESIGN, before.filing_date) == 10
    assert rules.term_years(PatentType.DESIGN, after.filing_date) == 15
    s = derive_status(after, _fully_paid(after, date(2021, 9, 1), 15), date(2031, 6, 1))
    assert s.state is LegalState.IN_FORCE and s.term_end == date(2036, 6, 1)
    s = derive_status(before, _fully_paid(before, date(2021, 9, 1), 10), date(2031, 5, 31))
    assert s.state is LegalState.EXPIRED and s.ended_on == date(2031, 5, 31)


def test_expiry_day_and_the_day_before() -> None:
    um = Patent("201020000001.X", PatentType.UTILITY_MODEL, date(2010, 1, 5))
    events = _fully_paid(um, date(2010, 8, 1), 10)
    s = derive_status(um, events, date(2020, 1, 4))
    assert s.state is LegalState.IN_FORCE and s.remaining_days == 1
    assert s.next_fee_year is None  # all ten years paid
    s = derive_status(um, events, date(2020, 1, 5))
    assert s.state is LegalState.EXPIRED


def test_leap_day_filing_fee_due_on_28_february() -> None:
    um = Patent("202020000003.X", PatentType.UTILITY_MODEL, date(2020, 2, 29))
    s = derive_status(um, [LegalEvent(K.GRANTED, date(2020, 9, 1))], date(2021, 1, 1))
    assert s.next_fee_due == date(2021, 2, 28)
    assert s.grace_end == date(2021, 8, 28)


def test_waiver_and_invalidation_end_the_right_earliest_wins() -> None:
    events = [
        GRANT,
        ev(K.INVALIDATION_REQUESTED, date(2018, 9, 1)),
        ev(K.INVALIDATION_DECIDED, date(2019, 2, 1), outcome=InvalidationOutcome.INVALID),
        ev(K.TERMINATED, date(2019, 2, 5)),
    ]
    s = derive_status(INV, events, date(2019, 3, 1))
    assert s.state is LegalState.INVALIDATED and s.ended_on == date(2019, 2, 1)
    assert not s.invalidation_pending
    pending = derive_status(INV, events, date(2018, 10, 1))
    assert pending.state is LegalState.IN_FORCE and pending.invalidation_pending
    upheld = [
        GRANT,
        ev(K.INVALIDATION_REQUESTED, date(2018, 9, 1)),
        ev(K.INVALIDATION_DECIDED, date(2019, 2, 1), outcome=InvalidationOutcome.UPHELD),
    ]
    assert derive_status(INV, upheld, date(2019, 3, 1)).state is LegalState.IN_FORCE


def test_pledge_flags_owners_and_events_after_pledge() -> None:
    events = [
        GRANT,
        ev(K.LICENCE_RECORDED, date(2018, 7, 1)),
        ev(K.PLEDGE_REGISTERED, date(2018, 8, 1), amount=Decimal(3_000_000)),
        ev(K.TRANSFERRED, date(2018, 9, 1), owners=("B Co", "C Co")),
        ev(K.LICENCE_RECORDED, date(2018, 10, 1)),
    ]
    s = derive_status(INV, events, date(2018, 12, 1))
    assert s.pledged and s.pledged_since == date(2018, 8, 1)
    assert s.transfers_since_pledge == 1 and s.licences_since_pledge == 1
    assert s.owners == ("B Co", "C Co")
    released = [*events, ev(K.PLEDGE_RELEASED, date(2018, 11, 1))]
    assert not derive_status(INV, released, date(2018, 12, 1)).pledged


def test_fee_reduction_for_first_ten_years_from_grant() -> None:
    rules = patent_rules()
    fee = rules.annual_fee(PatentType.INVENTION, 5, payer_share=Decimal("0.3"), grant_fee_year=4)
    assert fee == Decimal(360)
    assert rules.annual_fee(
        PatentType.INVENTION, 14, payer_share=Decimal("0.3"), grant_fee_year=4
    ) == Decimal(6000)


def test_high_value_categories() -> None:
    p = Patent(
        "201510123456.7",
        PatentType.INVENTION,
        FILED,
        strategic_emerging=True,
        awards=("china_patent_award",),
    )
    events = [GRANT, *[ev(K.FEE_PAID, add_years(FILED, k - 1), fee_year=k) for k in range(5, 13)]]
    hv = high_value(p, events, date(2025, 4, 1))
    assert hv.high_value
    assert set(hv.reasons) == {
        "strategic_emerging_industry",
        "maintained_over_10_years",
        "national_award",
    }
    plain = Patent("201510123456.7", PatentType.INVENTION, FILED)
    assert not high_value(plain, events, date(2019, 1, 1)).high_value
    um = Patent("201520000001.X", PatentType.UTILITY_MODEL, FILED, strategic_emerging=True)
    assert not high_value(um, events, date(2019, 1, 1)).high_value


def test_events_round_trip_through_json_dicts() -> None:
    e = ev(K.PLEDGE_REGISTERED, date(2018, 8, 1), amount=Decimal("3000000.00"), reference="Y1")
    assert LegalEvent.from_dict(e.to_dict()) == e
    assert Patent.from_dict(INV.to_dict()) == INV
    assert derive_status(INV, [GRANT], date(2019, 3, 1)).to_dict()["state"] == "in_force"


def test_fee_year_required_for_payments() -> None:
    with pytest.raises(ValueError, match="fee_year"):
        LegalEvent(K.FEE_PAID, date(2019, 1, 1))


# --- properties ---------------------------------------------------------------------------

kinds = st.sampled_from(list(K))


@st.composite
def histories(draw: st.DrawFn) -> tuple[Patent, list[LegalEvent], date]:
    ptype = draw(st.sampled_from(list(PatentType)))
    filed = draw(st.dates(date(2000, 1, 1), date(2024, 12, 31)))
    p = Patent("X", ptype, filed, owners=("A",))
    events = [LegalEvent(K.GRANTED, add_months(filed, draw(st.integers(6, 48))))]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(kinds)
        on = draw(st.dates(filed, date(2045, 1, 1)))
        kw: dict[str, object] = {}
        if kind in (K.FEE_PAID, K.RESTORED):
            kw["fee_year"] = draw(st.integers(1, 20))
        if kind is K.INVALIDATION_DECIDED:
            kw["outcome"] = draw(st.sampled_from(list(InvalidationOutcome)))
        events.append(LegalEvent(kind, on, **kw))  # type: ignore[arg-type]
    as_of = draw(st.dates(filed, date(2046, 1, 1)))
    return p, events, as_of


@given(histories())
def test_remaining_life_is_positive_exactly_when_in_force(
    h: tuple[Patent, list[LegalEvent], date],
) -> None:
    p, events, as_of = h
    s = derive_status(p, events, as_of)
    assert (s.remaining_days > 0) == s.in_force
    if s.in_force:
        assert as_of < s.term_end
        assert s.next_fee_due is None or s.next_fee_due < s.term_end
    if s.ended_on is not None:
        assert s.ended_on <= max(as_of, s.term_end)


@given(histories(), st.integers(1, 20))
def test_an_extra_timely_payment_never_ends_a_patent(
    h: tuple[Patent, list[LegalEvent], date], year: int
) -> None:
    p, events, as_of = h
    before = derive_status(p, events, as_of)
    pay = LegalEvent(K.FEE_PAID, add_years(p.filing_date, year - 1), fee_year=year)
    after = derive_status(p, [*events, pay], as_of)
    if before.in_force:
        assert after.in_force


@given(st.dates(date(1995, 1, 1), date(2040, 12, 31)), st.sampled_from(list(PatentType)))
def test_terms_agree_with_the_codes_module(filed: date, ptype: PatentType) -> None:
    """Two homes hold the legal terms (codes for numbers, ip for status): keep them equal."""
    from techfin.codes import patent as codes_patent

    assert patent_rules().term_end(ptype, filed) == codes_patent.term_end(ptype.value, filed)
