"""Properties of the pure feature functions over random patents and records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from techfin.enterprises import features as F

AS_OF = dt.date(2026, 10, 31)

patent_rows = st.builds(
    lambda kind, year, lag, status, ipc, claims, fc: {
        "number": "x",
        "kind": kind,
        "filed_on": dt.date(year, 3, 1),
        "granted_on": None if lag is None else dt.date(year, 3, 1) + dt.timedelta(days=lag),
        "status": status,
        "ipc": ipc,
        "claims": claims,
        "forward_citations": fc,
    },
    st.sampled_from(["invention", "utility", "design"]),
    st.integers(2005, 2025),
    st.one_of(st.none(), st.integers(100, 2000)),
    st.sampled_from(["in_force", "lapsed", "", "odd"]),
    st.sampled_from(["G06F 16/00", "H04L 9/00;G06F 21/00", "A61K", ""]),
    st.one_of(st.none(), st.integers(0, 40)),
    st.one_of(st.none(), st.integers(0, 50)),
)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=30), st.floats(-1e6, 1e6))
def test_percentile_rank_matches_the_definition(pop, value):
    expected = (
        50.0
        if not pop
        else 100.0 * (sum(v < value for v in pop) + 0.5 * sum(v == value for v in pop)) / len(pop)
    )
    assert F.percentile_rank(value, pop) == expected


@given(st.lists(patent_rows, max_size=25), st.lists(patent_rows, max_size=25))
def test_patent_features_stay_in_range(own_rows, others):
    own = [F.patent_facts(r, AS_OF) for r in own_rows]
    cohorts = F.Cohorts.build(own + [F.patent_facts(r, AS_OF) for r in others])
    v = F.patent_features(own, cohorts, AS_OF)
    granted = [p for p in own if p.granted_on is not None and p.granted_on <= AS_OF]
    assert v["class_i_ip_count"] + v["class_ii_ip_count"] <= len(granted)
    assert v["high_value_patents"] <= v["class_i_ip_count"]
    if v["patents_in_force_share"] is not None:
        assert Decimal(0) <= v["patents_in_force_share"] <= Decimal(1)
    if v["patent_quality_percentile"] is not None:
        assert Decimal(0) <= v["patent_quality_percentile"] <= Decimal(100)
    if v["remaining_life_years_mean"] is not None:
        assert Decimal(0) < v["remaining_life_years_mean"] <= Decimal(20)
    for p in own:
        q = cohorts.quality_percentile(p)
        assert q is None or 0.0 <= q <= 100.0


@given(
    st.lists(
        st.tuples(st.integers(0, 2000), st.integers(0, 10**9), st.sampled_from(["基金", "张三"])),
        max_size=10,
    )
)
def test_equity_window_counts_only_the_last_36_months(rounds):
    rows = [
        {"closed_on": AS_OF - dt.timedelta(days=d), "amount": Decimal(a), "lead_investor": lead}
        for d, a, lead in rounds
    ]
    v = F.equity_features(rows, AS_OF)
    start = AS_OF.replace(year=AS_OF.year - 3)
    inside = [r for r in rows if r["closed_on"] > start]
    assert v["equity_rounds_3y"] == len(inside)
    assert v["institutional_investor"] == int(any(r["lead_investor"] == "基金" for r in inside))
    if inside:
        total = sum(r["amount"] for r in inside) / Decimal(10_000)
        assert abs(v["equity_amount_3y_wan"] - total) <= Decimal("0.005")
