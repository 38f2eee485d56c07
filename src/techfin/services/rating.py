"""Rating platform (issue 5 items 2, 4, 5): rate an enterprise, its history, model governance
and grade overrides.

* **Rate** (`rate_enterprise`): features from the hub under consent
  (`services.rating_features`), the expert tech scorecard (`techfin.rating.rate_expert`), and —
  when the institution has an approved *champion* statistical model for the enterprise's stage
  (or for `all`) — its PD blended with the expert PD (`techfin.rating.blend`). Approved
  *challengers* are scored in shadow and kept with the rating. The grade's policy levers
  (eligible products, limit multiple, pricing adjustment, authority factor, approval route)
  are looked up in credit's grade policy, the one file pricing and origination apply (0608).
  Every stored rating records the expert rule id@version, the feature catalogue id@version
  and the model name@version it used.
* **Model versions** (`submit_model` → `decide_model` → `set_model_role`): the fitted model's
  JSON, its training-data hash, features and metrics, the developer; an independent validator
  approves or rejects (maker-checker: the developer never can). Only approved models can be
  champion or challenger; a new champion demotes the segment's old one to challenger.
* **Overrides** (`request_override` → `decide_override`): a reason is required and a second
  person decides (maker-checker); `override_report` counts them by user and direction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from techfin.enterprises.features import jsonable
from techfin.money import Rounding, quantize
from techfin.services import audit
from techfin.services.authz import owned, require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.services.rating_features import features_in_session
from techfin.store.db import Database
from techfin.store.tables import Enterprise, utcnow
from techfin.store.tables_rating import EnterpriseRating, RatingModelVersion, RatingOverride

RATERS = (Role.ACCOUNT_MANAGER, Role.RISK_MANAGER, Role.REVIEWER, Role.APPROVER)
READERS = (*RATERS, Role.ADMIN)
MODEL_DEVELOPERS = (Role.RISK_MANAGER, Role.ADMIN)
MODEL_VALIDATORS = (Role.RISK_MANAGER, Role.APPROVER, Role.REVIEWER)
ROLE_SETTERS = (Role.RISK_MANAGER, Role.APPROVER)
OVERRIDE_MAKERS = (Role.ACCOUNT_MANAGER, Role.RISK_MANAGER, Role.REVIEWER)
OVERRIDE_CHECKERS = (Role.APPROVER, Role.RISK_MANAGER)
SEGMENTS = ("all", "startup", "growth", "mature")
MODEL_ROLES = ("champion", "challenger", "none")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PD = Decimal("0.00000001")


# --- rules from the rating engineer's data --------------------------------------------------


def _rules() -> dict[str, Any]:
    from techfin.rating.expert import load_rules

    return load_rules()


def grades() -> list[str]:
    return [str(g["grade"]) for g in _rules()["grades"]]


def policy_levers(grade: str) -> dict[str, Any]:
    """What the grade means for credit, from the one grade policy that pricing, product
    eligibility and origination authority also read (``credit/data/grade_policy.yaml``,
    decision 0608): eligible products (codes and names), limit multiple, pricing adjustment
    (bp), authority factor and the approval route derived from them."""
    from techfin.credit.grade_policy import load_grade_policy
    from techfin.credit.products import get_product

    if grade not in grades():
        raise ValidationFailed(f"grade must be one of {', '.join(grades())}", field="grade")
    policy = load_grade_policy()
    view = policy.levers(grade).to_dict()
    view["products"] = [
        {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en}
        for p in map(get_product, view["eligible_products"])
    ]
    view["source"] = policy.ref
    return view


def rule_ref() -> str:
    r = _rules()
    return f"{r['id']}@{r['version']}"


def _notch(grade: str) -> int:
    return grades().index(grade)


def score_for_pd(pd: float) -> float:
    """Invert the rule file's expert score → PD mapping: the expert-equivalent score of a PD."""
    b = _rules()["blend"]
    a = float(b["anchor_pd"])
    logit = math.log(pd / (1 - pd))
    return float(b["anchor_score"]) - (logit - math.log(a / (1 - a))) * float(
        b["points_to_double_odds"]
    ) / math.log(2)


