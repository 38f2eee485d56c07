"""Demo data for the rating pages (a `techfin.services.demo.DEMO_SEEDERS` module).

`seed(db, as_of=...)` over an already loaded demo world, at BANK-HX, through the rating
services (roles, tenancy, maker-checker and audit as in production):

1. **Model development.** A statistical scorecard (`techfin.rating.Scorecard`) is fitted on the
   hub's rating features of a development sample of the world's enterprises (read as the hub's
   operator, the way a development data set is supplied; the bank only submits the fitted JSON)
   against the generated 12-month default label — the synth `truth` table's `default_12m`,
   regenerated from the world's seed (recorded by `demo.load` in the audit log) and matched by
   USCC. A second, leaner scorecard (higher IV threshold) is fitted on the same data.
2. **Governance.** `hx.risk_manager` submits both (the developer); `hx.approver` approves the
   first and `hx.reviewer` the second (never the developer); the first becomes champion of
   segment `all`, the second its challenger.
3. **Ratings.** `hx.am.11.1` rates a few dozen enterprises that consented to the bank (expert
   scorecard blended with the champion; the challenger scored in shadow).
4. **Overrides.** Two users request grade changes up and down (`hx.am.11.1`, `hx.reviewer`);
   `hx.approver` and `hx.risk_manager` approve two, reject one, and one is left pending.

Deterministic for a given world; skipped when BANK-HX already has rating models.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import warnings
from typing import Any

from sqlalchemy import func, select

from techfin.services import rating as svc
from techfin.services import users
from techfin.services.context import Actor
from techfin.services.errors import ServiceError
from techfin.services.rating_features import build_cohorts, features_in_session
from techfin.store.db import Database
from techfin.store.tables import AuditEntry, Consent, Enterprise, Institution, User
from techfin.store.tables_rating import RatingModelVersion

SAMPLE = 1200  # development sample: at most this many enterprises, in id order
RATED = 36


def _actor(db: Database, username: str) -> Actor:
    with db.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise LookupError(f"no user {username}")
    return users.actor_by_id(db, user_id)


def _world_seed(db: Database) -> tuple[int, int] | None:
    """The seed and size `demo.load` generated the world with (from its audit entry)."""
    with db.read() as session:
        reason = session.scalar(
            select(AuditEntry.reason)
            .where(AuditEntry.command == "demo.load")
            .order_by(AuditEntry.id.desc())
        )
        count = session.scalar(select(func.count(Enterprise.id))) or 0
    m = re.fullmatch(r"seed (\d+)", str(reason or ""))
    return (int(m.group(1)), int(count)) if m and count else None


def _labels(seed: int, enterprises: int, as_of: dt.date) -> dict[str, bool]:
    """USCC → the generated 12-month default (regenerating the chunk from the seed)."""
    from techfin.synth import CHUNK_SIZE, generate_chunk

    out: dict[str, bool] = {}
    for chunk in range((enterprises + CHUNK_SIZE - 1) // CHUNK_SIZE):
        batch = generate_chunk(seed, enterprises, chunk, as_of=as_of)
        uscc = {
            int(r["enterprise_id"]): str(r["uscc"])
            for r in batch.tables["enterprises"].select(["enterprise_id", "uscc"]).to_pylist()
        }
        for r in batch.tables["truth"].select(["enterprise_id", "default_12m"]).to_pylist():
            out[uscc[int(r["enterprise_id"])]] = bool(r["default_12m"])
    return out


def _development_data(
    db: Database, labels: dict[str, bool], as_of: dt.date
) -> tuple[dict[str, list[Any]], list[int], str]:
    """Numeric hub features of the sample, the labels, and the data's SHA-256."""
    system = Actor.system("demo")
    rows: list[dict[str, Any]] = []
    y: list[int] = []
    with db.read() as session:
        sample = session.execute(
            select(Enterprise.id, Enterprise.uscc).order_by(Enterprise.id).limit(SAMPLE)
        ).all()
        cohorts = build_cohorts(session, as_of)
        for eid, uscc in sample:
            if uscc not in labels:
                continue
            fs = features_in_session(session, system, int(eid), as_of, cohorts)
            rows.append(dict(fs.values))
            y.append(int(labels[uscc]))
    names = sorted(
        {
            k
            for r in rows
            for k, v in r.items()
            if v is not None and not isinstance(v, str) and not isinstance(v, (list, dict))
        }
    )
    X: dict[str, list[Any]] = {
        k: [None if r.get(k) is None else float(r[k]) for r in rows] for k in names
    }
    digest = hashlib.sha256(
        json.dumps({"X": X, "y": y}, sort_keys=True, default=str).encode()
    ).hexdigest()
    return X, y, digest


def _fit(X: dict[str, list[Any]], y: list[int], min_iv: float) -> str:
    import numpy as np

    from techfin.rating import Scorecard

    data = {
        k: np.array([np.nan if v is None else v for v in col], dtype=np.float64)
        for k, col in X.items()
    }
    sc = Scorecard(
        min_bin_size=0.1, max_n_bins=4, min_iv=min_iv, max_corr=0.8, l2=10.0, central_tendency=0.03
    )
    with warnings.catch_warnings():  # Newton steps may overflow exp() harmlessly
        warnings.simplefilter("ignore", RuntimeWarning)
        sc.fit(data, np.array(y))
    return str(sc.to_json(target="default_12m"))


