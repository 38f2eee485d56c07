"""Recognition from the hub (guidance art. 2): evaluate an enterprise's computed eligibility for
each title from its shared data, store it with the rule version, and show it beside the titles
an authority actually granted.

Computed eligibility is for prospecting; statistics and policy levers use granted titles only.
Inputs the hub cannot know (expert-judged items, incidents) are left to the rule functions,
which assume eligibility conditions met and list those assumptions, and give intervals for
expert-judged scores. Money is converted from yuan (store) to 万元 (rules) here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from techfin.money import WAN
from techfin.recognition import hnte, innovative_sme, little_giant, size, srdi, tags, tech_sme
from techfin.services import audit
from techfin.services.consent import Purpose, checked_read
from techfin.services.context import Actor
from techfin.services.errors import NotFound
from techfin.store.db import Database
from techfin.store.tables import (
    AnnualFinancials,
    Enterprise,
    GrantedTitle,
    Patent,
    RecognitionEvaluation,
)

EXPIRY_WARNING_DAYS = 90
IN_FORCE = {"granted", "in_force", "valid", "active", "有效", "授权"}


def _wan(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else amount / WAN


def _ratio(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return Decimal(part) / Decimal(whole)


def gather_inputs(session: Session, enterprise: Enterprise, as_of: dt.date) -> dict[str, Any]:
    """The facts the rule sets need, from the hub (yuan converted to 万元)."""
    years = list(
        session.scalars(
            select(AnnualFinancials)
            .where(AnnualFinancials.enterprise_id == enterprise.id, AnnualFinancials.as_of <= as_of)
            .order_by(AnnualFinancials.year.desc())
            .limit(3)
        )
    )[::-1]
    patents = list(
        session.scalars(
            select(Patent).where(Patent.enterprise_id == enterprise.id, Patent.filed_on <= as_of)
        )
    )
    granted = [p for p in patents if p.granted_on and (p.status or "").lower() in IN_FORCE]
    titles = list(
        session.scalars(
            select(GrantedTitle).where(
                GrantedTitle.enterprise_id == enterprise.id,
                GrantedTitle.valid_from <= as_of,
                GrantedTitle.valid_to >= as_of,
            )
        )
    )
    last = years[-1] if years else None
    total_cost = (last.revenue - last.net_profit) if last else None
    return {
        "as_of": as_of,
        "industry_code": enterprise.industry_code,
        "registered_on": enterprise.registered_on,
        "years": [f.year for f in years],
        "employees": last.employees if last else None,
        "tech_staff": last.tech_staff if last else None,
        "revenue_wan": [_wan(f.revenue) for f in years],
        "rd_wan": [_wan(f.rd_expense) for f in years],
        "rd_domestic_wan": [_wan(f.rd_domestic) for f in years],
        "net_assets_wan": [_wan(f.total_assets - f.total_liabilities) for f in years],
        "total_assets_wan": _wan(last.total_assets) if last else None,
        "total_liabilities_wan": _wan(last.total_liabilities) if last else None,
        "total_cost_wan": _wan(total_cost),
        "class1_ip": sum(1 for p in granted if p.kind == "invention"),
        "class2_ip": sum(1 for p in granted if p.kind in ("utility", "design")),
        "ipc": sorted({c.strip() for p in granted for c in (p.ipc or "").split(";") if c.strip()}),
        "granted_titles": sorted({t.title for t in titles}),
    }


def _digest(inputs: dict[str, Any]) -> str:
    """Digest of the data (not of the date): day-end re-evaluates when the data changed.
    Changes that come only with time (an anniversary) wait for the next data change or a
    forced evaluation (`techfin recognize --enterprise ID`)."""
    data = {k: v for k, v in inputs.items() if k != "as_of"}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _three_years(values: list[Decimal | None]) -> list[Decimal] | None:
    """The last three years, oldest first, zeros for years before the enterprise reported."""
    if not values or any(v is None for v in values):
        return None
    known = [v for v in values if v is not None]
    return [Decimal(0)] * (3 - len(known)) + known[-3:]


def evaluate_inputs(
    inputs: dict[str, Any],
    hnte_facts: dict[str, Any] | None = None,
    ladder_facts: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run every rule set it can; a rule set missing a scored input says which.

    The hub has no high-tech product revenue share, conversions of results or IP acquisition
    mode: the 高企 evaluation needs them from the bank's investigation (`hnte_facts`, e.g.
    `{"high_tech_revenue_ratio": Decimal("0.7"), "conversions_3y": 6, "ip_acquisition": "own"}`)
    and otherwise reports them missing."""
    as_of = inputs["as_of"]
    out: dict[str, dict[str, Any]] = {}

    def attempt(title: str, run: Any, outcome: Any) -> None:
        try:
            result = run()
        except ValueError as exc:
            out[title] = {
                "outcome": "not_evaluated",
                "rule_version": "",
                "result": {"missing": str(exc)},
            }
            return
        data = result.to_dict()
        out[title] = {
            "outcome": outcome(result),
            "rule_version": result.rule_version,
            "result": data,
        }

    revenue = inputs["revenue_wan"][-1] if inputs["revenue_wan"] else None
    rd = inputs["rd_wan"][-1] if inputs["rd_wan"] else None
    tech_ratio = _ratio(inputs["tech_staff"], inputs["employees"])
    attempt(
        "size",
        lambda: size.classify(
            inputs["industry_code"],
            employees=inputs["employees"],
            revenue=revenue,
            assets=inputs["total_assets_wan"],
            as_of=as_of,
        ),
        lambda r: str(r.size),
    )
    attempt(
        "tech_sme",
        lambda: tech_sme.evaluate(
            employees=inputs["employees"],
            sales=revenue,
            total_assets=inputs["total_assets_wan"],
            tech_staff_ratio=tech_ratio,
            rd_to_sales=_ratio(rd, revenue),
            rd_to_cost=_ratio(rd, inputs["total_cost_wan"]),
            class1_ip=inputs["class1_ip"],
            class2_ip=inputs["class2_ip"],
            hnte_certificate="hnte" in inputs["granted_titles"],
            as_of=as_of,
        ),
        lambda r: "qualifies" if r.passed else "does_not_qualify",
    )
    rd_all, sales_all = inputs["rd_wan"], inputs["revenue_wan"]
    domestic = [d for d in inputs["rd_domestic_wan"] if d is not None]
    attempt(
        "hnte",
        lambda: hnte.evaluate(
            tech_staff_ratio=tech_ratio,
            rd_expenses=_three_years(rd_all),
            sales=_three_years(sales_all),
            class1_ip=inputs["class1_ip"],
            class2_ip=inputs["class2_ip"],
            net_assets=_three_years(inputs["net_assets_wan"]),
            domestic_rd_share=(
                _ratio(sum(domestic, Decimal(0)), sum(rd_all, Decimal(0)))
                if domestic and len(domestic) == len(rd_all)
                else None
            ),
            registered_on=inputs["registered_on"],
            as_of=as_of,
            **(hnte_facts or {}),
        ),
        lambda r: str(r.verdict).replace(" ", "_"),
    )
    # The MIIT ladder: the hub supplies the financial and IP facts; the rest (main-business
    # share, market position, niche years …) come from the bank's investigation through
    # `ladder_facts`, and until then each rule set reports what it is missing.
    debt_ratio = (
        _ratio(inputs["total_liabilities_wan"], inputs["total_assets_wan"])
        if inputs.get("total_liabilities_wan") is not None
        else None
    )
    extra = ladder_facts or {}
    growth = (
        _ratio(sales_all[-1] - sales_all[-2], sales_all[-2])
        if len(sales_all) >= 2 and sales_all[-2]
        else None
    )
    attempt(
        "innovative_sme",
        lambda: innovative_sme.evaluate(
            class1_ip=inputs["class1_ip"],
            class2_ip=inputs["class2_ip"],
            rd_to_revenue=_ratio(rd, revenue),
            revenue_growth=growth,
            debt_ratio=debt_ratio,
            as_of=as_of,
            **extra.get("innovative_sme", {}),
        ),
        lambda r: "qualifies" if r.passed else "does_not_qualify",
    )
    attempt(
        "srdi",
        lambda: srdi.evaluate(
            revenues=_three_years(sales_all),
            rd_expenses=_three_years(rd_all),
            debt_ratio=debt_ratio,
            class1_ip=inputs["class1_ip"],
            class2_ip=inputs["class2_ip"],
            as_of=as_of,
            **extra.get("srdi", {}),
        ),
        lambda r: "qualifies" if r.passed else "does_not_qualify",
    )
    attempt(
        "little_giant",
        lambda: little_giant.evaluate(
            revenues=_three_years(sales_all),
            rd_expenses=(_three_years(rd_all) or [])[-2:] or None,
            debt_ratio=debt_ratio,
            class1_ip=inputs["class1_ip"],
            as_of=as_of,
            **extra.get("little_giant", {}),
        ),
        lambda r: "qualifies" if r.passed else "does_not_qualify",
    )
    attempt(
        "tags",
        lambda: tags.tag(inputs["industry_code"], inputs["ipc"], as_of=as_of),
        lambda r: ",".join(r.keys) or "none",
    )
    return out


