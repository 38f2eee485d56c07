"""Servicing replay: hand-worked examples and properties (issue 9 items 1 and 8).

The loan used throughout: 120,000.00 yuan, 6 % a year, ACT/360, 12 monthly annuity
installments, disbursed 2025-01-15, first due 2025-02-15, penalty markup 50 %
(penalty rate 6 % × 1.5 = 9 %), compound interest at the penalty rate.

Schedule (from ``schedule.build``): row 1 is 31 days of interest on 120,000.00 =
120,000 × 0.06 × 31 ÷ 360 = 620.00, installment 10,331.20, so principal 9,711.20; row 2 is
28 days on 110,288.80 = 514.68, principal 9,816.52, balance after 100,472.28.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techfin.credit.schedule import InterestSettlement, Method, RateChange, Subsidy, Terms, build
from techfin.credit.servicing import (
    Contract,
    Disbursement,
    Event,
    Fee,
    LoanStatus,
    Prepayment,
    PrepaymentMode,
    Repayment,
    Reversal,
    SubsidyReceipt,
    WriteOff,
    replay,
)

START = dt.date(2025, 1, 15)
TERMS = Terms(principal=D("120000.00"), annual_rate=D("0.06"), start=START, installments=12)
CONTRACT = Contract("L-1", TERMS)
DISB = Disbursement("d1", START, D("120000.00"))
SCHEDULE = build(TERMS)


def test_schedule_figures_used_in_the_examples() -> None:
    r1, r2 = SCHEDULE.rows[0], SCHEDULE.rows[1]
    assert (r1.interest, r1.principal, r1.payment) == (D("620.00"), D("9711.20"), D("10331.20"))
    assert (r2.interest, r2.principal, r2.balance) == (D("514.68"), D("9816.52"), D("100472.28"))


def test_late_payment_penalty_and_compound_interest_to_the_fen() -> None:
    """Installment 1 (due 2025-02-15) is paid 10 days late, on 2025-02-25.

    Penalty interest on the overdue principal for the 10 days 02-15 … 02-24:
    9,711.20 × 9 % × 10 ÷ 360 = 24.278 → 24.28.
    Compound interest on the unpaid interest: 620.00 × 9 % × 10 ÷ 360 = 1.55.
    On 02-25 before paying: 10 days past due, 10,331.20 + 24.28 + 1.55 = 10,357.03 to be current.
    The payment is allocated penalty → compound → interest → principal.
    """
    before = replay(CONTRACT, [DISB], dt.date(2025, 2, 25))
    assert before.days_past_due == 10
    assert before.oldest_unpaid_due == dt.date(2025, 2, 15)
    assert before.overdue_principal == D("9711.20")
    assert before.interest_unpaid == D("620.00")
    assert before.penalty_interest == D("24.28")
    assert before.compound_interest == D("1.55")
    assert before.total_due_now == D("10357.03")

    paid = replay(
        CONTRACT, [DISB, Repayment("r1", dt.date(2025, 2, 25), D("10357.03"))], before.as_of
    )
    assert paid.days_past_due == 0
    assert paid.total_due_now == 0
    assert paid.principal_outstanding == D("110288.80")
    entry = paid.ledger[-1]
    assert entry.event_id == "r1"
    assert entry.allocations == (
        ("penalty_interest", D("24.28")),
        ("compound_interest", D("1.55")),
        ("interest", D("620.00")),
        ("principal", D("9711.20")),
    )


def test_one_day_late_and_on_time() -> None:
    """Paid on the due date: no penalty. Paid the day after: one day,
    9,711.20 × 9 % ÷ 360 = 2.4278 → 2.43 and 620 × 9 % ÷ 360 = 0.155 → 0.16."""
    on_time = replay(
        CONTRACT, [DISB, Repayment("r", dt.date(2025, 2, 15), D("10331.20"))], dt.date(2025, 2, 20)
    )
    assert on_time.penalty_accrued_total == 0 and on_time.days_past_due == 0
    one_day = replay(CONTRACT, [DISB], dt.date(2025, 2, 16))
    assert one_day.days_past_due == 1
    assert (one_day.penalty_interest, one_day.compound_interest) == (D("2.43"), D("0.16"))


def test_partial_payment_keeps_oldest_due_and_lowers_penalty_base() -> None:
    """5,000.00 paid on 02-20 after 5 days: penalty 9,711.20 × 9 % × 5 ÷ 360 = 12.139 and
    compound 620 × 9 % × 5 ÷ 360 = 0.775 → cumulative totals 12.14 and 0.78; the payment
    clears them and the interest, then 4,367.08 of principal (5,000 − 12.14 − 0.78 − 620),
    leaving 5,344.12 overdue. Then 5 more days on 5,344.12: exact penalty total
    (9,711.20 + 5,344.12) × 9 % × 5 ÷ 360 = 18.819 → 18.82 (cumulative rounding)."""
    events: list[Event] = [DISB, Repayment("r", dt.date(2025, 2, 20), D("5000.00"))]
    mid = replay(CONTRACT, events, dt.date(2025, 2, 20))
    assert mid.overdue_principal == D("5344.12")
    assert mid.interest_unpaid == 0
    assert mid.days_past_due == 5
    later = replay(CONTRACT, events, dt.date(2025, 2, 25))
    assert later.penalty_accrued_total == D("18.82")
    assert later.penalty_interest == D("18.82") - D("12.14")
    assert later.days_past_due == 10


def test_daily_accrual_adds_up_to_each_row_interest() -> None:
    """Accrued-but-unbilled plus billed interest never falls, and on each due date the billed
    total equals the schedule's interest to that date (cumulative rounding, no drift)."""
    pays: list[Event] = [
        Repayment(f"r{i}", row.due_date, row.payment) for i, row in enumerate(SCHEDULE.rows)
    ]
    events = [DISB, *pays]
    previous = D(0)
    cumulative = D(0)
    due = {row.due_date: row for row in SCHEDULE.rows}
    day = START
    while day <= SCHEDULE.rows[-1].due_date:
        state = replay(CONTRACT, events, day)
        earned = state.interest_accrued + state.interest_billed
        assert earned >= previous
        if day in due:
            cumulative += due[day].interest
            assert state.interest_billed == cumulative
            assert state.interest_accrued == 0
        previous = earned
        day += dt.timedelta(days=1)
    final = replay(CONTRACT, events, SCHEDULE.rows[-1].due_date)
    assert final.status is LoanStatus.SETTLED
    assert final.interest_billed == SCHEDULE.totals.interest


