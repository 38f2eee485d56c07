"""Bank–tax and bank–customs signals: hand-worked values and the missing rules."""

from __future__ import annotations

from decimal import Decimal as D

from techfin.enterprises.signals import CATALOGUE, tax_customs_signals


def quarters(n, start_year=2024):
    return [f"{start_year + i // 4}Q{i % 4 + 1}" for i in range(n)]


def test_eight_quarters_hand_worked():
    """Revenue 100 per quarter in year 1, 120 in year 2 → growth 0.2; VAT 10/12 → tax growth
    0.2; revenue σ/μ over 8 quarters: values 4×100, 4×120, mean 110, σ 10 → 0.0909."""
    tax = [
        {
            "quarter": q,
            "vat": D(10 if i < 4 else 12),
            "cit": D(0),
            "declared_revenue": D(100 if i < 4 else 120),
            "tax_credit_grade": "B" if i < 7 else "A",
        }
        for i, q in enumerate(quarters(8))
    ]
    customs = [
        {"quarter": q, "exports": D(5 if i < 4 else 6), "imports": D(1)}
        for i, q in enumerate(quarters(8))
    ]
    s = tax_customs_signals(tax, customs)
    assert s["tax_paid_12m"] == D(48) and s["tax_paid_growth"] == D("0.2000")
    assert s["declared_revenue_12m"] == D(480) and s["revenue_growth"] == D("0.2000")
    assert s["revenue_stability"] == D("0.0909")
    assert s["tax_credit_grade"] == "A" and s["tax_credit_good"] == 1
    assert s["exports_12m"] == D(24) and s["export_growth"] == D("0.2000")
    assert s["export_share"] == D("0.0500")
    assert s["customs_active_quarters_8"] == 8 and s["zero_tax_quarters_8"] == 0


def test_order_of_rows_does_not_matter():
    tax = [
        {"quarter": q, "vat": D(i), "cit": D(1), "declared_revenue": D(10 + i)}
        for i, q in enumerate(quarters(9))
    ]
    assert tax_customs_signals(tax, []) == tax_customs_signals(list(reversed(tax)), [])


def test_missing_rules():
    s = tax_customs_signals([{"quarter": "2026Q1", "vat": D(0), "cit": D(0)}], [])
    assert s["tax_paid_12m"] is None and s["tax_paid_growth"] is None
    assert s["tax_credit_grade"] is None and s["tax_credit_good"] is None
    assert s["revenue_stability"] is None and s["export_share"] is None
    assert s["exports_12m"] == 0 and s["customs_active_quarters_8"] == 0
    assert s["tax_history_quarters"] == 1


def test_every_feature_is_documented_and_returned():
    s = tax_customs_signals([], [])
    assert {f.name for f in CATALOGUE} == set(s)
    assert all(f.definition and f.unit and f.source and f.missing for f in CATALOGUE)