def _models(db: Database, as_of: dt.date, out: dict[str, Any]) -> None:
    world = _world_seed(db)
    if world is None:
        out["notes"].append("no demo.load entry in the audit log: no model fitted")
        return
    labels = _labels(world[0], world[1], as_of)
    X, y, digest = _development_data(db, labels, as_of)
    out["development_sample"] = {"rows": len(y), "defaults": sum(y)}
    developer = _actor(db, "hx.risk_manager")
    validators = [_actor(db, "hx.approver"), _actor(db, "hx.reviewer")]
    specs = [
        ("hx-tech-pd", 0.02, "champion", "Tech-SME 12-month PD scorecard on hub features"),
        ("hx-tech-pd-lean", 0.1, "challenger", "Leaner scorecard: only features with IV ≥ 0.1"),
    ]
    for (name, min_iv, role, description), validator in zip(specs, validators, strict=True):
        try:
            text = _fit(X, y, min_iv)
            m = svc.submit_model(
                db,
                developer,
                name=name,
                model_json=text,
                training_data_sha256=digest,
                segment="all",
                description=description,
            )
            svc.decide_model(
                db,
                validator,
                int(m["id"]),
                approve=True,
                note="Discrimination and calibration on the development sample accepted; "
                "monitor PSI quarterly.",
            )
            svc.set_model_role(db, developer, int(m["id"]), role)
            out["models"].append(f"{name}@{m['version']} {role}")
        except (ServiceError, ValueError, RuntimeError) as exc:
            out["notes"].append(f"model {name}: {getattr(exc, 'detail', exc)}")


def _rate(db: Database, as_of: dt.date, bank_id: int, out: dict[str, Any]) -> list[dict[str, Any]]:
    rater = _actor(db, "hx.am.11.1")
    with db.read() as session:
        ids = sorted(
            set(
                session.scalars(
                    select(Consent.enterprise_id).where(
                        Consent.grantee_institution_id == bank_id,
                        Consent.purpose == "credit_assessment",
                        Consent.revoked_at.is_(None),
                    )
                )
            )
        )[:RATED]
    ratings = []
    for eid in ids:
        try:
            ratings.append(svc.rate_enterprise(db, rater, eid, as_of=as_of))
        except ServiceError as exc:
            out["notes"].append(f"enterprise {eid}: {exc.detail}")
    out["ratings"] = len(ratings)
    return ratings


def _overrides(db: Database, ratings: list[dict[str, Any]], out: dict[str, Any]) -> None:
    grades = svc.grades()
    am, reviewer = _actor(db, "hx.am.11.1"), _actor(db, "hx.reviewer")
    approver, risk = _actor(db, "hx.approver"), _actor(db, "hx.risk_manager")
    plans = [  # (requester, notches: + is better, decider, approve?, reason)
        (am, 1, approver, True, "Signed framework order with a state-owned buyer (2026-10)"),
        (reviewer, -1, risk, True, "Key patent under an invalidation request at CNIPA"),
        (am, 2, risk, False, "Founder's track record in the sector"),
        (reviewer, -1, None, None, "Customs exports fell sharply in the last quarter"),
    ]
    done = 0
    pool = list(ratings)
    for who, notches, decider, approve, reason in plans:
        r = next(
            (x for x in pool if 0 <= grades.index(x["final_grade"]) - notches < len(grades)), None
        )
        if r is None:
            continue
        pool.remove(r)
        to_grade = grades[grades.index(r["final_grade"]) - notches]
        try:
            o = svc.request_override(db, who, int(r["id"]), to_grade=to_grade, reason=reason)
            if decider is not None:
                svc.decide_override(
                    db,
                    decider,
                    int(o["id"]),
                    approve=bool(approve),
                    note="Evidence checked" if approve else "Not evidenced in the file",
                )
            done += 1
        except ServiceError as exc:
            out["notes"].append(f"override on rating {r['id']}: {exc.detail}")
    out["overrides"] = done


def seed(db: Database, *, as_of: dt.date) -> dict[str, Any]:
    """Seed the rating platform over an already loaded demo world; returns what it made."""
    out: dict[str, Any] = {"models": [], "ratings": 0, "overrides": 0, "notes": []}
    with db.read() as session:
        bank_id = session.scalar(select(Institution.id).where(Institution.code == "BANK-HX"))
        if bank_id is None:
            return {"skipped": "no BANK-HX in this world"}
        if session.scalar(
            select(RatingModelVersion.id).where(RatingModelVersion.institution_id == bank_id)
        ):
            return {"skipped": "BANK-HX already has rating models"}
    try:
        _models(db, as_of, out)
        ratings = _rate(db, as_of, int(bank_id), out)
        _overrides(db, ratings, out)
    except LookupError as exc:  # a world without the demo users
        out["notes"].append(str(exc))
    if not out["notes"]:
        del out["notes"]
    return out