def test_accrued_interest_the_day_before_the_first_due() -> None:
    """On 02-14 thirty of the 31 days have accrued: 620 × 30 ÷ 31 = 600.00."""
    assert replay(CONTRACT, [DISB], dt.date(2025, 2, 14)).interest_accrued == D("600.00")


def _paid_two() -> list[Event]:
    return [
        DISB,
        Repayment("r1", SCHEDULE.rows[0].due_date, SCHEDULE.rows[0].payment),
        Repayment("r2", SCHEDULE.rows[1].due_date, SCHEDULE.rows[1].payment),
    ]


def test_prepayment_reamortise_versus_reduce_term() -> None:
    """After two installments, 30,000.00 is prepaid on 2025-03-20 (5 days into period 3).

    It first settles the 5 days' accrued interest (the schedule's period-3 interest of
    519.11 × 5 ÷ 31 = 83.73) and repays 29,916.27 of principal: 100,472.28 − 29,916.27 =
    70,556.01 remain. Re-amortisation keeps the 10 remaining dates (to 2026-01-15) and lowers
    the installment; term reduction keeps the 10,331.20 installment and ends earlier, with a
    smaller last payment — and less interest in total.
    """
    day = dt.date(2025, 3, 20)
    re = replay(CONTRACT, [*_paid_two(), Prepayment("p", day, D("30000"))], day)
    rt = replay(
        CONTRACT,
        [*_paid_two(), Prepayment("p", day, D("30000"), PrepaymentMode.REDUCE_TERM)],
        day,
    )
    for state in (re, rt):
        assert state.principal_not_due == D("70556.01")
        assert state.ledger[-1].allocations == (
            ("interest", D("83.73")),
            ("principal_prepaid", D("29916.27")),
        )
        assert state.schedule is not None
        assert state.schedule.totals.principal == D("70556.01")
        assert state.schedule.terms.start == day
    assert re.schedule is not None and rt.schedule is not None
    assert len(re.schedule.rows) == 10
    assert re.schedule.rows[-1].due_date == dt.date(2026, 1, 15)
    assert re.schedule.rows[0].payment < D("10331.20")
    assert len(rt.schedule.rows) == 7
    assert all(r.payment == D("10331.20") for r in rt.schedule.rows[:-1])
    assert rt.schedule.rows[-1].payment <= D("10331.20")
    assert rt.schedule.totals.interest < re.schedule.totals.interest
    # The rebuilt schedule is what is billed next.
    after = replay(CONTRACT, [*_paid_two(), Prepayment("p", day, D("30000"))], dt.date(2025, 4, 15))
    assert after.overdue_principal == re.schedule.rows[0].principal


