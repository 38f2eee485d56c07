from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from techfin.rating._frame import RatingInputError
from techfin.rating.binning import BinningProcess
from techfin.rating.calibration import (
    anchor_shift,
    binomial_upper,
    calibrate_grades,
    load_master_scale,
    pluto_tasche,
)
from techfin.rating.scorecard import ModelVersionError, Scorecard
from techfin.rating.target import encode_target
from techfin.rating.validation import auc, hosmer_lemeshow, ks, psi


@pytest.fixture()
def data(make_frame):
    return make_frame()


def test_fit_scores_rank_and_roundtrip_json(data):
    X, y = data
    sc = Scorecard().fit(X, y)
    assert "noise" not in sc.selected_
    assert {"rd_intensity", "debt_ratio"} <= set(sc.selected_)
    p = sc.predict_proba(X)[:, 1]
    assert roc_auc_score(y, p) > 0.65
    assert np.isfinite(p).all()
    again = Scorecard.from_json(sc.to_json(target="y"))
    assert np.array_equal(again.predict_score(X), sc.predict_score(X))
    assert np.array_equal(again.predict_proba(X), sc.predict_proba(X))
    assert again.reasons(X.head(20)) == sc.reasons(X.head(20))


def test_model_json_from_another_version_is_refused(data):
    X, y = data
    d = json.loads(Scorecard().fit(X, y).to_json())
    d["schema_version"] = 99
    with pytest.raises(ModelVersionError, match="schema version 99"):
        Scorecard.from_json(json.dumps(d))
    with pytest.raises(ModelVersionError):
        Scorecard.from_json('{"schema": "something else"}')


def test_scaling_pdo_and_base_odds(data):
    X, y = data
    sc = Scorecard(pdo=20, base_odds=50, base_score=600).fit(X, y)
    s = sc.predict_score(X)
    pd = sc.predict_proba(X)[:, 1]
    odds_good = (1 - pd) / pd
    # score = 600 + 20/ln2 * ln(odds / 50)
    assert np.allclose(s, 600 + 20 / math.log(2) * np.log(odds_good / 50))
    # points add up: base points + the points of each feature's bin
    rows = sc.table()
    assert {r["feature"] for r in rows} == set(sc.selected_)


def test_reason_codes_point_to_lost_points(data):
    X, y = data
    sc = Scorecard(n_reasons=2).fit(X, y)
    out = sc.rate(X)
    assert list(out)[:3] == ["score", "pd", "grade"]
    assert {"reason_1", "reason_2"} <= set(out)
    idx = sc._indices(X)
    best_row = np.all([idx[:, k] == int(np.argmax(p)) for k, p in enumerate(sc.points_)], axis=0)
    # a row in the best bin of every feature has no reasons; others name a selected feature
    for i in range(200):
        r1 = out["reason_1"][i]
        assert (r1 == "") == bool(best_row[i])
        if r1:
            k = sc.selected_.index(r1)
            assert sc.points_[k][idx[i, k]] < sc.points_[k].max()


def test_sklearn_pipeline_clone_and_cross_validation(data):
    X, y = data
    sc = Scorecard(max_corr=0.8)
    assert clone(sc).get_params() == sc.get_params()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(Pipeline([("sc", sc)]), X.to_pandas(), y, cv=cv, scoring="roc_auc")
    assert scores.min() > 0.6
    # BinningProcess as a transformer in front of any classifier
    from sklearn.linear_model import LogisticRegression

    pipe = Pipeline([("bin", BinningProcess()), ("lr", LogisticRegression())]).fit(X, y)
    assert pipe.predict_proba(X).shape == (len(y), 2)


def test_stepwise_keeps_a_subset(data):
    X, y = data
    full = Scorecard(min_iv=0.0).fit(X, y)
    step = Scorecard(min_iv=0.0, stepwise=True).fit(X, y)
    assert set(step.selected_) <= set(full.selected_)
    assert "rd_intensity" in step.selected_


def test_bad_inputs_give_clear_errors(data):
    X, y = data
    with pytest.raises(RatingInputError, match="one class"):
        Scorecard().fit(X, np.zeros(len(y)))
    const = pl.DataFrame(
        {"a": np.ones(100), "b": [None] * 100}, schema={"a": pl.Float64, "b": pl.Float64}
    )
    with pytest.raises(RatingInputError, match="no feature"):
        Scorecard().fit(const, np.r_[np.ones(50), np.zeros(50)])
    sc = Scorecard().fit(X, y)
    wrong = X.with_columns(debt_ratio=pl.lit("n/a"))
    with pytest.raises(RatingInputError, match="debt_ratio"):
        sc.predict_proba(wrong)
    missing = X.drop("rd_intensity")
    with pytest.raises(RatingInputError, match="rd_intensity"):
        sc.predict_proba(missing)
    # an unseen category and infinities are scored, never NaN
    odd = X.head(3).with_columns(sector=pl.lit("never-seen"), debt_ratio=pl.lit(float("inf")))
    assert np.isfinite(sc.predict_proba(odd)).all()


