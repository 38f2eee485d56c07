"""Features from a built world equal hand-computed values (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rp_world import AS_OF, World

from techfin.enterprises import features as F
from techfin.services import rating_features
from techfin.services.context import Actor
from techfin.services.errors import ConsentRequired, Forbidden


def _years(end: dt.date) -> Decimal:
    return (Decimal((end - AS_OF).days) / Decimal("365.25")).quantize(Decimal("0.01"))


def test_features_from_the_hub_equal_hand_computed_values(world: World) -> None:
    out = rating_features.enterprise_features(
        world.db, world.actor("a_am"), world.enterprise_id, AS_OF
    )
    v = out["values"]
    # equity: rounds of 2024-03-15 and 2025-12-20 are within 36 months; 2021 is not
    assert v["equity_rounds_3y"] == 2
    assert v["equity_amount_3y_wan"] == "5000.00"
    assert v["months_since_last_round"] == 10
    assert v["institutional_investor"] == 1  # 红杉资本 led the 2024 round
    # R&D and financials, fiscal 2025 (2,600,000 / 32,000,000 = 0.08125 -> half-even 0.0812)
    assert v["rd_intensity"] == "0.0812"
    assert v["rd_staff_share"] == "0.3529"  # 30 / 85
    assert v["rd_growth"] == "0.3000"  # 2.6m / 2.0m - 1
    assert v["debt_ratio"] == "0.4000"
    assert v["net_margin"] == "0.0656"  # 2.1 / 32 = 0.065625
    # team: |90 - 80| / 85
    assert v["headcount_churn"] == "0.1176"
    # tax: 24m / 20m - 1; grade A; customs none -> no export growth
    assert v["revenue_growth"] == "0.2000"
    assert v["vat_declared_growth"] == "0.2000"
    assert v["tax_credit_grade"] == "A"
    assert v["export_growth"] is None
    assert v["exports_12m"] == "0"
    # credit register: two lenders with a balance, nothing overdue
    assert (v["bank_count"], v["overdue_12m"], v["first_loan"]) == (2, 0, 0)
    # negative list: the enforcement case is closed
    assert (v["enforcement_open"], v["dishonest_judgment_debtor"]) == (0, 0)
    assert v["titles_valid"] == ["hnte"]
    # utilities: 4 x 1200 kWh over 4 x 1000
    assert (v["power_kwh_12m"], v["power_growth"]) == (4800, "0.2000")
    # patents: granted P1 (invention, in force), P2 (invention, lapsed), P3 (utility, in force)
    assert (v["class_i_ip_count"], v["class_ii_ip_count"]) == (1, 1)
    assert v["high_value_patents"] == 1  # P1 maintained over 10 years
    assert v["patents_in_force_share"] == "0.6667"
    p1, p3 = _years(dt.date(2036, 5, 1)), _years(dt.date(2031, 1, 1))
    expected_life = ((p1 + p3) / 2).quantize(Decimal("0.01"))
    assert v["remaining_life_years_mean"] == str(expected_life)
    assert v["claims_mean"] == "10.00"
    assert v["forward_citations_5y_mean"] == "3.00"
    assert v["grant_lag_months_mean"] == "33.00"  # 36 and 30 months
    assert v["patent_scope_mean"] == "1.50"
    # cohort 2016 x G: P1 beats enterprise B's patent on claims, citations, scope (75 each)
    # and loses on grant lag (25): composite 62.5 vs 37.5 -> percentile 75. P2 is alone in
    # 2020 x G: 50. Mean 62.5.
    assert v["patent_quality_percentile"] == "62.50"
    assert Decimal(v["age_years"]) == (
        Decimal((AS_OF - dt.date(2015, 3, 1)).days) / Decimal("365.25")
    ).quantize(Decimal("0.01"))
    # what the hub lacks is None with a reason
    for name in ("standards_led", "generality_mean", "key_people_tenure_years", "current_ratio"):
        assert v[name] is None
        assert out["missing"][name] == F.NOT_IN_HUB[name]
    assert out["catalogue_version"] == "techfin-rating-features@1"


def test_features_need_consent_and_are_logged(world: World) -> None:
    with pytest.raises(ConsentRequired):
        rating_features.enterprise_features(
            world.db, world.actor("b_am"), world.enterprise_id, AS_OF
        )
    with pytest.raises(ConsentRequired):
        rating_features.enterprise_features(
            world.db, world.actor("a_am"), world.other_enterprise_id, AS_OF
        )
    with pytest.raises(Forbidden):
        rating_features.enterprise_features(
            world.db, world.actor("ent2"), world.enterprise_id, AS_OF
        )
    rating_features.enterprise_features(world.db, world.actor("a_am"), world.enterprise_id, AS_OF)
    from techfin.services import consent

    log = consent.access_log(world.db, world.actor("ent1"), world.enterprise_id)
    assert [a.what for a in log] == ["rating features"]
    # a bank's "all" covers only the enterprises that consented to it
    rows = rating_features.all_features(world.db, world.actor("a_am"), AS_OF)
    assert [r["enterprise_id"] for r in rows] == [world.enterprise_id]
    # the operator's "all": every enterprise; B is a listed dishonest debtor, never borrowed
    rows = rating_features.all_features(world.db, Actor.system("test"), AS_OF)
    by_id = {r["enterprise_id"]: r["values"] for r in rows}
    assert by_id[world.other_enterprise_id]["dishonest_judgment_debtor"] == 1
    assert by_id[world.other_enterprise_id]["first_loan"] == 1
    assert by_id[world.enterprise_id]["dishonest_judgment_debtor"] == 0
    # the batch path (cohorts of the whole hub) agrees with the one-enterprise path
    assert by_id[world.enterprise_id]["patent_quality_percentile"] == "62.50"


def test_catalogue_documents_every_feature() -> None:
    cat = rating_features.catalogue()
    assert cat["version"] == "techfin-rating-features@1"
    for e in cat["features"]:
        assert e["definition"] and e["unit"] and e["source"] and e["missing"] in ("missing", "zero")
        assert e["hub_source"] or e["note"], e["name"]
    extra = {e["name"]: e for e in cat["extra"]}
    assert {"power_growth", "tax_paid_12m", "titles_valid"} <= set(extra)
    for e in extra.values():
        assert e["definition"] and e["unit"] and e["source"] and e["missing"], e["name"]


# --- pure functions -----------------------------------------------------------------------


def test_percentile_rank_mid_rank_ties() -> None:
    assert F.percentile_rank(5, [5, 5, 1, 9]) == 50.0
    assert F.percentile_rank(9, [5, 1, 9]) == pytest.approx(100 * 2.5 / 3)


def test_months_between_counts_whole_months() -> None:
    assert F.months_between(dt.date(2025, 12, 20), dt.date(2026, 10, 31)) == 10
    assert F.months_between(dt.date(2025, 12, 31), dt.date(2026, 1, 30)) == 0
    assert F.months_between(dt.date(2025, 1, 31), dt.date(2025, 2, 28)) == 0


def test_patent_facts_status_and_term() -> None:
    row = {
        "number": "x",
        "kind": "design",
        "filed_on": dt.date(2022, 1, 1),
        "granted_on": dt.date(2022, 6, 1),
        "status": "",
        "ipc": "",
        "claims": None,
        "forward_citations": None,
    }
    f = F.patent_facts(row, dt.date(2026, 1, 1))
    assert f.in_force is True  # design filed after 2021-06-01: 15-year term
    assert f.remaining_years == _years_from(dt.date(2026, 1, 1), dt.date(2037, 1, 1))
    f = F.patent_facts({**row, "status": "lapsed"}, dt.date(2026, 1, 1))
    assert f.in_force is False and f.remaining_years is None
    f = F.patent_facts({**row, "status": "odd"}, dt.date(2026, 1, 1))
    assert f.in_force is None


def _years_from(a: dt.date, b: dt.date) -> Decimal:
    return (Decimal((b - a).days) / Decimal("365.25")).quantize(Decimal("0.01"))


def test_no_records_gives_missing_not_guesses() -> None:
    fs = F.compute_features(
        F.EnterpriseRecords(registered_on=dt.date(2024, 1, 1)), AS_OF, F.Cohorts()
    )
    v = fs.values
    assert v["equity_rounds_3y"] == 0 and v["equity_amount_3y_wan"] is None
    assert v["rd_intensity"] is None and v["headcount_churn"] is None
    assert v["patents_in_force_share"] is None and v["patent_quality_percentile"] is None
    assert v["first_loan"] == 1
    assert fs.missing["rd_intensity"] == "no record in the hub for the window"


def test_ip_legal_events_take_precedence_over_the_hub_status(world: World) -> None:
    """P1 says in force in the hub, but the IP platform's events show a grant and no annual
    fee since: lapsed, so no class-I IP in force any more."""
    from sqlalchemy import select

    from techfin.store.tables import Patent
    from techfin.store.tables_ip import IpLegalEvent

    with world.db.transaction() as s:
        p1 = s.scalar(select(Patent).where(Patent.number == "201610000001.1"))
        s.add(
            IpLegalEvent(
                patent_id=p1.id,
                event_key="granted|2019-05-01",
                kind="granted",
                on_date=dt.date(2019, 5, 1),
                as_of=AS_OF,
            )
        )
    v = rating_features.enterprise_features(
        world.db, world.actor("a_am"), world.enterprise_id, AS_OF
    )["values"]
    assert v["class_i_ip_count"] == 0 and v["high_value_patents"] == 0
    assert v["patents_in_force_share"] == "0.3333"


def test_institutional_investor_by_registry_or_name() -> None:
    known = frozenset({"INV-01", "星河投资"})
    assert F.institutional("INV-01", known) and F.institutional("星河投资", known)
    assert F.institutional("红杉资本") and F.institutional("Lakeside Ventures")
    assert (
        not F.institutional("INV-02", known)
        and not F.institutional("张三")
        and not F.institutional(None)
    )