def test_backdated_repayment_replays_correctly() -> None:
    """On 03-01 the loan looks 14 days overdue with penalty accrued; a repayment value-dated
    02-15 (entered late, e.g. a bank transfer found in suspense) makes it on time: no penalty,
    no days past due, whatever the order the events were entered in."""
    late_view = replay(CONTRACT, [DISB], dt.date(2025, 3, 1))
    assert late_view.days_past_due == 14 and late_view.penalty_interest > 0
    backdated = Repayment("r-back", dt.date(2025, 2, 15), D("10331.20"))
    fee = Fee("f1", dt.date(2025, 2, 28), D("50.00"), "statement fee")
    a = replay(CONTRACT, [DISB, fee, backdated], dt.date(2025, 3, 1))
    b = replay(CONTRACT, [backdated, fee, DISB], dt.date(2025, 3, 1))
    assert a.to_dict() == b.to_dict()
    assert a.penalty_accrued_total == 0 and a.days_past_due == 0
    assert a.costs == D("50.00")


def test_reversal_restores_the_state_and_is_recorded() -> None:
    """A repayment entered twice by mistake is reversed: balances equal the single payment's,
    and the ledger keeps the reversal."""
    once = _paid_two()
    dup = Repayment("r2-dup", SCHEDULE.rows[1].due_date, SCHEDULE.rows[1].payment)
    rev = Reversal("x1", dt.date(2025, 3, 18), "r2-dup", "entered twice")
    with_dup = replay(CONTRACT, [*once, dup], dt.date(2025, 3, 20))
    assert with_dup.suspense == SCHEDULE.rows[1].payment
    reversed_ = replay(CONTRACT, [*once, dup, rev], dt.date(2025, 3, 20))
    assert reversed_.balances() == replay(CONTRACT, once, dt.date(2025, 3, 20)).balances()
    assert reversed_.reversed_event_ids == ("r2-dup",)
    assert any(e.kind == "reversal" and e.event_id == "x1" for e in reversed_.ledger)
    # Seen before the reversal's date, the duplicate still counts.
    assert replay(CONTRACT, [*once, dup, rev], dt.date(2025, 3, 17)).suspense > 0


def test_reversal_errors() -> None:
    with pytest.raises(ValueError, match="unknown event"):
        replay(CONTRACT, [DISB, Reversal("x", START, "nope")], START)
    rev = Reversal("x", START, "d1")
    with pytest.raises(ValueError, match="cannot be reversed"):
        replay(CONTRACT, [DISB, rev, Reversal("y", START, "x")], START)
    with pytest.raises(ValueError, match="twice"):
        replay(CONTRACT, [DISB, Repayment("d1", START, D(1))], START)