@dataclass(frozen=True)
class Evaluation:
    enterprise_id: int
    as_of: dt.date
    evaluations: dict[str, dict[str, Any]]
    inputs: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "enterprise_id": self.enterprise_id,
            "as_of": self.as_of.isoformat(),
            "evaluations": self.evaluations,
            "inputs": json.loads(json.dumps(self.inputs, default=str)),
        }


def evaluate_and_store(
    session: Session, actor: Actor, enterprise: Enterprise, as_of: dt.date, *, force: bool = True
) -> Evaluation | None:
    """Evaluate and store; with `force=False`, skip when the inputs did not change."""
    inputs = gather_inputs(session, enterprise, as_of)
    digest = _digest(inputs)
    if not force:
        last = session.scalar(
            select(RecognitionEvaluation.inputs_sha256)
            .where(RecognitionEvaluation.enterprise_id == enterprise.id)
            .order_by(RecognitionEvaluation.id.desc())
            .limit(1)
        )
        if last == digest:
            return None
    results = evaluate_inputs(inputs)
    for title, item in results.items():
        session.add(
            RecognitionEvaluation(
                enterprise_id=enterprise.id,
                title=title,
                outcome=item["outcome"],
                rule_version=item["rule_version"],
                result=json.loads(json.dumps(item["result"], default=str)),
                inputs_sha256=digest,
                evaluated_by=actor.username,
            )
        )
    audit.record(
        session,
        actor,
        "recognition.evaluate",
        f"enterprise:{enterprise.id}",
        after={t: [r["outcome"], r["rule_version"]] for t, r in results.items()},
    )
    return Evaluation(enterprise.id, as_of, results, inputs)


