"""Properties (hypothesis): more of a good thing never lowers a result; intervals are ordered;
the kernel agrees with the API on arbitrary rows, not only generated ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from techfin.batch import recognition as br
from techfin.recognition import hnte, size, tech_sme

D = Decimal
ORDER = {"micro": 0, "small": 1, "medium": 2, "large": 3}
ratios = st.integers(0, 1_000_000).map(lambda ppm: D(ppm).scaleb(-6))
money = st.integers(0, 10**9).map(lambda fen: D(fen).scaleb(-4))  # 万元, 4 decimals


@given(
    group=st.sampled_from(list(size.groups())),
    staff=st.integers(0, 5000),
    revenue=money,
    assets=money,
    extra=st.integers(0, 1000),
    more=money,
)
def test_size_never_shrinks_when_the_firm_grows(
    group: str, staff: int, revenue: Decimal, assets: Decimal, extra: int, more: Decimal
) -> None:
    a = size.classify(group, employees=staff, revenue=revenue, assets=assets)
    b = size.classify(group, employees=staff + extra, revenue=revenue + more, assets=assets + more)
    assert ORDER[b.size] >= ORDER[a.size]
    assert a.is_sme == (a.size != "large")


@given(ts=ratios, rs=ratios, rc=ratios, c1=st.integers(0, 3), c2=st.integers(0, 8), bump=ratios)
def test_tech_sme_monotone(
    ts: Decimal, rs: Decimal, rc: Decimal, c1: int, c2: int, bump: Decimal
) -> None:
    base: dict[str, Any] = dict(
        employees=100,
        sales=D(5000),
        total_assets=D(5000),
        tech_staff_ratio=ts,
        rd_to_sales=rs,
        rd_to_cost=rc,
        class1_ip=c1,
        class2_ip=c2,
    )
    a = tech_sme.evaluate(**base)
    b = tech_sme.evaluate(
        **{
            **base,
            "tech_staff_ratio": min(D(1), ts + bump),
            "rd_to_sales": rs + bump,
            "rd_to_cost": min(D(1), rc + bump),
            "class2_ip": c2 + 1,
        }
    )
    assert b.total >= a.total
    assert b.passed or not a.passed
    assert a.total == sum(a.parts.values()) and 0 <= a.total <= 100


@given(
    experts=st.tuples(
        *(st.none() | st.integers(0, 8) for _ in range(2)), st.none() | st.integers(0, 20)
    ),
    conversions=st.integers(0, 30),
    na=st.tuples(*(st.integers(-100, 5000).map(D) for _ in range(3))),
)
def test_hnte_interval_is_ordered_and_bounded(
    experts: tuple[int | None, int | None, int | None], conversions: int, na: tuple[D, D, D]
) -> None:
    r = hnte.evaluate(
        tech_staff_ratio=D("0.2"),
        rd_expenses=[D(100)] * 3,
        sales=[D(1000)] * 3,
        high_tech_revenue_ratio=D("0.7"),
        class1_ip=1,
        class2_ip=0,
        ip_acquisition="own",
        conversions_3y=conversions,
        net_assets=list(na),
        tech_advancement=experts[0],
        core_support=experts[1],
        rd_management=experts[2],
    )
    assert 0 <= r.score_min <= r.score_max <= 100
    assert all(i.min <= i.max <= i.maximum for i in r.items)
    if r.verdict == "passes":
        assert r.score_min > 70
    if r.score_max <= 70:
        assert r.verdict == "fails"


row = st.fixed_dictionaries(
    {
        "size_group": st.sampled_from(list(size.groups())),
        "employees": st.integers(0, 3000),
        "revenue_fen": st.integers(0, 10**15),
        "assets_fen": st.integers(0, 10**15),
        "sales_fen": st.integers(0, 10**11),
        "total_assets_fen": st.integers(0, 10**11),
        "tech_staff_ratio_ppm": st.integers(0, 1_000_000),
        "rd_to_sales_ppm": st.integers(0, 200_000),
        "rd_to_cost_ppm": st.integers(0, 1_000_000),
        "class1_ip": st.integers(0, 3),
        "class2_ip": st.integers(0, 6),
        "rd_y1_fen": st.integers(0, 10**12),
        "rd_y2_fen": st.integers(0, 10**12),
        "rd_y3_fen": st.integers(0, 10**12),
        "sales_y1_fen": st.integers(0, 10**13),
        "sales_y2_fen": st.integers(0, 10**13),
        "sales_y3_fen": st.integers(0, 10**13),
        "high_tech_revenue_ratio_ppm": st.integers(0, 1_000_000),
        "ip_acquisition": st.sampled_from(["own", "transferred"]),
        "conversions_3y": st.integers(0, 20),
        "net_assets_y1_fen": st.integers(-(10**12), 10**13),
        "net_assets_y2_fen": st.integers(-(10**12), 10**13),
        "net_assets_y3_fen": st.integers(-(10**12), 10**13),
        "tech_advancement": st.none() | st.integers(0, 8),
        "rd_management": st.none() | st.integers(0, 20),
        "major_incident": st.none() | st.booleans(),
    }
)


@given(rows=st.lists(row, min_size=1, max_size=20))
def test_kernel_agrees_with_api_on_arbitrary_rows(rows: list[dict[str, Any]]) -> None:
    table = pa.Table.from_pylist(rows)
    kernel = br.evaluate_table(
        table, rule_sets=["size", "tech_sme", "hnte"], as_of=dt.date(2026, 6, 30)
    ).to_pylist()
    api = br.reference(table, rule_sets=["size", "tech_sme", "hnte"], as_of=dt.date(2026, 6, 30))
    for k, a in zip(kernel, api, strict=True):
        assert {key: k[key] for key in a} == a