def test_subsidy_split_and_receipt() -> None:
    """Half the interest is paid by a government fund: of row 1's 620.00, 310.00 is the
    payer's. The borrower pays 10,021.20 on time and is current; the fund's 310.00 is a
    receivable (it does not make the borrower past due) until it arrives."""
    terms = Terms(
        principal=D("120000.00"),
        annual_rate=D("0.06"),
        start=START,
        installments=12,
        subsidy=Subsidy(payer="city fund", share=D("0.5")),
    )
    contract = Contract("L-s", terms)
    events: list[Event] = [DISB, Repayment("r", dt.date(2025, 2, 15), D("10021.20"))]
    state = replay(contract, events, dt.date(2025, 3, 1))
    assert state.days_past_due == 0
    assert state.subsidy_receivable == D("310.00")
    got = replay(
        contract,
        [*events, SubsidyReceipt("s", dt.date(2025, 3, 1), D("320.00"), "city fund")],
        dt.date(2025, 3, 1),
    )
    assert got.subsidy_receivable == 0
    assert got.subsidy_unapplied == D("10.00")


def test_write_off_and_recovery() -> None:
    wo = WriteOff("w", dt.date(2025, 8, 1), "uncollectable")
    state = replay(
        CONTRACT,
        [DISB, wo, Repayment("rec", dt.date(2025, 9, 1), D("1000.00"))],
        dt.date(2025, 10, 1),
    )
    assert state.status is LoanStatus.WRITTEN_OFF
    assert state.principal_outstanding == 0 and state.penalty_interest == 0
    assert dict(state.written_off)["principal"] == D("120000.00")
    assert state.recoveries == D("1000.00")


def test_event_before_disbursement_is_refused() -> None:
    with pytest.raises(ValueError, match="before disbursement"):
        replay(CONTRACT, [DISB, Repayment("r", dt.date(2025, 1, 1), D(1))], START)


def test_contract_validates_penalty_markup() -> None:
    with pytest.raises(ValueError, match="markup"):
        Contract("x", TERMS, penalty_markup=D("0.20"))


# --------------------------------------------------------------------------------------------
# Properties

_KINDS = ("repay", "repay", "repay", "prepay", "prepay-term", "fee", "subsidy")


@st.composite
def _loans(draw: st.DrawFn) -> tuple[Contract, list[Event], dt.date]:
    subsidised = draw(st.booleans())
    method = draw(
        st.sampled_from(
            [Method.ANNUITY, Method.ANNUITY, Method.EQUAL_PRINCIPAL, Method.INTEREST_ONLY]
        )
    )
    quarterly = draw(st.booleans()) and method is not Method.ANNUITY
    terms = Terms(
        principal=D("60000.00"),
        annual_rate=D("0.0435"),
        start=START,
        installments=draw(st.integers(3, 8)),
        method=method,
        interest_settlement=InterestSettlement.quarterly() if quarterly else None,
        subsidy=Subsidy(payer="fund", share=D("0.3")) if subsidised else None,
    )
    contract = Contract("P", terms, penalty_markup=D("0.30"))
    events: list[Event] = [Disbursement("d", START, D("60000.00"))]
    n = draw(st.integers(0, 8))
    for i in range(n):
        kind = draw(st.sampled_from(_KINDS))
        day = START + dt.timedelta(days=draw(st.integers(0, 300)))
        cents = draw(st.integers(1, 2_500_000))
        amount = D(cents) / 100
        eid = f"e{i:02d}"
        if kind == "repay":
            events.append(Repayment(eid, day, amount))
        elif kind == "prepay":
            events.append(Prepayment(eid, day, amount))
        elif kind == "prepay-term":
            events.append(Prepayment(eid, day, amount, PrepaymentMode.REDUCE_TERM))
        elif kind == "fee":
            events.append(Fee(eid, day, D(cents % 50_000 + 1) / 100))
        else:
            events.append(SubsidyReceipt(eid, day, D(cents % 100_000 + 1) / 100))
    as_of = START + dt.timedelta(days=draw(st.integers(0, 400)))
    return contract, events, as_of


_MONEY_FIELDS = (
    "principal_outstanding",
    "principal_not_due",
    "overdue_principal",
    "interest_accrued",
    "interest_billed",
    "interest_unpaid",
    "subsidy_receivable",
    "penalty_interest",
    "compound_interest",
    "costs",
    "suspense",
    "subsidy_unapplied",
)


