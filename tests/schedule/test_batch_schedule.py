"""The int64 portfolio kernel agrees with the Decimal engine to the fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from techfin.batch.schedule import (
    LoanBook,
    _sum_by,
    cash_flows,
    portfolio_cash_flows,
    synthetic_book,
)
from techfin.credit.daycount import InterestBasis
from techfin.credit.schedule import Method, Terms, build


def _engine_rows(terms: Terms):
    s = build(terms)
    return (
        [r.due_date.isoformat() for r in s.rows],
        [r.days for r in s.rows],
        [int(r.principal * 100) for r in s.rows],
        [int(r.interest * 100) for r in s.rows],
        [int(r.balance * 100) for r in s.rows],
    )


def _kernel_rows(flows, i: int, n: int):
    return (
        [str(d) for d in flows.due[i, :n]],
        flows.days[i, :n].tolist(),
        flows.principal_fen[i, :n].tolist(),
        flows.interest_fen[i, :n].tolist(),
        flows.balance_fen[i, :n].tolist(),
    )


def test_kernel_agrees_with_engine_on_a_sample():
    book = synthetic_book(400, seed=3)
    flows = cash_flows(book)
    methods = set()
    for i in range(len(book)):
        terms = book.terms(i)
        methods.add((terms.method, terms.interest_basis, terms.frequency.every))
        assert _kernel_rows(flows, i, terms.installments) == _engine_rows(terms), terms
        assert not flows.active[i, terms.installments :].any()
    assert len(methods) >= 12  # the sample covers the subset's combinations


def test_month_end_and_leap_day_dates():
    terms = [
        Terms(
            principal=Decimal("1000000.00"),
            annual_rate=Decimal("0.0435"),
            start=date(2024, 1, 31),
            installments=14,
            method=m,
            interest_basis=b,
        )
        for m in (Method.ANNUITY, Method.EQUAL_PRINCIPAL, Method.INTEREST_ONLY)
        for b in (InterestBasis.PER_PERIOD, InterestBasis.ACT_360, InterestBasis.ACT_365F)
    ]
    book = LoanBook.from_terms(terms)
    flows = cash_flows(book)
    for i, t in enumerate(terms):
        assert _kernel_rows(flows, i, t.installments) == _engine_rows(t)


def test_zero_rate_and_single_installment():
    terms = [
        Terms(principal=Decimal("100.00"), annual_rate=Decimal(0), start=date(2025, 3, 3),
              installments=3),
        Terms(principal=Decimal("99.99"), annual_rate=Decimal("0.24"), start=date(2025, 3, 3),
              installments=1, method=Method.EQUAL_PRINCIPAL),
    ]  # fmt: skip
    flows = cash_flows(LoanBook.from_terms(terms))
    for i, t in enumerate(terms):
        assert _kernel_rows(flows, i, t.installments) == _engine_rows(t)


def test_subset_is_enforced():
    outside = Terms(
        principal=Decimal(1000), annual_rate=Decimal("0.04"), start=date(2025, 1, 1),
        installments=12, grace_principal=2,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"terms\[0\]"):
        LoanBook.from_terms([outside])
    odd_rate = Terms(
        principal=Decimal(1000), annual_rate=Decimal("0.0412345"), start=date(2025, 1, 1),
        installments=12,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"terms\[0\]"):
        LoanBook.from_terms([odd_rate])


def test_portfolio_totals_are_exact():
    book = synthetic_book(5_000, seed=11)
    monthly = portfolio_cash_flows(book, chunk=1_500)
    assert int(monthly.principal_fen.sum()) == int(book.principal_fen.sum())
    flows = cash_flows(book)
    assert int(monthly.interest_fen.sum()) == int(flows.interest_fen.sum())
    assert monthly.loans == 5_000


def test_group_sums_stay_exact_beyond_float_precision():
    values = np.full(1000, 10**11 - 1, dtype=np.int64)
    index = np.zeros(1000, dtype=np.int64)
    assert int(_sum_by(index, values, 1)[0]) == 1000 * (10**11 - 1)
