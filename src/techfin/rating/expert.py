"""Expert "technology flow" scorecard (2021 guidance art. 11): T1 (best) … T10.

A pure function over a mapping of named features (see ``data/feature_catalogue_v1.yaml``):
each indicator's value falls in a band worth 0–100 points; a dimension is the weighted mean
of its indicators; the score (0–100) is the mean of the dimensions weighted by the
enterprise's stage (start-up / growth / mature — a start-up's equity backing and team weigh
more, a mature firm's financials more). Negative-list hits cap the score or force T10. The
grade comes from score cut-offs. What a grade means for credit (eligible products, limit
multiple, pricing adjustment, authority, approval route) is credit policy, not the rating's:
it lives in ``techfin.credit.grade_policy`` (decision 0608) and the faces compose it.
Indicators, weights, bands and cut-offs are versioned data (``data/tech_scorecard_v1.yaml``,
all unconfirmed defaults: no official text fixes them), and every result records the rule id
and version it applied.

Reasons: each indicator's contribution is ``stage weight × indicator weight × (points −
neutral)``, neutral = 50; the largest positive contributions are the reasons up, the most
negative the reasons down.

:func:`blend` combines the expert score with a statistical PD in log-odds space with
stage-dependent, documented weights (more expert weight where statistics are thin).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

DEFAULT_RULES = "tech_scorecard_v1.yaml"


@dataclass(frozen=True)
class Reason:
    feature: str
    dimension: str
    value: float | None
    points: float
    contribution: float


@dataclass(frozen=True)
class ExpertRating:
    score: float
    grade: str
    stage: str
    dimension_scores: dict[str, float]
    indicator_points: dict[str, float]
    reasons_up: list[Reason]
    reasons_down: list[Reason]
    knockouts: list[str]
    rule_id: str
    rule_version: str
    missing: list[str] = field(default_factory=list)


@cache
def load_rules(name: str = DEFAULT_RULES) -> dict[str, Any]:
    """Read and check a packaged expert-scorecard rule file."""
    text = resources.files("techfin.rating").joinpath("data", name).read_text("utf-8")
    rules: dict[str, Any] = yaml.safe_load(text)
    check_rules(rules)
    return rules


def check_rules(rules: Mapping[str, Any]) -> None:
    stages = list(rules["stages"])
    for st in stages:
        total = sum(float(d["weight"][st]) for d in rules["dimensions"].values())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"dimension weights for stage {st} sum to {total}, not 1")
    for name, dim in rules["dimensions"].items():
        w = sum(float(i["weight"]) for i in dim["indicators"])
        if not math.isclose(w, 1.0, abs_tol=1e-9):
            raise ValueError(f"indicator weights of {name} sum to {w}, not 1")
        for ind in dim["indicators"]:
            mins = [float(b["min"]) for b in ind["bands"]]
            if mins != sorted(mins):
                raise ValueError(f"bands of {ind['feature']} are not in increasing order")
    cut = [float(g["min_score"]) for g in rules["grades"]]
    if cut != sorted(cut, reverse=True) or cut[-1] != 0:
        raise ValueError("grade cut-offs must decrease from T1 and end at 0")
    if "policy_levers" in rules:
        raise ValueError(
            "policy_levers are credit policy: they live in credit/data/grade_policy.yaml"
        )


def _band_points(value: float, bands: list[Mapping[str, Any]]) -> float:
    pts = float(bands[0]["points"])
    for b in bands:
        if value >= float(b["min"]):
            pts = float(b["points"])
        else:
            break
    return pts


def _value(features: Mapping[str, Any], name: str) -> float | None:
    v = features.get(name)
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    try:
        f = float(v)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"feature {name!r}: expected a number, got {v!r}") from exc
    if math.isnan(f):
        return None
    return f


def stage_of(features: Mapping[str, Any], rules: Mapping[str, Any] | None = None) -> str:
    """Stage from the rule file's age limits (``age_years`` feature)."""
    r = rules or load_rules()
    age = _value(features, "age_years")
    for st in r["stages"]:
        limit = r["stage_rule"].get(st, {}).get("max_age_years")
        if limit is None or (age is not None and age < float(limit)):
            return str(st)
    return str(r["stages"][-1])


def grade_of(score: float, rules: Mapping[str, Any] | None = None) -> str:
    r = rules or load_rules()
    for g in r["grades"]:
        if score >= float(g["min_score"]):
            return str(g["grade"])
    return str(r["grades"][-1]["grade"])