@given(_loans(), st.randoms(use_true_random=False))
def test_any_order_of_entry_gives_the_same_state(
    loan: tuple[Contract, list[Event], dt.date], rnd: object
) -> None:
    contract, events, as_of = loan
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert replay(contract, events, as_of).to_dict() == replay(contract, shuffled, as_of).to_dict()


@given(_loans())
def test_balances_never_negative_and_allocations_add_up(
    loan: tuple[Contract, list[Event], dt.date],
) -> None:
    contract, events, as_of = loan
    state = replay(contract, events, as_of)
    for name in _MONEY_FIELDS:
        assert getattr(state, name) >= 0, name
    assert state.days_past_due >= 0
    assert state.principal_outstanding <= D("60000.00")
    paid = [e for e in state.ledger if e.kind in ("repayment", "prepayment", "subsidy_receipt")]
    assert sum((e.amount for e in paid), D(0)) == state.total_paid
    for entry in paid:
        assert sum((a for _, a in entry.allocations), D(0)) == entry.amount
        assert all(a > 0 for _, a in entry.allocations)
    # Principal is conserved: disbursed = outstanding + repaid (incl. prepaid).
    repaid = sum(
        (
            a
            for e in state.ledger
            if e.kind in ("repayment", "prepayment", "suspense_applied")
            for b, a in e.allocations
            if b in ("principal", "principal_prepaid")
        ),
        D(0),
    )
    assert state.principal_outstanding + repaid == state.disbursed


@given(_loans(), st.data())
def test_a_reversal_restores_the_state_before_the_reversed_event(
    loan: tuple[Contract, list[Event], dt.date], data: st.DataObject
) -> None:
    contract, events, as_of = loan
    if len(events) < 2:
        return
    target = data.draw(st.sampled_from(events[1:]))
    lag = data.draw(st.integers(0, 30))
    reversal = Reversal("rev", target.value_date + dt.timedelta(days=lag), target.event_id)
    later = max(as_of, reversal.value_date)
    without = [e for e in events if e is not target]
    assert (
        replay(contract, [*events, reversal], later).balances()
        == replay(contract, without, later).balances()
    )


def test_penalty_follows_a_floating_rate_change() -> None:
    """Floating loan at 5 % re-priced to 4 % from 2025-03-01; installment 1 (principal
    16,480.78, due 02-15) unpaid on 03-10: penalty = 16,480.78 × (7.5 % × 14 + 6 % × 9) ÷ 360
    = 72.790… → 72.79 (the penalty rate follows the contract rate, 50 % above it)."""
    terms = Terms(
        principal=D("100000.00"),
        annual_rate=D("0.05"),
        start=START,
        installments=6,
        rate_changes=(RateChange(dt.date(2025, 3, 1), D("0.04")),),
    )
    state = replay(
        Contract("F", terms), [Disbursement("d", START, D("100000.00"))], dt.date(2025, 3, 10)
    )
    assert state.overdue_principal == D("16480.78")
    assert state.penalty_interest == D("72.79")
    assert state.days_past_due == 23


def test_equal_principal_term_reduction_keeps_the_principal_per_period() -> None:
    """120,000.00 in 12 equal-principal installments of 10,000.00. On the first due date the
    installment (10,000.00 + 516.67 interest) is paid with 19,483.33 more: 90,516.67 remain,
    repaid 10,000.00 a period for 9 periods and 516.67 in the 10th (instead of 11)."""
    terms = Terms(
        principal=D("120000.00"),
        annual_rate=D("0.05"),
        start=START,
        installments=12,
        method=Method.EQUAL_PRINCIPAL,
    )
    state = replay(
        Contract("E", terms),
        [
            Disbursement("d", START, D("120000.00")),
            Prepayment("p", dt.date(2025, 2, 15), D("30000.00"), PrepaymentMode.REDUCE_TERM),
        ],
        dt.date(2025, 2, 15),
    )
    assert state.schedule is not None
    principals = [r.principal for r in state.schedule.rows]
    assert principals == [D("10000.00")] * 9 + [D("516.67")]
    assert state.principal_not_due == D("90516.67")


