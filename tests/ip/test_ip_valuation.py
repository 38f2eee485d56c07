"""Valuation methods: hand-worked examples and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techfin.ip.valuation import (
    cap_to_legal_life,
    cost_approach,
    income_share,
    industry_reference,
    market_approach,
    real_option,
    relief_from_royalty,
)

D = Decimal


def test_relief_from_royalty_end_of_year() -> None:
    """Revenues 100, 120, 130; royalty 5 %; tax 25 %; discount 12 %; end-year timing.

    year 1: 100 × 0.05 × 0.75 = 3.75  ÷ 1.12     = 3.348214
    year 2: 120 × 0.05 × 0.75 = 4.50  ÷ 1.2544   = 3.587372
    year 3: 130 × 0.05 × 0.75 = 4.875 ÷ 1.404928 = 3.469929
    total 10.405515 → 10.41 (numpy-financial: npv(0.12, [0, 3.75, 4.5, 4.875]) = 10.405515)
    """
    v = relief_from_royalty(
        revenues=[100, 120, 130], royalty_rate="0.05", tax_rate="0.25", discount_rate="0.12"
    )
    assert v.value == D("10.41")
    assert [r.present_value for r in v.years] == [D("3.35"), D("3.59"), D("3.47")]
    assert [r.after_tax for r in v.years] == [D("3.75"), D("4.50"), D("4.88")]
    assert v.years[1].discount_factor == D("0.797194")
    assert v.collateral_basis


def test_relief_from_royalty_mid_year() -> None:
    """Same inputs, mid-year: periods 0.5, 1.5, 2.5.

    3.75 ÷ 1.12^0.5 = 3.543417; 4.5 ÷ 1.12^1.5 = 3.796518; 4.875 ÷ 1.12^2.5 = 3.672227;
    total 11.012162 → 11.01
    """
    v = relief_from_royalty(
        revenues=[100, 120, 130],
        royalty_rate="0.05",
        tax_rate="0.25",
        discount_rate="0.12",
        timing="mid",
    )
    assert v.value == D("11.01")
    assert v.years[0].period == D("0.5")


def test_sensitivity_table_royalty_and_discount() -> None:
    """Rows royalty 4/5/6 %, columns discount 10/12/14 %; the middle cell is the value.
    Value is linear in the royalty: 4 % gives 10.405515 × 0.8 = 8.32."""
    v = relief_from_royalty(
        revenues=[100, 120, 130], royalty_rate="0.05", tax_rate="0.25", discount_rate="0.12"
    )
    s = v.sensitivity
    assert s is not None
    assert s.row_values == ("0.04", "0.05", "0.06")
    assert s.column_values == ("0.10", "0.12", "0.14")
    assert s.values[1][1] == v.value
    assert s.values[0][1] == D("8.32")
    assert s.values[1][0] > s.values[1][1] > s.values[1][2]


def test_income_share_with_declining_share() -> None:
    """Revenue 1,000 a year for 2 years; margin 20 %; share 30 % falling 10 % a year;
    tax 25 %; discount 10 %.
    year 1: 1000 × 0.2 × 0.30 × 0.75 = 45   ÷ 1.1  = 40.909091
    year 2: 1000 × 0.2 × 0.27 × 0.75 = 40.5 ÷ 1.21 = 33.471074
    total 74.380165 → 74.38
    """
    v = income_share(
        revenues=[1000, 1000],
        profit_margin="0.2",
        share_rate="0.3",
        share_decline="0.1",
        tax_rate="0.25",
        discount_rate="0.1",
    )
    assert v.value == D("74.38")
    assert v.years[1].rate == D("0.054")  # 0.2 × 0.27
    flat = income_share(
        revenues=[1000, 1000],
        profit_margin="0.2",
        share_rate="0.3",
        tax_rate="0.25",
        discount_rate="0.1",
    )
    assert flat.value == D("78.10")  # 45/1.1 + 45/1.21 = 40.909091 + 37.190083


def test_cost_approach_multiplicative() -> None:
    """1,000,000 × 0.9 × 0.8 × 0.95 = 684,000 (not 1,000,000 × (1 − 0.35) = 650,000)."""
    v = cost_approach(replacement_cost=1_000_000, physical="0.1", functional="0.2", economic="0.05")
    assert v.value == D("684000.00")
    assert [s.amount for s in v.steps][1:4] == [D("-100000.00"), D("-180000.00"), D("-36000.00")]
    assert v.sensitivity is not None and v.sensitivity.values[1][1] == v.value


def test_market_approach_mean_of_adjusted() -> None:
    """100 × 1; 200 × 1.1 × 0.9 = 198; 300 × 0.8 = 240 → mean 538 / 3 = 179.33."""
    v = market_approach(
        comparables=[100, 200, 300],
        adjustments=[1, {"technology": "1.1", "time": "0.9"}, "0.8"],
    )
    assert v.value == D("179.33")
    assert v.sensitivity is not None
    assert v.sensitivity.values[1] == (D("179.33"), D("198.00"))
    with pytest.raises(ValueError, match="one per comparable"):
        market_approach(comparables=[1, 2], adjustments=[1])


def test_real_option_black_scholes_reference_value() -> None:
    """S = K = 100, T = 1, σ = 20 %, r = 5 %: the textbook call value 10.4506 → 10.45."""
    v = real_option(pv_cash_flows=100, investment=100, years=1, volatility="0.2", risk_free="0.05")
    assert v.value == D("10.45")
    assert not v.collateral_basis
    deep = real_option(pv_cash_flows=100, investment=50, years=0, volatility="0.2", risk_free=0)
    assert deep.value == D("50.00")


def test_economic_life_capped_by_legal_life() -> None:
    assert cap_to_legal_life([100, 100, 100], D("1.5")) == (D(100), D("50.0"))
    assert cap_to_legal_life([100, 100], 5) == (D(100), D(100))
    assert cap_to_legal_life([100, 100], 0) == ()


def test_floats_and_bad_inputs_refused() -> None:
    with pytest.raises(ValueError, match="Decimal"):
        relief_from_royalty(
            revenues=[100.0],  # type: ignore[list-item]
            royalty_rate="0.05",
            tax_rate="0.25",
            discount_rate="0.1",
        )
    with pytest.raises(ValueError, match="timing"):
        relief_from_royalty(
            revenues=[100],
            royalty_rate="0.05",
            tax_rate="0.25",
            discount_rate="0.1",
            timing="start",  # type: ignore[arg-type]
        )


def test_industry_reference_bands_have_sources() -> None:
    ref = industry_reference("software")
    assert (ref.royalty_low, ref.royalty_high) == (D("0.05"), D("0.08"))
    assert "§11" in ref.royalty_source and "unconfirmed" in ref.discount_source
    assert ref.notes_for(rate=D("0.10"))
    assert not ref.notes_for(rate=D("0.06"))
    with pytest.raises(ValueError, match="unknown"):
        industry_reference("mining")


def test_to_dict_is_json_ready() -> None:
    import json

    v = relief_from_royalty(
        revenues=[100], royalty_rate="0.05", tax_rate="0.25", discount_rate="0.1"
    )
    data = json.loads(json.dumps(v.to_dict()))
    assert data["value"] == "3.41" and data["years"][0]["year"] == 1


# --- properties ---------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10**9, places=2)
rates = st.decimals(min_value=0, max_value=D("0.5"), places=4)


def _rfr(
    revenues: list[Decimal], royalty: Decimal, tax: Decimal, r: Decimal, timing: str
) -> Decimal:
    assert timing in ("end", "mid")
    return relief_from_royalty(
        revenues=revenues,
        royalty_rate=royalty,
        tax_rate=tax,
        discount_rate=r,
        timing="mid" if timing == "mid" else "end",
    ).value


def _share(revenues: list[Decimal], share: Decimal, tax: Decimal, r: Decimal) -> Decimal:
    return income_share(
        revenues=revenues,
        profit_margin=D("0.2"),
        share_rate=share,
        share_decline=D("0.05"),
        tax_rate=tax,
        discount_rate=r,
    ).value


@given(
    st.lists(money, min_size=1, max_size=20),
    rates,
    st.decimals(min_value=0, max_value=D("0.4"), places=3),
    rates,
    rates,
    st.sampled_from(["end", "mid"]),
)
def test_value_falls_as_discount_rate_rises(
    revenues: list[Decimal], royalty: Decimal, tax: Decimal, r1: Decimal, r2: Decimal, timing: str
) -> None:
    lo, hi = sorted((r1, r2))
    assert _rfr(revenues, royalty, tax, lo, timing) >= _rfr(revenues, royalty, tax, hi, timing)
    assert _share(revenues, royalty, tax, lo) >= _share(revenues, royalty, tax, hi)
    if lo < hi and any(revenues) and royalty > 0 and _rfr(revenues, royalty, tax, lo, timing) > 1:
        # strictly lower once the amounts are large enough to show at 0.01
        assert _rfr(revenues, royalty, tax, lo, timing) > _rfr(
            revenues, royalty, tax, lo + D(1), timing
        )


@given(st.lists(money, min_size=0, max_size=20), rates, rates)
def test_zero_remaining_life_gives_zero(
    revenues: list[Decimal], royalty: Decimal, r: Decimal
) -> None:
    capped = cap_to_legal_life(revenues, 0)
    assert (
        relief_from_royalty(
            revenues=capped, royalty_rate=royalty, tax_rate="0.25", discount_rate=r
        ).value
        == 0
    )
    assert (
        income_share(
            revenues=capped,
            profit_margin="0.3",
            share_rate=royalty,
            tax_rate="0.25",
            discount_rate=r,
        ).value
        == 0
    )


@given(st.lists(money, min_size=1, max_size=10), rates, rates, st.decimals(0, 12, places=2))
def test_capping_never_raises_value(
    revenues: list[Decimal], royalty: Decimal, r: Decimal, life: Decimal
) -> None:
    capped = list(cap_to_legal_life(revenues, life))
    tax = D("0.25")
    assert _rfr(capped, royalty, tax, r, "end") <= _rfr(revenues, royalty, tax, r, "end")


@given(
    st.decimals(1, 10**6, places=2),
    st.decimals(1, 10**6, places=2),
    st.decimals(D("0.1"), 10, places=2),
    st.decimals(D("0.05"), D("1.5"), places=2),
    st.decimals(0, D("0.1"), places=3),
)
def test_real_option_bounds(s: Decimal, k: Decimal, t: Decimal, sigma: Decimal, r: Decimal) -> None:
    """A call is worth at least its discounted intrinsic value and at most the underlying."""
    v = real_option(pv_cash_flows=s, investment=k, years=t, volatility=sigma, risk_free=r).value
    intrinsic = max(D(0), s - k * (-r * t).exp())
    assert intrinsic - D("0.01") <= v <= s + D("0.01")


def test_signatures_are_the_promised_ones() -> None:
    """Issue 6 item 2 spells these out; the platform and API call them by keyword."""
    import inspect

    from techfin.ip import valuation as v

    def shape(fn: object) -> list[tuple[str, object]]:
        sig = inspect.signature(fn)  # type: ignore[arg-type]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in sig.parameters.values())
        return [(p.name, p.default) for p in sig.parameters.values()]

    empty = inspect.Parameter.empty
    assert shape(v.relief_from_royalty) == [
        ("revenues", empty),
        ("royalty_rate", empty),
        ("tax_rate", empty),
        ("discount_rate", empty),
        ("timing", "end"),
    ]
    assert shape(v.income_share) == [
        ("revenues", empty),
        ("profit_margin", empty),
        ("share_rate", empty),
        ("share_decline", 0),
        ("tax_rate", empty),
        ("discount_rate", empty),
        ("timing", "end"),
    ]
    assert shape(v.cost_approach) == [
        ("replacement_cost", empty),
        ("physical", 0),
        ("functional", 0),
        ("economic", 0),
    ]
    assert shape(v.market_approach) == [("comparables", empty), ("adjustments", empty)]
    assert shape(v.real_option) == [
        ("pv_cash_flows", empty),
        ("investment", empty),
        ("years", empty),
        ("volatility", empty),
        ("risk_free", empty),
    ]
