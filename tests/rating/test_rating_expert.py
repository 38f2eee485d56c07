from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techfin.rating.expert import (
    blend,
    check_rules,
    expert_pd,
    grade_of,
    load_rules,
    rate_expert,
    stage_of,
)

STRONG = {
    "equity_rounds_3y": 3,
    "equity_amount_3y_wan": 20000,
    "months_since_last_round": 6,
    "institutional_investor": 1,
    "rd_intensity": 0.2,
    "rd_staff_share": 0.5,
    "rd_growth": 0.4,
    "class_i_ip_count": 25,
    "class_ii_ip_count": 20,
    "standards_led": 3,
    "high_value_patents": 12,
    "patent_quality_percentile": 95,
    "forward_citations_5y_mean": 7,
    "patents_in_force_share": 0.97,
    "remaining_life_years_mean": 16,
    "headcount_churn": 0.05,
    "key_people_tenure_years": 8,
    "management_changes_3y": 0,
    "revenue_growth": 0.7,
    "export_growth": 0.5,
    "industry_outlook": 5,
    "debt_ratio": 0.2,
    "current_ratio": 2.5,
    "net_margin": 0.2,
    "operating_cash_flow_positive": 1,
}


def test_rules_are_consistent_and_versioned():
    r = load_rules()
    assert r["version"] == "1" and r["source"]
    assert set(r["dimensions"]) >= {
        "equity_financing",
        "rd_capability",
        "technical_advantage",
        "patent_quality",
        "team_stability",
        "market_prospects",
    }
    bad = copy.deepcopy(r)
    bad["dimensions"]["financial"]["weight"]["growth"] = 0.5
    with pytest.raises(ValueError, match="sum to"):
        check_rules(bad)


def test_rule_file_carrying_credit_levers_is_refused():
    bad = copy.deepcopy(load_rules())
    bad["policy_levers"] = {"T1": {"pricing_adjustment_bp": -40}}
    with pytest.raises(ValueError, match=r"grade_policy\.yaml"):
        check_rules(bad)


def test_best_and_worst_enterprises():
    best = rate_expert(STRONG, "growth")
    assert best.score == 100.0 and best.grade == "T1"
    # the engine grades; what a grade means for credit is credit's (decision 0608)
    assert not hasattr(best, "policy")
    assert best.rule_version == "1" and not best.reasons_down
    worst = rate_expert({}, "startup")
    assert worst.grade in ("T9", "T10") and len(worst.missing) == 25
    assert worst.reasons_down and not worst.reasons_up


def test_negative_list_caps_or_forces_grade():
    capped = rate_expert({**STRONG, "tax_arrears": 1}, "mature")
    assert capped.score == 45.0 and capped.knockouts == ["tax_arrears"]
    forced = rate_expert({**STRONG, "dishonest_judgment_debtor": True}, "mature")
    assert forced.grade == "T10"


def test_stage_weights_change_the_score():
    weak_fin = {**STRONG, "debt_ratio": 0.95, "current_ratio": 0.5, "net_margin": -0.3}
    assert rate_expert(weak_fin, "startup").score > rate_expert(weak_fin, "mature").score
    assert stage_of({"age_years": 2}) == "startup"
    assert stage_of({"age_years": 5}) == "growth"
    assert stage_of({"age_years": 25}) == "mature"


def test_reasons_name_the_weakest_indicators():
    r = rate_expert({**STRONG, "rd_intensity": 0.01, "headcount_churn": 0.6}, "growth")
    assert {x.feature for x in r.reasons_down} == {"rd_intensity", "headcount_churn"}


def test_text_value_is_an_error():
    with pytest.raises(ValueError, match="rd_intensity"):
        rate_expert({"rd_intensity": "high"}, "growth")


@given(st.floats(0, 100), st.floats(0, 100))
def test_grade_is_monotone_in_score(a, b):
    lo, hi = sorted((a, b))
    assert int(grade_of(hi)[1:]) <= int(grade_of(lo)[1:])


def test_blend_weights_and_expert_pd():
    assert expert_pd(50) == pytest.approx(0.03)
    # 12 points better halves the odds
    o50, o62 = (expert_pd(s) / (1 - expert_pd(s)) for s in (50, 62))
    assert o62 == pytest.approx(o50 / 2)
    b = blend(50, 0.03, "growth")
    assert b.pd == pytest.approx(0.03) and b.expert_weight == 0.5
    s = blend(90, 0.10, "startup")
    m = blend(90, 0.10, "mature")
    assert s.pd < m.pd < 0.10
    with pytest.raises(ValueError):
        blend(50, 0.0, "growth")


def test_feature_catalogue_covers_the_scorecard():
    from importlib import resources

    import yaml

    text = resources.files("techfin.rating").joinpath("data", "feature_catalogue_v1.yaml")
    cat = yaml.safe_load(text.read_text("utf-8"))
    names = {f["name"] for f in cat["features"]}
    for f in cat["features"]:
        assert f["definition"] and f["unit"] and f["source"]
        assert f["missing"] in ("missing", "zero")
    r = load_rules()
    used = {i["feature"] for d in r["dimensions"].values() for i in d["indicators"]}
    used |= {n["feature"] for n in r["negative_list"]}
    assert used <= names


def test_radar_data_for_the_enterprise_page():
    from techfin.rating.expert import radar

    r = rate_expert(STRONG, "startup")
    pts = radar(r)
    assert [p["dimension"] for p in pts][:2] == ["equity_financing", "rd_capability"]
    assert sum(p["weight"] for p in pts) == pytest.approx(1.0)
    assert all(p["score"] == 100.0 and p["label_zh"] for p in pts)
