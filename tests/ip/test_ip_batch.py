"""The vectorised day-end kernel agrees with the per-patent functions."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techfin.batch.ip import (
    STATES,
    Registry,
    add_months,
    alert_kinds,
    day,
    from_day,
    monitor_registry,
    patent_at,
    synthetic_registry,
    to_registry,
)
from techfin.ip import dates
from techfin.ip.monitor import AlertKind, detect_alerts
from techfin.ip.patents import EventKind as K
from techfin.ip.patents import InvalidationOutcome, LegalEvent, Patent, PatentType
from techfin.ip.pledge import pledge_policy
from techfin.ip.status import LegalState, derive_status


def _compare(reg: Registry, as_of: date, policy_name: str | None = None, chunk: int = 500) -> int:
    policy = pledge_policy(policy_name)
    out = monitor_registry(reg, as_of, policy, chunk=chunk)
    mismatches = 0
    for i in range(reg.size):
        patent, events, valued = patent_at(reg, i)
        s = derive_status(patent, events, as_of)
        kinds = {
            a.kind for a in detect_alerts(patent, events, as_of, policy, last_valued_on=valued)
        }
        expected = (s.state, s.remaining_days, s.pledged, kinds)
        got = (
            STATES[int(out.state[i])],
            int(out.remaining_days[i]),
            bool(out.pledged[i]),
            alert_kinds(int(out.alerts[i])),
        )
        ended = None if out.ended_on[i] >= 2**40 else from_day(int(out.ended_on[i]))
        due = None if out.next_fee_due[i] >= 2**40 else from_day(int(out.next_fee_due[i]))
        if got != expected or ended != s.ended_on or due != s.next_fee_due:
            mismatches += 1
    return mismatches


@pytest.mark.parametrize("as_of", [date(2019, 6, 30), date(2026, 11, 27), date(2034, 2, 28)])
def test_kernel_agrees_with_per_patent_functions_on_a_sample(as_of: date) -> None:
    reg = synthetic_registry(1200, events_per_patent=10, seed=11)
    assert _compare(reg, as_of) == 0
    out = monitor_registry(reg, as_of, pledge_policy())
    # the sample exercises the interesting states and alerts
    states = {STATES[int(s)] for s in out.state}
    assert {LegalState.IN_FORCE, LegalState.LAPSED} <= states
    assert out.alerts.any()


def test_kernel_agrees_under_another_policy() -> None:
    reg = synthetic_registry(600, seed=3)
    assert _compare(reg, date(2027, 3, 1), "city_programme", chunk=128) == 0


def test_hand_built_edge_cases_agree() -> None:
    inv = Patent("A", PatentType.INVENTION, date(2015, 3, 10))
    leap = Patent("B", PatentType.UTILITY_MODEL, date(2020, 2, 29))
    old_design = Patent("C", PatentType.DESIGN, date(2021, 5, 31))
    new_design = Patent("D", PatentType.DESIGN, date(2021, 6, 1))
    pledge = LegalEvent(K.PLEDGE_REGISTERED, date(2018, 8, 1))
    full = [
        LegalEvent(K.FEE_PAID, dates.add_years(date(2021, 6, 1), k - 1), fee_year=k)
        for k in range(2, 16)
    ]
    items = [
        (inv, [LegalEvent(K.GRANTED, date(2018, 6, 20)), pledge], None),
        (
            inv,
            [
                LegalEvent(K.GRANTED, date(2018, 6, 20)),
                pledge,
                LegalEvent(K.RESTORED, date(2019, 11, 1), fee_year=5),
                LegalEvent(K.INVALIDATION_REQUESTED, date(2019, 12, 1)),
                LegalEvent(
                    K.INVALIDATION_DECIDED, date(2019, 12, 1), outcome=InvalidationOutcome.INVALID
                ),
            ],
            date(2019, 1, 1),
        ),
        (
            leap,
            [
                LegalEvent(K.GRANTED, date(2020, 9, 1)),
                LegalEvent(K.PLEDGE_REGISTERED, date(2020, 9, 2)),
            ],
            None,
        ),
        (old_design, [LegalEvent(K.GRANTED, date(2021, 9, 1)), *full], None),
        (
            new_design,
            [
                LegalEvent(K.GRANTED, date(2021, 9, 1)),
                *full,
                LegalEvent(K.TERMINATED, date(2031, 5, 31)),
            ],
            None,
        ),
    ]
    reg = to_registry(items)
    for as_of in (
        date(2019, 4, 1),
        date(2019, 12, 2),
        date(2021, 3, 1),
        date(2031, 6, 1),
        date(2040, 1, 1),
    ):
        out = monitor_registry(reg, as_of, pledge_policy())
        for i, (p, events, valued) in enumerate(items):
            s = derive_status(p, events, as_of)
            assert STATES[int(out.state[i])] is s.state, (i, as_of)
            assert int(out.remaining_days[i]) == s.remaining_days
            kinds = {
                a.kind
                for a in detect_alerts(p, events, as_of, pledge_policy(), last_valued_on=valued)
            }
            assert alert_kinds(int(out.alerts[i])) == kinds
    out = monitor_registry(reg, date(2019, 4, 1), pledge_policy())
    assert AlertKind.FEE_IN_GRACE in alert_kinds(int(out.alerts[0]))


def test_vectorised_month_arithmetic_matches_scalar() -> None:
    rng = np.random.default_rng(5)
    days = rng.integers(day(date(1990, 1, 1)), day(date(2060, 12, 31)), 3000).astype(np.int64)
    months = rng.integers(-240, 240, 3000).astype(np.int64)
    got = add_months(days, months)
    for d, k, g in zip(days, months, got, strict=True):
        assert from_day(int(g)) == dates.add_months(from_day(int(d)), int(k))


# --- random event histories: the kernel and the per-patent functions agree ------------------

_KINDS = st.sampled_from(list(K))


@st.composite
def _history(draw: st.DrawFn) -> tuple[Patent, list[LegalEvent], date | None]:
    ptype = draw(st.sampled_from(list(PatentType)))
    filed = draw(st.dates(date(2000, 1, 1), date(2024, 12, 31)))
    events = [LegalEvent(K.PLEDGE_REGISTERED, draw(st.dates(filed, date(2040, 1, 1))))]
    if draw(st.booleans()):
        events.append(LegalEvent(K.GRANTED, dates.add_months(filed, draw(st.integers(0, 60)))))
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(_KINDS)
        on = draw(st.dates(filed, date(2045, 1, 1)))
        if kind in (K.FEE_PAID, K.RESTORED):
            year = draw(st.integers(1, 21))
            if kind is K.FEE_PAID and draw(st.booleans()):
                on = dates.add_years(filed, year - 1) + timedelta(days=draw(st.integers(-60, 200)))
            events.append(LegalEvent(kind, on, fee_year=year))
        elif kind is K.INVALIDATION_DECIDED:
            outcome = draw(st.sampled_from(list(InvalidationOutcome)))
            events.append(LegalEvent(kind, on, outcome=outcome))
        else:
            events.append(LegalEvent(kind, on))
    valued = draw(st.none() | st.dates(filed, date(2040, 1, 1)))
    return Patent("X", ptype, filed), draw(st.permutations(events)), valued


@settings(max_examples=60)
@given(st.lists(_history(), min_size=1, max_size=8), st.dates(date(2001, 1, 1), date(2046, 1, 1)))
def test_kernel_agrees_on_random_histories(
    items: list[tuple[Patent, list[LegalEvent], date | None]], as_of: date
) -> None:
    policy = pledge_policy()
    out = monitor_registry(to_registry(items), as_of, policy, chunk=3)
    for i, (p, events, valued) in enumerate(items):
        s = derive_status(p, events, as_of)
        kinds = {a.kind for a in detect_alerts(p, events, as_of, policy, last_valued_on=valued)}
        assert STATES[int(out.state[i])] is s.state
        assert int(out.remaining_days[i]) == s.remaining_days
        assert bool(out.pledged[i]) == s.pledged
        assert alert_kinds(int(out.alerts[i])) == kinds
