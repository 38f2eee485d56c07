"""An independent day-by-day reference agrees with `servicing.replay` to the fen.

The reference walks every day: bills the schedule row due that day, applies that day's
payments costs-free in the order penalty → compound → interest → principal (excess held and
used later), then adds the day's penalty on overdue principal and compound interest on unpaid
interest, keeping exact sums and rounding the running totals (official-rules §7b; decision
0951). It shares no code with the replay except the schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from techfin.credit.schedule import Schedule, Terms, build
from techfin.credit.servicing import Contract, Disbursement, Event, Repayment, replay

CENT = Decimal("0.01")
START = dt.date(2025, 3, 10)


@dataclass
class _Due:
    day: dt.date
    kind: str  # "p" principal or "i" interest
    left: Decimal


def reference(
    schedule: Schedule, pays: dict[dt.date, Decimal], markup: Decimal, as_of: dt.date
) -> dict[str, Decimal | int]:
    rate = schedule.terms.annual_rate * (1 + markup)
    due = {r.due_date: r for r in schedule.rows}
    dues: list[_Due] = []
    pen = comp = held = Decimal(0)
    pen_num = comp_num = pen_total = comp_total = Decimal(0)
    day = START
    while day <= as_of:
        row = due.get(day)
        if row is not None:
            dues.append(_Due(day, "p", row.principal))
            dues.append(_Due(day, "i", row.interest))
        if row is not None or day in pays:
            money = pays.get(day, Decimal(0)) + held
            take = min(pen, money)
            pen -= take
            money -= take
            take = min(comp, money)
            comp -= take
            money -= take
            for kind in ("i", "p"):
                for d in dues:
                    if d.kind == kind:
                        take = min(d.left, money)
                        d.left -= take
                        money -= take
            held = money
        if day == as_of:
            break
        op = sum((d.left for d in dues if d.kind == "p"), Decimal(0))
        oi = sum((d.left for d in dues if d.kind == "i"), Decimal(0))
        pen_num += op * rate
        comp_num += oi * rate
        new_pen = (pen_num / 360).quantize(CENT, ROUND_HALF_UP)
        new_comp = (comp_num / 360).quantize(CENT, ROUND_HALF_UP)
        pen += new_pen - pen_total
        comp += new_comp - comp_total
        pen_total, comp_total = new_pen, new_comp
        day += dt.timedelta(days=1)
    unpaid = [d for d in dues if d.left > 0]
    oldest = min((d.day for d in unpaid), default=None)
    return {
        "penalty_interest": pen,
        "compound_interest": comp,
        "penalty_accrued_total": pen_total,
        "overdue_principal": sum((d.left for d in unpaid if d.kind == "p"), Decimal(0)),
        "interest_unpaid": sum((d.left for d in unpaid if d.kind == "i"), Decimal(0)),
        "days_past_due": (as_of - oldest).days if oldest is not None else 0,
        "suspense": held,
    }


@given(
    st.integers(1_000, 50_000),
    st.integers(250, 800),
    st.integers(3, 12),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 120)), min_size=0, max_size=12),
    st.integers(0, 60),
)
def test_replay_matches_a_day_by_day_reference(
    hundreds: int, rate_bp: int, n: int, plan: list[tuple[int, int]], extra_days: int
) -> None:
    """Each installment k is paid `late` days after its due date with `pct` % of it
    (0–120 %), so there are partial, missing, late and over-payments."""
    principal = Decimal(hundreds) * 100
    terms = Terms(
        principal=principal,
        annual_rate=Decimal(rate_bp) / 10000,
        start=START,
        installments=n,
    )
    schedule = build(terms)
    markup = Decimal("0.4")
    events: list[Event] = [Disbursement("d", START, principal)]
    pays: dict[dt.date, Decimal] = {}
    for k, (late, pct) in enumerate(plan[:n]):
        row = schedule.rows[k]
        amount = (row.payment * pct / 100).quantize(CENT)
        if amount <= 0:
            continue
        day = row.due_date + dt.timedelta(days=late)
        events.append(Repayment(f"r{k:02d}", day, amount))
        pays[day] = pays.get(day, Decimal(0)) + amount
    as_of = schedule.rows[-1].due_date + dt.timedelta(days=extra_days)
    state = replay(Contract("X", terms, penalty_markup=markup), events, as_of)
    expected = reference(schedule, pays, markup, as_of)
    got = {name: getattr(state, name) for name in expected}
    assert got == expected