def test_target_encodings():
    assert encode_target(["good", "BAD", "good"]).tolist() == [0, 1, 0]
    assert encode_target([2, 1, 1], bad_value=2).tolist() == [1, 0, 0]
    assert encode_target(np.array([True, False])).tolist() == [1, 0]
    with pytest.raises(RatingInputError, match="0/1"):
        encode_target([0, 1, 2])
    with pytest.raises(RatingInputError, match="one class"):
        encode_target(["good", "good"])


def test_central_tendency_anchoring_keeps_ranking(data):
    X, y = data
    sc = Scorecard(central_tendency=0.02).fit(X, y)
    p = sc.predict_proba(X)[:, 1]
    assert p.mean() == pytest.approx(0.02, abs=1e-9)
    base = Scorecard().fit(X, y).predict_proba(X)[:, 1]
    assert roc_auc_score(y, p) == pytest.approx(roc_auc_score(y, base))


def test_low_default_bounds():
    # no defaults among 100: one-sided 90 % bound = 1 - 0.1 ** (1/100)
    assert binomial_upper(100, 0, 0.9) == pytest.approx(1 - 0.1 ** (1 / 100))
    pt = pluto_tasche([100, 200, 300], [0, 1, 2], 0.9)
    assert pt[0] == pytest.approx(binomial_upper(600, 3, 0.9))
    assert pt[2] == pytest.approx(binomial_upper(300, 2, 0.9))
    scale = load_master_scale()
    pd = np.r_[np.full(500, 0.004), np.full(500, 0.03)]
    y = np.zeros(1000)
    y[600:615] = 1
    rows = calibrate_grades(pd, y, scale, low_default_threshold=20)
    pds = [r.pd for r in rows]
    assert pds == sorted(pds)
    low = next(r for r in rows if r.n == 500 and r.defaults == 0)
    assert low.method in ("upper_bound", "range_ceiling") and low.pd >= low.mean_pd
    assert low.pd <= low.pd_upper
    shift = anchor_shift(np.log(pd / (1 - pd)), 0.01)
    assert np.mean(1 / (1 + np.exp(-(np.log(pd / (1 - pd)) + shift)))) == pytest.approx(0.01)


def test_validation_statistics_against_references():
    rng = np.random.default_rng(3)
    s = rng.normal(size=500)
    y = (rng.uniform(size=500) < 1 / (1 + np.exp(-s))).astype(int)
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert ks(y, s) == pytest.approx(stats.ks_2samp(s[y == 1], s[y == 0]).statistic, abs=1e-12)
    assert psi([10, 20, 30], [10, 20, 30]) == 0.0
    assert psi([10, 20, 30], [30, 20, 10]) > 0.25
    stat, df, p = hosmer_lemeshow([100, 100, 100], [1, 5, 10], [0.01, 0.05, 0.10])
    assert stat == pytest.approx(0.0) and df == 1 and p == pytest.approx(1.0)


def test_correlation_selection_drops_the_weaker_twin(data):
    X, y = data
    twin = X.with_columns(rd_copy=pl.col("rd_intensity") * 2.0 + 1.0)
    sc = Scorecard(max_corr=0.9).fit(twin, y)
    assert ("rd_intensity" in sc.selected_) != ("rd_copy" in sc.selected_)
    assert any("corr" in d["reason"] for d in sc.dropped_)


def test_peak_trend_and_fixed_cuts_through_the_scorecard(data):
    X, y = data
    sc = Scorecard(
        monotonic_trend={"age": "valley"}, user_splits={"debt_ratio": [0.5]}, min_iv=0.0
    ).fit(X, y)
    by = {b.name: b for b in sc.binning_process_.binnings_}
    assert 0.5 in by["debt_ratio"].splits
    assert by["age"].achieved_trend in ("valley", "ascending", "descending")


def test_numpy_and_dict_inputs(data):
    X, y = data
    num = X.select("rd_intensity", "debt_ratio", "age").to_numpy()
    sc = Scorecard().fit(num, y)
    assert sc.selected_[0].startswith("x")
    d = {c: X[c].to_numpy() for c in X.columns}
    p = Scorecard().fit(d, y).predict_proba(d)
    assert np.isfinite(p).all()


def test_low_default_portfolio_gets_conservative_grade_pds():
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-5.5 + 1.2 * x)))).astype(int)
    assert 5 <= y.sum() <= 40  # a low-default portfolio
    sc = Scorecard(central_tendency=0.01, min_bin_size=0.1).fit({"x": x}, y)
    pds = [g.pd for g in sc.calibration_]
    assert pds == sorted(pds) and all(0 < p <= 1 for p in pds)
    for g in sc.calibration_:
        if g.n:
            assert g.pd >= g.mean_pd - 1e-12
            assert g.pd <= g.pd_upper + 1e-12
    assert sc.predict_proba({"x": x})[:, 1].mean() == pytest.approx(0.01)