# --- views --------------------------------------------------------------------------------


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def rating_view(
    r: EnterpriseRating, overrides: list[RatingOverride] | None = None
) -> dict[str, Any]:
    return {
        "id": r.id,
        "enterprise_id": r.enterprise_id,
        "as_of": r.as_of.isoformat(),
        "stage": r.stage,
        "expert_rule": r.expert_rule,
        "feature_catalogue": r.feature_catalogue,
        "model_version_id": r.model_version_id,
        "model": r.model_ref,
        "features": r.features,
        "features_sha256": r.features_sha256,
        "expert_score": _s(r.expert_score),
        "expert_grade": r.expert_grade,
        "statistical_score": _s(r.statistical_score),
        "statistical_pd": _s(r.statistical_pd),
        "master_grade": r.master_grade,
        "blended_pd": _s(r.blended_pd),
        "score": _s(r.score),
        "grade": r.grade,
        "final_grade": r.final_grade,
        "overridden": r.final_grade != r.grade,
        "policy": policy_levers(r.final_grade),
        "dimension_scores": r.dimension_scores,
        "reasons_up": r.reasons_up,
        "reasons_down": r.reasons_down,
        "statistical_reasons": r.statistical_reasons,
        "knockouts": r.knockouts,
        "challengers": r.challengers,
        "rated_by": r.rated_by,
        "rated_at": r.rated_at.isoformat(timespec="seconds"),
        "overrides": [override_view(o) for o in overrides or []],
    }


def model_view(m: RatingModelVersion, *, with_json: bool = False) -> dict[str, Any]:
    out = {
        "id": m.id,
        "name": m.name,
        "version": m.version,
        "ref": f"{m.name}@{m.version}",
        "segment": m.segment,
        "model_sha256": m.model_sha256,
        "training_data_sha256": m.training_data_sha256,
        "features": m.features,
        "metrics": m.metrics,
        "description": m.description,
        "developer": m.developer,
        "status": m.status,
        "validator": m.validator,
        "validation_note": m.validation_note,
        "validated_at": m.validated_at.isoformat(timespec="seconds") if m.validated_at else None,
        "role": m.role,
        "created_at": m.created_at.isoformat(timespec="seconds"),
    }
    if with_json:
        out["model_json"] = m.model_json
    return out


def override_view(o: RatingOverride) -> dict[str, Any]:
    return {
        "id": o.id,
        "rating_id": o.rating_id,
        "from_grade": o.from_grade,
        "to_grade": o.to_grade,
        "direction": o.direction,
        "notches": o.notches,
        "reason": o.reason,
        "requested_by": o.requested_by,
        "requested_at": o.requested_at.isoformat(timespec="seconds"),
        "status": o.status,
        "decided_by": o.decided_by,
        "decision_note": o.decision_note,
        "decided_at": o.decided_at.isoformat(timespec="seconds") if o.decided_at else None,
    }


# --- statistical models -------------------------------------------------------------------


