"""Rating, governance (maker-checker on models and overrides), versions, tenancy, consent."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from rp_world import AS_OF, World, model_json

from techfin.services import consent, rating
from techfin.services.errors import Conflict, ConsentRequired, Forbidden, NotFound, ValidationFailed

TRAIN_SHA = hashlib.sha256(b"training data").hexdigest()


def _approved_champion(world: World, segment: str = "all") -> dict:
    m = rating.submit_model(
        world.db,
        world.actor("a_rm"),
        name="tech-pd",
        model_json=model_json(),
        training_data_sha256=TRAIN_SHA,
        segment=segment,
    )
    rating.decide_model(world.db, world.actor("a_rm2"), m["id"], approve=True, note="validated")
    return rating.set_model_role(world.db, world.actor("a_approver"), m["id"], "champion")


def test_expert_rating_records_versions_and_levers(world: World) -> None:
    r = rating.rate_enterprise(world.db, world.actor("a_am"), world.enterprise_id, as_of=AS_OF)
    assert r["expert_rule"] == "techfin-tech-flow-scorecard@1"
    assert r["feature_catalogue"] == "techfin-rating-features@1"
    assert r["model"] == "" and r["model_version_id"] is None
    assert r["stage"] == "mature"  # registered 2015: over 10 years
    assert r["grade"] == r["expert_grade"] == r["final_grade"]
    assert r["score"] == r["expert_score"]
    assert set(r["dimension_scores"]) >= {"equity_financing", "patent_quality", "team_stability"}
    assert r["reasons_up"] and r["reasons_down"]
    levers = rating.policy_levers(r["grade"])
    assert r["policy"] == levers
    assert set(levers) == {
        "grade",
        "eligible_products",
        "products",
        "limit_multiple",
        "pricing_adjustment_bp",
        "authority_factor",
        "approval_route",
        "source",
    }
    assert levers["source"] == "grade_policy@grade-policy-2026.1"
    assert len(r["features_sha256"]) == 64
    hist = rating.rating_history(world.db, world.actor("a_rm"), world.enterprise_id)
    assert [h["id"] for h in hist] == [r["id"]]


def test_champion_model_is_blended_and_recorded_challenger_in_shadow(world: World) -> None:
    champ = _approved_champion(world)
    r = rating.rate_enterprise(world.db, world.actor("a_am"), world.enterprise_id, as_of=AS_OF)
    assert r["model"] == "tech-pd@1" and r["model_version_id"] == champ["id"]
    assert r["statistical_pd"] is not None and r["blended_pd"] is not None
    assert r["master_grade"].startswith("M")
    # a second version becomes champion; the first is demoted to challenger and shadows
    m2 = rating.submit_model(
        world.db,
        world.actor("a_rm2"),
        name="tech-pd",
        model_json=model_json(),
        training_data_sha256=TRAIN_SHA,
        segment="all",
    )
    assert m2["version"] == 2
    rating.decide_model(world.db, world.actor("a_rm"), m2["id"], approve=True, note="ok")
    rating.set_model_role(world.db, world.actor("a_rm"), m2["id"], "champion")
    models = {m["id"]: m for m in rating.list_models(world.db, world.actor("a_am"))}
    assert models[champ["id"]]["role"] == "challenger"
    r2 = rating.rate_enterprise(world.db, world.actor("a_am"), world.enterprise_id, as_of=AS_OF)
    assert r2["model"] == "tech-pd@2"
    assert [c["model"] for c in r2["challengers"]] == ["tech-pd@1"]


def test_model_maker_checker(world: World) -> None:
    m = rating.submit_model(
        world.db,
        world.actor("a_rm"),
        name="tech-pd",
        model_json=model_json(),
        training_data_sha256=TRAIN_SHA,
    )
    assert m["status"] == "submitted" and m["developer"] == "a_rm"
    assert m["features"] and m["metrics"] and m["training_data_sha256"] == TRAIN_SHA
    with pytest.raises(Forbidden, match="developer"):
        rating.decide_model(world.db, world.actor("a_rm"), m["id"], approve=True, note="mine")
    with pytest.raises(Conflict):  # not approved: cannot be champion
        rating.set_model_role(world.db, world.actor("a_approver"), m["id"], "champion")
    with pytest.raises(NotFound):  # another bank's model does not exist for it
        rating.decide_model(world.db, world.actor("b_rm"), m["id"], approve=True, note="x")
    with pytest.raises(Forbidden):  # an account manager cannot validate
        rating.decide_model(world.db, world.actor("a_am"), m["id"], approve=True, note="x")
    done = rating.decide_model(
        world.db, world.actor("a_rm2"), m["id"], approve=False, note="KS low"
    )
    assert (done["status"], done["validator"]) == ("rejected", "a_rm2")
    with pytest.raises(Conflict):
        rating.decide_model(world.db, world.actor("a_approver"), m["id"], approve=True, note="x")


BAD_SUBMISSIONS = [
    ({"model_json": "{}"}, "model_json"),
    ({"model_json": "not json"}, "model_json"),
    ({"training_data_sha256": "abc"}, "training_data_sha256"),
    ({"segment": "huge"}, "segment"),
    ({"name": " "}, "name"),
]


def test_bad_model_submissions(world: World) -> None:
    args = {"name": "m", "model_json": model_json(), "training_data_sha256": TRAIN_SHA}
    for kwargs, field in BAD_SUBMISSIONS:
        with pytest.raises(ValidationFailed) as exc:
            rating.submit_model(world.db, world.actor("a_rm"), **{**args, **kwargs})
        assert exc.value.field == field, kwargs
    assert rating.list_models(world.db, world.actor("a_rm")) == []


def test_override_maker_checker_and_report(world: World) -> None:
    r = rating.rate_enterprise(world.db, world.actor("a_am"), world.enterprise_id, as_of=AS_OF)
    g = r["grade"]
    better = rating.grades()[max(rating.grades().index(g) - 1, 0)]
    worse = rating.grades()[rating.grades().index(g) + 1]
    with pytest.raises(ValidationFailed):
        rating.request_override(world.db, world.actor("a_am"), r["id"], to_grade=worse, reason="")
    o = rating.request_override(
        world.db, world.actor("a_am"), r["id"], to_grade=worse, reason="customer concentration"
    )
    assert (o["direction"], o["notches"], o["status"]) == ("down", 1, "pending")
    with pytest.raises(Conflict):  # one pending at a time
        rating.request_override(
            world.db, world.actor("a_rm"), r["id"], to_grade=better, reason="x" * 6
        )
    with pytest.raises(Forbidden):  # an account manager is not a checker
        rating.decide_override(world.db, world.actor("a_am"), o["id"], approve=True)
    with pytest.raises(NotFound):
        rating.decide_override(world.db, world.actor("b_rm"), o["id"], approve=True)
    rating.decide_override(world.db, world.actor("a_approver"), o["id"], approve=True, note="agree")
    after = rating.get_rating(world.db, world.actor("a_am"), r["id"])
    assert after["grade"] == g and after["final_grade"] == worse and after["overridden"]
    assert after["policy"]["grade"] == worse
    # a risk manager requests an upgrade and cannot approve it
    o2 = rating.request_override(
        world.db, world.actor("a_rm"), r["id"], to_grade=g, reason="new equity round closed"
    )
    assert o2["direction"] == "up"
    with pytest.raises(Forbidden, match="maker-checker"):
        rating.decide_override(world.db, world.actor("a_rm"), o2["id"], approve=True)
    rating.decide_override(world.db, world.actor("a_rm2"), o2["id"], approve=False, note="no")
    rep = rating.override_report(world.db, world.actor("a_rm"))
    assert rep["total"] == 2
    rows = {(x["user"], x["direction"]): x for x in rep["by_requester"]}
    assert (
        rows[("a_am", "down")]["approved"] == 1 and rows[("a_am", "down")]["notches_approved"] == 1
    )
    assert rows[("a_rm", "up")]["rejected"] == 1
    assert {(x["user"], x["direction"]) for x in rep["by_decider"]} == {
        ("a_approver", "down"),
        ("a_rm2", "up"),
    }
    assert rating.override_report(world.db, world.actor("b_rm"))["total"] == 0


def test_rating_needs_consent_and_tenancy(world: World) -> None:
    with pytest.raises(ConsentRequired):
        rating.rate_enterprise(world.db, world.actor("b_am"), world.enterprise_id, as_of=AS_OF)
    with pytest.raises(Forbidden):
        rating.rate_enterprise(world.db, world.actor("ent1"), world.enterprise_id, as_of=AS_OF)
    r = rating.rate_enterprise(world.db, world.actor("a_am"), world.enterprise_id, as_of=AS_OF)
    with pytest.raises(NotFound):
        rating.get_rating(world.db, world.actor("b_am"), r["id"])
    assert rating.rating_history(world.db, world.actor("b_am"), world.enterprise_id) == []
    with pytest.raises(ValidationFailed):
        rating.rate_enterprise(world.db, world.actor("a_am"), world.enterprise_id, stage="seed")
    consent.grant(
        world.db,
        world.actor("ent2"),
        enterprise_id=world.other_enterprise_id,
        grantee_code="BANKA",
        purpose="credit_assessment",
        expires_on=dt.date.today() + dt.timedelta(days=30),
    )
    # a dishonest judgment debtor is T10 even when a champion model is blended in
    _approved_champion(world)
    r = rating.rate_enterprise(
        world.db, world.actor("a_am"), world.other_enterprise_id, as_of=AS_OF
    )
    assert r["knockouts"] == ["dishonest_judgment_debtor"]
    # credit's grade policy: at T10 only the talent loan (no grade needed) remains and no
    # delegated authority — the credit committee decides (decision 0608)
    assert r["grade"] == "T10" and r["policy"]["approval_route"] == "committee"
    assert r["policy"]["eligible_products"] == ["talent_loan"]