def evaluate_enterprise(
    enterprise_id: int,
    db: Database | None = None,
    actor: Actor | None = None,
    as_of: dt.date | None = None,
) -> Evaluation:
    """Evaluate one enterprise from the hub and store the evaluation.

    From the command line (`techfin recognize --enterprise ID`) it runs as the operator against
    the configured database; a bank user needs a live consent for credit assessment.
    """
    db = db or Database()
    actor = actor or Actor.system("recognize")
    as_of = as_of or dt.date.today()
    with db.transaction() as session:
        enterprise = session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise NotFound(f"no enterprise {enterprise_id}")
        if not actor.is_system:
            checked_read(session, actor, enterprise_id, Purpose.CREDIT_ASSESSMENT, "recognition")
        evaluation = evaluate_and_store(session, actor, enterprise, as_of)
        assert evaluation is not None
        return evaluation


@dataclass(frozen=True)
class TitleStatus:
    title: str
    certificate_no: str
    issuer: str
    valid_from: dt.date
    valid_to: dt.date
    status: str  # valid | expiring | expired | not_yet_valid

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def title_status(valid_from: dt.date, valid_to: dt.date, today: dt.date) -> str:
    if today < valid_from:
        return "not_yet_valid"
    if today > valid_to:
        return "expired"
    if (valid_to - today).days <= EXPIRY_WARNING_DAYS:
        return "expiring"
    return "valid"


def titles_side_by_side(session: Session, enterprise_id: int, today: dt.date) -> dict[str, Any]:
    """Granted titles (with expiry flags) and the latest computed evaluations, for the profile."""
    granted = [
        TitleStatus(
            t.title,
            t.certificate_no,
            t.issuer,
            t.valid_from,
            t.valid_to,
            title_status(t.valid_from, t.valid_to, today),
        ).to_dict()
        for t in session.scalars(
            select(GrantedTitle)
            .where(GrantedTitle.enterprise_id == enterprise_id)
            .order_by(GrantedTitle.valid_from)
        )
    ]
    latest = session.execute(
        select(RecognitionEvaluation.title, func.max(RecognitionEvaluation.id))
        .where(RecognitionEvaluation.enterprise_id == enterprise_id)
        .group_by(RecognitionEvaluation.title)
    ).all()
    computed = []
    for _title, latest_id in latest:
        row = session.get(RecognitionEvaluation, latest_id)
        assert row is not None
        computed.append(
            {
                "title": row.title,
                "outcome": row.outcome,
                "rule_version": row.rule_version,
                "evaluated_at": row.evaluated_at,
                "result": row.result,
            }
        )
    return {"granted": granted, "computed": sorted(computed, key=lambda c: c["title"])}


def _register_day_end() -> None:
    from techfin.services.eod import step

    @step("recognition.refresh", order=200)
    def refresh(session: Session, institution: Any, date: dt.date) -> dict[str, Any]:
        """Re-evaluate enterprises whose hub data changed (hub-wide, run at the hub only)."""
        if institution.kind != "platform":
            return {"skipped": "runs at the information hub"}
        actor = Actor.system("eod")
        evaluated = unchanged = 0
        for enterprise in session.scalars(select(Enterprise).order_by(Enterprise.id)):
            if evaluate_and_store(session, actor, enterprise, date, force=False) is None:
                unchanged += 1
            else:
                evaluated += 1
        return {"evaluated": evaluated, "unchanged": unchanged}

    @step("titles.expiry_notice", order=210)
    def expiring(session: Session, institution: Any, date: dt.date) -> dict[str, Any]:
        """Granted titles that expire within 90 days (hub-wide, run at the hub only)."""
        if institution.kind != "platform":
            return {"skipped": "runs at the information hub"}
        soon = date + dt.timedelta(days=EXPIRY_WARNING_DAYS)
        count = session.scalar(
            select(func.count(GrantedTitle.id)).where(
                GrantedTitle.valid_to >= date, GrantedTitle.valid_to <= soon
            )
        )
        return {"expiring_within_90_days": int(count or 0)}


_register_day_end()