def _load_model(text: str) -> Any:
    from techfin.rating import ModelVersionError, Scorecard

    try:
        return Scorecard.from_json(text)
    except (ModelVersionError, KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(
            f"not a usable techfin scorecard model: {exc}", field="model_json"
        ) from exc


def _score_model(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Score one enterprise: the model's input columns from the features (None → missing)."""
    import numpy as np

    X: dict[str, Any] = {}
    for name in [str(n) for n in model.feature_names_in_]:
        v = values.get(name)
        if isinstance(v, str):
            X[name] = np.array([v], dtype=object)
        else:
            X[name] = np.array([np.nan if v is None else float(v)], dtype=np.float64)
    from techfin.rating import RatingInputError

    try:
        out = model.rate(X)
    except (RatingInputError, ValueError) as exc:
        raise Conflict(f"the model cannot score this enterprise: {exc}", field="model") from exc
    reasons = [str(out[k][0]) for k in sorted(out) if k.startswith("reason_") and out[k][0]]
    return {
        "score": float(out["score"][0]),
        "pd": float(out["pd"][0]),
        "master_grade": str(out["grade"][0]),
        "reasons": reasons,
    }


def _final_grade(expert: Any, pd: float | None) -> tuple[float, str]:
    """Score and T grade: the expert's alone, or the expert-equivalent score of the blended PD;
    negative-list caps and forced grades of the expert scorecard still apply."""
    from techfin.rating.expert import grade_of

    if pd is None:
        return expert.score, expert.grade
    score = max(0.0, min(100.0, score_for_pd(pd)))
    if expert.knockouts:
        score = min(score, expert.score)
    grade = grade_of(score)
    if expert.knockouts and _notch(expert.grade) > _notch(grade):
        grade = expert.grade  # a forced grade (e.g. T10) is never improved by the blend
    return score, grade


def _models_for(session: Session, institution_id: int, stage: str) -> tuple[Any, list[Any]]:
    rows = session.scalars(
        select(RatingModelVersion)
        .where(
            RatingModelVersion.institution_id == institution_id,
            RatingModelVersion.status == "approved",
            RatingModelVersion.role.in_(("champion", "challenger")),
            RatingModelVersion.segment.in_((stage, "all")),
        )
        .order_by(RatingModelVersion.id)
    ).all()
    champions = [m for m in rows if m.role == "champion"]
    champion = next((m for m in champions if m.segment == stage), None) or next(
        (m for m in champions if m.segment == "all"), None
    )
    return champion, [m for m in rows if m.role == "challenger"]


# --- rating -------------------------------------------------------------------------------


def _dec(value: float, step: str) -> Decimal:
    return quantize(Decimal(repr(value)), len(step.split(".")[1]), Rounding.HALF_EVEN)


def rate_enterprise(
    db: Database,
    actor: Actor,
    enterprise_id: int,
    *,
    as_of: dt.date | None = None,
    stage: str | None = None,
) -> dict[str, Any]:
    """Rate an enterprise now (consent needed) and store the rating with its versions."""
    from techfin.rating import blend, rate_expert

    require_role(actor, RATERS, "rating an enterprise")
    if actor.institution_id is None:
        raise Forbidden("a rating belongs to an institution: rate as one of its users")
    day = as_of or dt.date.today()
    if stage is not None and stage not in SEGMENTS[1:]:
        raise ValidationFailed("stage must be startup, growth or mature", field="stage")
    with db.transaction() as session:
        fs = features_in_session(session, actor, enterprise_id, day, what="rating")
        inputs = fs.scorecard_inputs()
        expert = rate_expert(inputs, stage)
        champion, challengers = _models_for(session, actor.institution_id, expert.stage)
        stat: dict[str, Any] | None = None
        blended: float | None = None
        if champion is not None:
            stat = _score_model(_load_model(champion.model_json), fs.values)
            pd = min(max(stat["pd"], 1e-9), 1 - 1e-9)
            blended = blend(expert.score, pd, expert.stage).pd
        score, grade = _final_grade(expert, blended)
        shadow = []
        for m in challengers:
            res = _score_model(_load_model(m.model_json), fs.values)
            pd = min(max(res["pd"], 1e-9), 1 - 1e-9)
            b = blend(expert.score, pd, expert.stage).pd
            s, g = _final_grade(expert, b)
            shadow.append(
                {
                    "model": f"{m.name}@{m.version}",
                    "pd": round(res["pd"], 8),
                    "blended_pd": round(b, 8),
                    "score": round(s, 2),
                    "grade": g,
                    "master_grade": res["master_grade"],
                }
            )
        values = jsonable(fs.values)
        digest = hashlib.sha256(
            json.dumps(values, sort_keys=True, ensure_ascii=False, default=str).encode()
        ).hexdigest()
        labels = _rules()["dimensions"]

        def reason(rs: Any) -> dict[str, Any]:
            return {
                "feature": rs.feature,
                "dimension": rs.dimension,
                "dimension_label": labels[rs.dimension]["label"],
                "value": rs.value,
                "points": rs.points,
                "contribution": round(rs.contribution, 3),
            }

        row = EnterpriseRating(
            institution_id=actor.institution_id,
            enterprise_id=enterprise_id,
            as_of=day,
            stage=expert.stage,
            expert_rule=f"{expert.rule_id}@{expert.rule_version}",
            feature_catalogue=fs.catalogue_version,
            model_version_id=champion.id if champion else None,
            model_ref=f"{champion.name}@{champion.version}" if champion else "",
            features=values,
            features_sha256=digest,
            expert_score=_dec(expert.score, "0.01"),
            expert_grade=expert.grade,
            statistical_score=_dec(stat["score"], "0.01") if stat else None,
            statistical_pd=_dec(stat["pd"], "0.00000001") if stat else None,
            master_grade=stat["master_grade"] if stat else "",
            blended_pd=_dec(blended, "0.00000001") if blended is not None else None,
            score=_dec(score, "0.01"),
            grade=grade,
            final_grade=grade,
            dimension_scores=dict(expert.dimension_scores),
            reasons_up=[reason(r) for r in expert.reasons_up],
            reasons_down=[reason(r) for r in expert.reasons_down],
            statistical_reasons=stat["reasons"] if stat else [],
            knockouts=list(expert.knockouts),
            challengers=shadow,
            rated_by=actor.username,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "rating.rate",
            f"enterprise:{enterprise_id}",
            reason=f"{row.expert_rule}; {row.model_ref or 'expert only'}",
            after={"rating": row.id, "grade": grade, "score": str(row.score)},
        )
        return rating_view(row)


def _own_rating(session: Session, actor: Actor, rating_id: int) -> EnterpriseRating:
    r = owned(session, actor, EnterpriseRating, rating_id, "rating")
    return r


def get_rating(db: Database, actor: Actor, rating_id: int) -> dict[str, Any]:
    require_role(actor, READERS, "reading ratings")
    with db.read() as session:
        r = _own_rating(session, actor, rating_id)
        ovs = session.scalars(
            select(RatingOverride)
            .where(RatingOverride.rating_id == r.id)
            .order_by(RatingOverride.id)
        ).all()
        return rating_view(r, list(ovs))


def rating_history(db: Database, actor: Actor, enterprise_id: int) -> list[dict[str, Any]]:
    """The caller's institution's ratings of the enterprise, newest first."""
    require_role(actor, READERS, "reading ratings")
    with db.read() as session:
        if session.get(Enterprise, enterprise_id) is None:
            raise NotFound("enterprise not found")
        q = select(EnterpriseRating).where(EnterpriseRating.enterprise_id == enterprise_id)
        if not actor.is_system:
            q = q.where(EnterpriseRating.institution_id == actor.institution_id)
        rows = session.scalars(q.order_by(EnterpriseRating.id.desc())).all()
        ovs: dict[int, list[RatingOverride]] = defaultdict(list)
        if rows:
            for o in session.scalars(
                select(RatingOverride)
                .where(RatingOverride.rating_id.in_([r.id for r in rows]))
                .order_by(RatingOverride.id)
            ):
                ovs[o.rating_id].append(o)
        return [rating_view(r, ovs[r.id]) for r in rows]


# --- model governance ---------------------------------------------------------------------


def submit_model(
    db: Database,
    actor: Actor,
    *,
    name: str,
    model_json: str,
    training_data_sha256: str,
    segment: str = "all",
    description: str = "",
    metrics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store a new version of a fitted model (the maker); it waits for a validator."""
    require_role(actor, MODEL_DEVELOPERS, "submitting a rating model")
    if actor.institution_id is None:
        raise Forbidden("a model belongs to an institution: submit as one of its users")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("name is required (at most 100 characters)", field="name")
    if segment not in SEGMENTS:
        raise ValidationFailed(f"segment must be one of {', '.join(SEGMENTS)}", field="segment")
    sha = training_data_sha256.strip().lower()
    if not _SHA256.match(sha):
        raise ValidationFailed(
            "training_data_sha256 must be 64 hexadecimal characters", field="training_data_sha256"
        )
    model = _load_model(model_json)
    feats = [str(f) for f in model.selected_]
    stored_metrics = metrics if metrics is not None else dict(model.train_metrics_)
    with db.transaction() as session:
        last = session.scalar(
            select(func.max(RatingModelVersion.version)).where(
                RatingModelVersion.institution_id == actor.institution_id,
                RatingModelVersion.name == name,
            )
        )
        m = RatingModelVersion(
            institution_id=actor.institution_id,
            name=name,
            version=(last or 0) + 1,
            segment=segment,
            model_json=model_json,
            model_sha256=hashlib.sha256(model_json.encode()).hexdigest(),
            training_data_sha256=sha,
            features=feats,
            metrics=json.loads(json.dumps(stored_metrics, default=str)),
            description=description[:500],
            developer_user_id=actor.user_id or None,
            developer=actor.username,
            status="submitted",
        )
        session.add(m)
        session.flush()
        audit.record(
            session,
            actor,
            "rating.model_submit",
            f"rating_model:{m.id}",
            reason=f"{name}@{m.version} {segment}",
            after={"model_sha256": m.model_sha256, "training_data_sha256": sha},
        )
        return model_view(m)


def _own_model(session: Session, actor: Actor, model_id: int) -> RatingModelVersion:
    m = owned(session, actor, RatingModelVersion, model_id, "model version")
    return m


def list_models(db: Database, actor: Actor) -> list[dict[str, Any]]:
    require_role(actor, READERS, "reading rating models")
    with db.read() as session:
        q = select(RatingModelVersion)
        if not actor.is_system:
            q = q.where(RatingModelVersion.institution_id == actor.institution_id)
        rows = session.scalars(q.order_by(RatingModelVersion.name, RatingModelVersion.version))
        return [model_view(m) for m in rows]


def get_model(db: Database, actor: Actor, model_id: int) -> dict[str, Any]:
    require_role(actor, READERS, "reading rating models")
    with db.read() as session:
        return model_view(_own_model(session, actor, model_id), with_json=True)


def decide_model(
    db: Database, actor: Actor, model_id: int, *, approve: bool, note: str
) -> dict[str, Any]:
    """The independent validator approves or rejects a submitted version (never its developer)."""
    require_role(actor, MODEL_VALIDATORS, "validating a rating model")
    if not note.strip():
        raise ValidationFailed("a validation note is required", field="note")
    with db.transaction() as session:
        m = _own_model(session, actor, model_id)
        if m.status != "submitted":
            raise Conflict(f"model version {model_id} is {m.status}, not submitted", field="status")
        if m.developer == actor.username or (
            m.developer_user_id is not None and m.developer_user_id == actor.user_id
        ):
            raise Forbidden("maker-checker: the model's developer cannot validate it")
        m.status = "approved" if approve else "rejected"
        m.validator_user_id = actor.user_id or None
        m.validator = actor.username
        m.validation_note = note
        m.validated_at = utcnow()
        audit.record(
            session,
            actor,
            "rating.model_decide",
            f"rating_model:{m.id}",
            reason=note,
            before="submitted",
            after=m.status,
        )
        return model_view(m)


def set_model_role(db: Database, actor: Actor, model_id: int, role: str) -> dict[str, Any]:
    """Make an approved version champion or challenger of its segment (or neither). A new
    champion demotes the segment's current champion to challenger."""
    require_role(actor, ROLE_SETTERS, "setting a model's champion/challenger role")
    if role not in MODEL_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(MODEL_ROLES)}", field="role")
    with db.transaction() as session:
        m = _own_model(session, actor, model_id)
        if m.status != "approved" and role != "none":
            raise Conflict(
                f"model version {model_id} is {m.status}: only an approved model is used",
                field="status",
            )
        before = m.role
        if role == "champion":
            for other in session.scalars(
                select(RatingModelVersion).where(
                    RatingModelVersion.institution_id == m.institution_id,
                    RatingModelVersion.segment == m.segment,
                    RatingModelVersion.role == "champion",
                    RatingModelVersion.id != m.id,
                )
            ):
                other.role = "challenger"
        m.role = role
        m.role_set_by = actor.username
        audit.record(
            session,
            actor,
            "rating.model_role",
            f"rating_model:{m.id}",
            reason=f"{m.segment}: {before} -> {role}",
            before=before,
            after=role,
        )
        return model_view(m)


# --- overrides ----------------------------------------------------------------------------


def request_override(
    db: Database, actor: Actor, rating_id: int, *, to_grade: str, reason: str
) -> dict[str, Any]:
    """Ask to change a rating's grade; a reason is required and a second person decides."""
    require_role(actor, OVERRIDE_MAKERS, "requesting a grade override")
    if len(reason.strip()) < 5:
        raise ValidationFailed("an override needs a reason (at least 5 characters)", field="reason")
    if to_grade not in grades():
        raise ValidationFailed(f"grade must be one of {', '.join(grades())}", field="to_grade")
    with db.transaction() as session:
        r = _own_rating(session, actor, rating_id)
        if to_grade == r.final_grade:
            raise ValidationFailed(f"the rating is already {to_grade}", field="to_grade")
        pending = session.scalar(
            select(RatingOverride).where(
                RatingOverride.rating_id == r.id, RatingOverride.status == "pending"
            )
        )
        if pending is not None:
            raise Conflict(f"override {pending.id} of this rating is still pending", field="rating")
        delta = _notch(r.final_grade) - _notch(to_grade)
        o = RatingOverride(
            institution_id=r.institution_id,
            rating_id=r.id,
            from_grade=r.final_grade,
            to_grade=to_grade,
            direction="up" if delta > 0 else "down",
            notches=abs(delta),
            reason=reason.strip(),
            requested_by_user_id=actor.user_id or None,
            requested_by=actor.username,
            status="pending",
        )
        session.add(o)
        session.flush()
        audit.record(
            session,
            actor,
            "rating.override_request",
            f"rating:{r.id}",
            reason=o.reason,
            before=r.final_grade,
            after=to_grade,
        )
        return override_view(o)


def decide_override(
    db: Database, actor: Actor, override_id: int, *, approve: bool, note: str = ""
) -> dict[str, Any]:
    """A second person approves (the rating's final grade changes) or rejects."""
    require_role(actor, OVERRIDE_CHECKERS, "deciding a grade override")
    with db.transaction() as session:
        o = owned(session, actor, RatingOverride, override_id, "override")
        if o.status != "pending":
            raise Conflict(f"override {override_id} is {o.status}, not pending", field="status")
        if o.requested_by == actor.username or (
            o.requested_by_user_id is not None and o.requested_by_user_id == actor.user_id
        ):
            raise Forbidden("maker-checker: whoever requested the override cannot decide it")
        r = session.get(EnterpriseRating, o.rating_id)
        assert r is not None
        if approve and r.final_grade != o.from_grade:
            raise Conflict("the rating's grade changed since the request", field="status")
        o.status = "approved" if approve else "rejected"
        o.decided_by = actor.username
        o.decision_note = note
        o.decided_at = utcnow()
        if approve:
            r.final_grade = o.to_grade
        audit.record(
            session,
            actor,
            "rating.override_decide",
            f"rating:{r.id}",
            reason=note or o.status,
            before=o.from_grade,
            after=r.final_grade,
        )
        return override_view(o)


def list_overrides(db: Database, actor: Actor, status: str | None = None) -> list[dict[str, Any]]:
    require_role(actor, READERS, "reading overrides")
    with db.read() as session:
        q = select(RatingOverride)
        if not actor.is_system:
            q = q.where(RatingOverride.institution_id == actor.institution_id)
        if status:
            q = q.where(RatingOverride.status == status)
        return [override_view(o) for o in session.scalars(q.order_by(RatingOverride.id.desc()))]


def override_report(
    db: Database, actor: Actor, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict[str, Any]:
    """Overrides requested in [date_from, date_to] by requesting user and direction: counts
    requested, approved, rejected, pending and the notches approved; and by deciding user."""
    require_role(actor, READERS, "reading the override report")
    with db.read() as session:
        q = select(RatingOverride)
        if not actor.is_system:
            q = q.where(RatingOverride.institution_id == actor.institution_id)
        rows = [
            override_view(o)
            for o in session.scalars(q.order_by(RatingOverride.id))
            if (date_from is None or o.requested_at.date() >= date_from)
            and (date_to is None or o.requested_at.date() <= date_to)
        ]
    by_user: dict[tuple[str, str], dict[str, int]] = {}
    by_decider: dict[tuple[str, str], dict[str, int]] = {}
    for o in rows:
        cell = by_user.setdefault(
            (o["requested_by"], o["direction"]),
            {"requested": 0, "approved": 0, "rejected": 0, "pending": 0, "notches_approved": 0},
        )
        cell["requested"] += 1
        cell[o["status"]] += 1
        if o["status"] == "approved":
            cell["notches_approved"] += o["notches"]
        if o["decided_by"]:
            key = (o["decided_by"], o["direction"])
            d = by_decider.setdefault(key, {"approved": 0, "rejected": 0})
            d[o["status"]] += 1
    return {
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "total": len(rows),
        "by_requester": [{"user": u, "direction": d, **c} for (u, d), c in sorted(by_user.items())],
        "by_decider": [
            {"user": u, "direction": d, **c} for (u, d), c in sorted(by_decider.items())
        ],
    }


def enterprise_summary(db: Database, actor: Actor, enterprise_id: int) -> dict[str, Any]:
    """Public registry facts for the rating page's heading (no consent needed)."""
    require_role(actor, READERS, "reading ratings")
    with db.read() as session:
        e = session.get(Enterprise, enterprise_id)
        if e is None:
            raise NotFound("enterprise not found")
        return {"id": e.id, "name": e.name, "uscc": e.uscc, "registered_on": e.registered_on}


def dimension_labels() -> dict[str, dict[str, str]]:
    """Each scorecard dimension's label (zh, en) from the rule file."""
    return {k: dict(v["label"]) for k, v in _rules()["dimensions"].items()}
