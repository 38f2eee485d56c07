"""Renewal without prior repayment, extension and restructuring (issue 9 item 2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from techfin.credit.classification import RiskClass, classify
from techfin.credit.restructure import (
    Concession,
    ExtensionRequest,
    NotAllowed,
    RenewalRequest,
    RestructuringRequest,
    check_extension,
    check_renewal,
    extend,
    renew,
    renewal_rules,
    renewal_terms,
    restructure,
)
from techfin.credit.schedule import Method, Terms, build

MATURITY = dt.date(2026, 6, 20)


def _request(**changes: object) -> RenewalRequest:
    base = RenewalRequest(
        loan_id="L-9",
        borrower_size="small",
        purpose="working_capital",
        maturity=MATURITY,
        outstanding_principal=D("3000000.00"),
        applied_on=dt.date(2026, 5, 10),
        investigation_done_on=dt.date(2026, 5, 25),
        contracts_signed_on=dt.date(2026, 6, 15),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _new_terms(principal: str = "3000000.00", start: dt.date = MATURITY) -> Terms:
    return Terms(
        principal=D(principal),
        annual_rate=D("0.0385"),
        start=start,
        installments=12,
        method=Method.INTEREST_ONLY,
    )


def test_eligible_renewal_stays_normal_and_builds_the_new_schedule() -> None:
    decision = check_renewal(_request())
    assert decision.eligible and decision.stays_normal
    assert decision.rule_version == renewal_rules().version
    assert all(c.passed for c in decision.checks)
    renewal = renew(_request(), _new_terms())
    assert renewal.classification.value is RiskClass.NORMAL
    assert renewal.schedule.rows[0].due_date == dt.date(2026, 7, 20)
    assert renewal.schedule.totals.principal == D("3000000.00")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"borrower_size": "large"}, "scope"),
        ({"borrower_size": "medium", "purpose": "business"}, "scope"),
        ({"purpose": "fixed_asset"}, "scope"),
        ({"maturity": dt.date(2027, 10, 1)}, "maturity_window"),
        ({"applied_on": MATURITY}, "applied_before_maturity"),
        ({"investigation_done_on": None}, "advance_investigation"),
        ({"investigation_done_on": dt.date(2026, 6, 21)}, "advance_investigation"),
        ({"contracts_signed_on": MATURITY}, "contracts_before_maturity"),
    ],
)
def test_scope_and_process_failures_make_it_ineligible(
    changes: dict[str, object], code: str
) -> None:
    decision = check_renewal(_request(**changes))
    assert not decision.eligible and not decision.stays_normal
    assert [c.code for c in decision.checks if not c.passed] == [code]
    with pytest.raises(NotAllowed):
        renew(_request(**changes), _new_terms())


def test_scope_edges() -> None:
    assert check_renewal(_request(borrower_size="medium")).eligible  # medium working capital
    assert check_renewal(_request(borrower_size="micro", purpose="business")).eligible
    assert check_renewal(_request(maturity=dt.date(2027, 9, 30))).eligible  # last day in


@pytest.mark.parametrize(
    "changes",
    [
        {"lawful": False},
        {"operating": False},
        {"funds_diverted": True},
        {"missed_interest": True},
        {"evaded_debt": True},
    ],
)
def test_failed_condition_renewal_is_refinancing_with_special_mention_floor(
    changes: dict[str, object],
) -> None:
    """Eligible process but a borrower condition fails: it does not stay normal; 借新还旧
    without eligibility sets a special-mention floor."""
    renewal = renew(_request(**changes), _new_terms())
    assert renewal.decision.eligible and not renewal.decision.stays_normal
    assert renewal.classification.value is RiskClass.SPECIAL_MENTION
    assert classify(days_past_due=0, **renewal.decision.classification_facts()).value is (
        RiskClass.SPECIAL_MENTION
    )


def test_renewal_terms_must_start_at_maturity_and_not_exceed_outstanding() -> None:
    with pytest.raises(ValueError, match=r"terms\.start"):
        renew(_request(), _new_terms(start=dt.date(2026, 6, 1)))
    with pytest.raises(ValueError, match=r"terms\.principal"):
        renew(_request(), _new_terms(principal="3000000.01"))


OLD = Terms(
    principal=D("1200000.00"),
    annual_rate=D("0.045"),
    start=dt.date(2025, 1, 20),
    installments=12,
)


def test_extension_re_amortises_to_the_new_maturity() -> None:
    """A 12-month loan extended by 6 months on 2025-10-01 with 300,000.00 outstanding: the
    three remaining dates (Oct 20, Nov 20, Dec 20) and Jan 20 … Jun 20 2026 — 9 rows."""
    req = ExtensionRequest(
        "L-1",
        original_start=OLD.start,
        original_maturity=dt.date(2026, 1, 20),
        new_maturity=dt.date(2026, 7, 20),
        applied_on=dt.date(2025, 9, 1),
    )
    ext = extend(req, build(OLD), outstanding_principal=D("300000.00"), as_of=dt.date(2025, 10, 1))
    assert all(c.passed for c in ext.checks)
    dates = [r.due_date for r in ext.schedule.rows]
    assert dates[0] == dt.date(2025, 10, 20)
    assert dates[-1] == dt.date(2026, 7, 20)
    assert len(dates) == 10
    assert ext.schedule.totals.principal == D("300000.00")
    assert ext.terms.annual_rate == D("0.045")


def test_extension_limits() -> None:
    """Short-term: at most the original term again; medium: at most half; long: 36 months."""
    short = ExtensionRequest(
        "L", OLD.start, dt.date(2026, 1, 20), dt.date(2027, 1, 21), dt.date(2025, 12, 1)
    )
    checks, _ = check_extension(short)
    assert [c.code for c in checks if not c.passed] == ["extension_limit"]
    ok = dataclasses.replace(short, new_maturity=dt.date(2027, 1, 20))
    assert all(c.passed for c in check_extension(ok)[0])
    medium = ExtensionRequest(
        "L", dt.date(2024, 1, 1), dt.date(2027, 1, 1), dt.date(2028, 9, 1), dt.date(2026, 6, 1)
    )
    assert not check_extension(medium)[0][0].passed
    assert check_extension(dataclasses.replace(medium, new_maturity=dt.date(2028, 7, 1)))[0][
        0
    ].passed
    late = dataclasses.replace(ok, applied_on=dt.date(2026, 1, 20))
    with pytest.raises(NotAllowed, match="applied"):
        extend(late, build(OLD), outstanding_principal=D("1"), as_of=dt.date(2026, 1, 20))


def test_restructuring_floor_and_observation_period() -> None:
    """A borrower in difficulty: 900,000.00 outstanding plus 20,000.00 unpaid interest are
    restructured on 2025-07-01 into 920,000.00 at a lower rate over 24 months. Concessions found:
    rate reduction, term extension, interest capitalised. Floor substandard until the
    observation period (12 months) ends; the classification facts keep it there."""
    new = Terms(
        principal=D("920000.00"),
        annual_rate=D("0.035"),
        start=dt.date(2025, 7, 1),
        installments=24,
        method=Method.EQUAL_PRINCIPAL,
    )
    res = restructure(
        RestructuringRequest(
            "L-2",
            as_of=dt.date(2025, 7, 1),
            old_terms=OLD,
            new_terms=new,
            outstanding_principal=D("900000.00"),
            unpaid_interest=D("20000.00"),
            difficulty_evidence="revenue fell 60 %, two installments missed",
            days_past_due=45,
        )
    )
    assert set(res.concessions) == {
        Concession.RATE_REDUCTION,
        Concession.TERM_EXTENSION,
        Concession.INTEREST_CAPITALISED,
    }
    assert res.classification.value is RiskClass.SUBSTANDARD
    assert res.observation_end == dt.date(2026, 7, 1)
    assert res.schedule.totals.principal == D("920000.00")
    facts = res.classification_facts()
    inside = classify(days_past_due=0, as_of=dt.date(2026, 6, 30), **facts)
    after = classify(days_past_due=0, as_of=dt.date(2026, 7, 1), **facts)
    assert inside.value is RiskClass.SUBSTANDARD and after.value is RiskClass.NORMAL


def test_restructuring_needs_difficulty_and_a_concession() -> None:
    same = dataclasses.replace(
        OLD,
        start=dt.date(2025, 3, 1),
        principal=D("1000000.00"),
        first_due=dt.date(2025, 3, 20),
        installments=11,
    )
    req = RestructuringRequest(
        "L-3",
        as_of=dt.date(2025, 3, 1),
        old_terms=OLD,
        new_terms=same,
        outstanding_principal=D("1000000.00"),
        difficulty_evidence="",
    )
    with pytest.raises(ValueError, match="difficulty"):
        restructure(req)
    with pytest.raises(ValueError, match="concession"):
        restructure(dataclasses.replace(req, difficulty_evidence="cash-flow shortfall"))
    deferred = restructure(
        dataclasses.replace(
            req,
            difficulty_evidence="cash-flow shortfall",
            concessions=(Concession.PAYMENT_DEFERRAL,),
        )
    )
    assert deferred.concessions == (Concession.PAYMENT_DEFERRAL,)
    with pytest.raises(ValueError, match="capitalised"):
        restructure(
            dataclasses.replace(
                req,
                difficulty_evidence="x",
                new_terms=dataclasses.replace(same, principal=D("1000001.00")),
            )
        )


def test_renewal_terms_helper() -> None:
    """12 more months, interest only, paid quarterly (4 periods from the old maturity)."""
    from techfin.credit.schedule import Frequency

    terms = renewal_terms(
        _request(),
        annual_rate=D("0.0365"),
        installments=4,
        frequency=Frequency.parse("quarterly"),
    )
    assert terms.start == MATURITY and terms.principal == D("3000000.00")
    renewal = renew(_request(), terms)
    assert renewal.schedule.rows[-1].due_date == dt.date(2027, 6, 20)
    assert renewal.schedule.rows[0].due_date == dt.date(2026, 9, 20)