def rate_expert(
    features: Mapping[str, Any],
    stage: str | None = None,
    *,
    rules: Mapping[str, Any] | None = None,
    n_reasons: int = 3,
) -> ExpertRating:
    """Score one enterprise on the expert tech scorecard."""
    r = rules or load_rules()
    st = stage or stage_of(features, r)
    if st not in r["stages"]:
        raise ValueError(f"stage {st!r} not in {r['stages']}")
    neutral = float(r.get("neutral_points", 50))
    dim_scores: dict[str, float] = {}
    ind_points: dict[str, float] = {}
    contributions: list[Reason] = []
    missing: list[str] = []
    total = 0.0
    for dname, dim in r["dimensions"].items():
        dw = float(dim["weight"][st])
        dscore = 0.0
        for ind in dim["indicators"]:
            feat = str(ind["feature"])
            v = _value(features, feat)
            if v is None:
                pts = float(ind["missing_points"])
                missing.append(feat)
            else:
                pts = _band_points(v, ind["bands"])
            iw = float(ind["weight"])
            dscore += iw * pts
            ind_points[feat] = pts
            contributions.append(Reason(feat, dname, v, pts, dw * iw * (pts - neutral)))
        dim_scores[dname] = round(dscore, 2)
        total += dw * dscore
    score = total
    knockouts: list[str] = []
    forced: str | None = None
    for neg in r.get("negative_list", []):
        v = _value(features, str(neg["feature"]))
        if v is None or v <= 0:
            continue
        knockouts.append(str(neg["feature"]))
        if neg["effect"] == "cap_score":
            score = min(score, float(neg["cap"]))
        elif neg["effect"] == "force_grade":
            forced = str(neg["grade"])
    score = round(max(0.0, min(100.0, score)), 2)
    grade = forced or grade_of(score, r)
    up = sorted((c for c in contributions if c.contribution > 0), key=lambda c: -c.contribution)
    down = sorted((c for c in contributions if c.contribution < 0), key=lambda c: c.contribution)
    return ExpertRating(
        score=score,
        grade=grade,
        stage=st,
        dimension_scores=dim_scores,
        indicator_points=ind_points,
        reasons_up=up[:n_reasons],
        reasons_down=down[:n_reasons],
        knockouts=knockouts,
        rule_id=str(r["id"]),
        rule_version=str(r["version"]),
        missing=missing,
    )


def radar(rating: ExpertRating, rules: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Dimension scores with their zh/en labels and stage weights, in rule-file order: the
    data of a radar chart on the enterprise page."""
    r = rules or load_rules()
    return [
        {
            "dimension": name,
            "label_zh": dim["label"]["zh"],
            "label_en": dim["label"]["en"],
            "weight": float(dim["weight"][rating.stage]),
            "score": rating.dimension_scores[name],
        }
        for name, dim in r["dimensions"].items()
    ]


@dataclass(frozen=True)
class Blend:
    pd: float
    expert_pd: float
    statistical_pd: float
    expert_weight: float
    stage: str
    rule_version: str


def expert_pd(score: float, rules: Mapping[str, Any] | None = None) -> float:
    """Map an expert score to a PD: the anchor score has the anchor PD and every
    ``points_to_double_odds`` points halve the odds of default."""
    b = (rules or load_rules())["blend"]
    a_pd = float(b["anchor_pd"])
    logit = math.log(a_pd / (1 - a_pd)) - (score - float(b["anchor_score"])) * math.log(2) / float(
        b["points_to_double_odds"]
    )
    return 1.0 / (1.0 + math.exp(-logit))


def blend(
    expert_score: float,
    statistical_pd: float,
    stage: str,
    *,
    rules: Mapping[str, Any] | None = None,
    expert_weight: float | None = None,
) -> Blend:
    """PD blended in log-odds space: ``w · logit(expert PD) + (1 − w) · logit(statistical
    PD)``, with ``w`` the stage's expert weight from the rule file unless given."""
    r = rules or load_rules()
    if not 0.0 < statistical_pd < 1.0:
        raise ValueError("statistical PD must be strictly between 0 and 1")
    w = float(r["blend"]["expert_weight"][stage]) if expert_weight is None else expert_weight
    if not 0.0 <= w <= 1.0:
        raise ValueError("expert weight must be in [0, 1]")
    e = expert_pd(expert_score, r)
    logit = w * math.log(e / (1 - e)) + (1 - w) * math.log(statistical_pd / (1 - statistical_pd))
    return Blend(
        pd=1.0 / (1.0 + math.exp(-logit)),
        expert_pd=e,
        statistical_pd=statistical_pd,
        expert_weight=w,
        stage=stage,
        rule_version=str(r["version"]),
    )