def test_costs_first_then_custom_order() -> None:
    """A 200.00 fee is paid before interest by default; a contract that agrees principal
    before interest gets that order."""
    events: list[Event] = [
        DISB,
        Fee("f", dt.date(2025, 2, 1), D("200.00")),
        Repayment("r", dt.date(2025, 2, 15), D("1000.00")),
    ]
    default = replay(CONTRACT, events, dt.date(2025, 2, 15)).ledger[-1]
    assert default.allocations == (
        ("costs", D("200.00")),
        ("interest", D("620.00")),
        ("principal", D("180.00")),
    )
    order = ("costs", "principal", "interest", "penalty_interest", "compound_interest")
    custom = replay(Contract("L-1", TERMS, allocation_order=order), events, dt.date(2025, 2, 15))
    assert custom.ledger[-1].allocations == (("costs", D("200.00")), ("principal", D("800.00")))


def test_paid_as_scheduled_is_settled_and_overpayment_is_held() -> None:
    pays: list[Event] = [
        Repayment(f"r{i:02d}", row.due_date, row.payment) for i, row in enumerate(SCHEDULE.rows)
    ]
    done = replay(CONTRACT, [DISB, *pays], dt.date(2026, 3, 1))
    assert done.status is LoanStatus.SETTLED
    assert done.total_paid == SCHEDULE.totals.payment
    assert done.principal_outstanding == 0 and done.penalty_accrued_total == 0
    early = replay(
        CONTRACT,
        [DISB, Repayment("r", dt.date(2025, 2, 1), D("20662.40"))],  # two installments early
        dt.date(2025, 3, 15),
    )
    assert early.days_past_due == 0 and early.suspense == 0
    assert early.principal_not_due == SCHEDULE.rows[1].balance
    assert [e.kind for e in early.ledger].count("suspense_applied") == 2


def test_interest_unpaid_over_90_days_is_reported_off_balance() -> None:
    """Nothing paid: on 2025-05-16 row 1's 620.00 (due 02-15) is 90 days old — still on
    balance; on 05-17 it is 91 days old and off balance (90 days, unconfirmed default)."""
    on = replay(CONTRACT, [DISB], dt.date(2025, 5, 16))
    off = replay(CONTRACT, [DISB], dt.date(2025, 5, 17))
    assert on.off_balance_interest == 0
    assert off.off_balance_interest == D("620.00")
    assert off.interest_unpaid > off.off_balance_interest
    short = Contract("L-1", TERMS, off_balance_interest_days=30)
    assert replay(short, [DISB], dt.date(2025, 3, 18)).off_balance_interest == D("620.00")


def test_prepayment_bills_the_subsidy_payer_its_part_of_the_accrued_interest() -> None:
    """A prepayment bills the interest accrued to its date; with a subsidy, the payer's part of
    it is the payer's receivable, not the borrower's interest (half here, share 0.5)."""
    terms = Terms(
        principal=D("120000.00"),
        annual_rate=D("0.06"),
        start=START,
        installments=12,
        subsidy=Subsidy(payer="city fund", share=D("0.5")),
    )
    contract = Contract("L-sp", terms)
    day = dt.date(2025, 2, 25)
    events: list[Event] = [
        DISB,
        Repayment("r", dt.date(2025, 2, 15), D("10021.20")),
        SubsidyReceipt("s", dt.date(2025, 2, 15), D("310.00"), "city fund"),
    ]
    accrued = replay(contract, events, day).interest_accrued
    assert accrued > 0
    state = replay(contract, [*events, Prepayment("p", day, D("50000.00"))], day)
    payer_part = state.subsidy_receivable  # the payer's half, to the fen (91.905 → 91.91)
    assert payer_part == D("91.91") and accrued == D("183.81")
    entry = next(e for e in state.ledger if e.event_id == "p")
    assert dict(entry.allocations)["interest"] == accrued - payer_part
    assert state.days_past_due == 0 and state.interest_unpaid == 0
