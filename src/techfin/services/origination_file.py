"""The pre-loan file (贷前调查档案) of an application, assembled from what the platform holds.

Pure assembly from the consented hub profile (`services.enterprises.shared_profile`) and the
application's own inputs: recognition (granted and computed titles), the expert tech-flow rating
(`techfin.rating.expert`; "rating pending" when it cannot run), IP valuation and pledge capacity
(`techfin.ip.pledge`), working-capital sizing (`techfin.credit.working_capital`), the product
check (`techfin.credit.products`), the proposed pricing (`techfin.credit.pricing`) and schedule
(`techfin.credit.schedule.build`). Every part says what it is based on; `missing` lists what
stops the file from being submitted.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

from techfin.credit.grade_policy import grade_levers, load_grade_policy
from techfin.credit.pricing import LprTable
from techfin.money import ZERO, quantize, to_decimal
from techfin.services.origination_policy import Policy

MANAGER_ITEMS = ("investigation_report", "milestones")
MILESTONE_KINDS = ("revenue", "funding_round", "product_launch", "other")


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def valid_titles(profile: dict[str, Any]) -> list[str]:
    granted = profile.get("recognition", {}).get("granted", [])
    return sorted({g["title"] for g in granted if g.get("status") in ("valid", "expiring")})


def _ratio(a: Any, b: Any) -> float | None:
    if a is None or b is None or Decimal(b) == 0:
        return None
    return float(Decimal(a) / Decimal(b))


def rating_features(profile: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The expert scorecard's features that the hub profile can give (others count as missing)."""
    fin = profile.get("financials") or []
    last = fin[-1] if fin else None
    prev = fin[-2] if len(fin) >= 2 else None
    reg = profile["registry"]
    registered_on = reg["registered_on"]
    if isinstance(registered_on, str):
        registered_on = dt.date.fromisoformat(registered_on)
    features: dict[str, Any] = {"age_years": (today - registered_on).days / 365.25}
    if last:
        features["rd_intensity"] = _ratio(last["rd_expense"], last["revenue"])
        features["debt_ratio"] = _ratio(last["total_liabilities"], last["total_assets"])
        features["net_margin"] = _ratio(last["net_profit"], last["revenue"])
        if last.get("tech_staff") is not None:
            features["rd_staff_share"] = _ratio(last["tech_staff"], last["employees"])
    if last and prev and Decimal(prev["revenue"]) > 0:
        features["revenue_growth"] = float(Decimal(last["revenue"]) / Decimal(prev["revenue"]) - 1)
        if Decimal(prev["rd_expense"]) > 0:
            features["rd_growth"] = float(
                Decimal(last["rd_expense"]) / Decimal(prev["rd_expense"]) - 1
            )
    patents = profile.get("patents") or []
    features["class_i_ip_count"] = sum(
        1 for p in patents if p["kind"] == "invention" and p.get("granted_on")
    )
    rounds = [
        r
        for r in profile.get("funding_rounds") or []
        if (today - _date(r["closed_on"])).days <= 3 * 366
    ]
    features["equity_rounds_3y"] = len(rounds)
    features["equity_amount_3y_wan"] = float(
        sum((Decimal(r["amount"]) for r in rounds), ZERO) / 10000
    )
    register = profile.get("credit_register")
    features["first_loan"] = 1 if register is None else 0
    features["bank_count"] = 0 if register is None else register["lenders"]
    features["overdue_12m"] = 0 if register is None else int(register["max_overdue_days"] > 0)
    courts = profile.get("court_records") or []
    features["dishonest_judgment_debtor"] = int(any(c["kind"] == "dishonest" for c in courts))
    features["enforcement_open"] = int(
        any(c["kind"] == "enforcement" and c.get("status") != "closed" for c in courts)
    )
    return {k: v for k, v in features.items() if v is not None}


def _date(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def rating_part(profile: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Grade T1–T10 with reasons from the expert scorecard, or 'pending' when unavailable."""
    try:
        expert = importlib.import_module("techfin.rating.expert")
    except ImportError:  # the rating package is being finished elsewhere
        return {"status": "pending", "why": "the rating engine is not installed"}
    try:
        r = expert.rate_expert(rating_features(profile, today))
        pd = expert.expert_pd(r.score)
    except (ValueError, KeyError) as exc:
        return {"status": "pending", "why": f"the rating could not run: {exc}"}
    return {
        "status": "rated",
        "grade": r.grade,
        "score": r.score,
        "stage": r.stage,
        "pd": round(pd, 6),
        "reasons_up": [f"{x.feature} ({x.points:.0f} pts)" for x in r.reasons_up],
        "reasons_down": [f"{x.feature} ({x.points:.0f} pts)" for x in r.reasons_down],
        "knockouts": r.knockouts,
        "missing_features": r.missing,
        "approval_route": grade_levers(r.grade).approval_route,
        "grade_policy": load_grade_policy().ref,
        "rule": f"{r.rule_id} {r.rule_version}",
        "basis": "expert tech-flow scorecard on the consented hub profile",
    }


def ip_part(collateral: list[dict[str, Any]]) -> dict[str, Any]:
    """Appraised IP and the pledge capacity the bank's pledge policy gives it."""
    from techfin.ip.pledge import collateral_value, pledge_policy

    policy = pledge_policy()
    items = []
    capacity = ZERO
    for c in collateral:
        if c.get("kind") != "ip":
            continue
        ip_type = str(c.get("ip_type") or "invention")
        appraised = c.get("appraised_value")
        if appraised in (None, ""):
            items.append({**c, "pledge_value": None, "why": "not appraised"})
            continue
        value = collateral_value(to_decimal(appraised, "appraised_value"), ip_type, policy)
        capacity += value
        items.append(
            {
                **c,
                "pledge_rate": str(policy.pledge_rate(ip_type)),
                "pledge_value": str(value),
            }
        )
    return {
        "items": items,
        "pledge_capacity": str(capacity),
        "policy": f"{policy.name} {policy.version}",
        "appraised": any(i.get("pledge_value") is not None for i in items),
    }


def working_capital_part(financials: list[dict[str, Any]], term_months: int) -> dict[str, Any]:
    """The official working-capital estimate (§7c) from the last two years' statements."""
    from techfin.credit.working_capital import WorkingCapitalInputs, size_working_capital

    if len(financials) < 2:
        return {"status": "not_computable", "why": "needs two years of financial statements"}
    prev, last = financials[-2], financials[-1]
    needed = ("inventory", "receivables", "payables", "prepayments", "advance_receipts")
    lacking = [f for f in needed if last.get(f) is None or prev.get(f) is None]
    if lacking:
        return {"status": "not_computable", "why": f"balances missing: {', '.join(lacking)}"}
    revenue = Decimal(last["revenue"])
    if revenue <= 0 or Decimal(last["net_profit"]) < 0:
        return {
            "status": "not_computable",
            "why": "loss-making or no revenue: size on another basis (orders, tax-declared sales)",
        }
    growth = revenue / Decimal(prev["revenue"]) - 1 if Decimal(prev["revenue"]) > 0 else Decimal(0)
    try:
        sizing = size_working_capital(
            WorkingCapitalInputs(
                sales_revenue=revenue,
                cost_of_sales=Decimal(last["cost_of_sales"]),
                sales_margin=quantize(Decimal(last["net_profit"]) / revenue, 6),
                expected_sales_growth=quantize(max(growth, Decimal(0)), 6),
                inventory=[Decimal(prev["inventory"]), Decimal(last["inventory"])],
                receivables=[Decimal(prev["receivables"]), Decimal(last["receivables"])],
                prepayments=[Decimal(prev["prepayments"]), Decimal(last["prepayments"])],
                payables=[Decimal(prev["payables"]), Decimal(last["payables"])],
                advance_receipts=[
                    Decimal(prev["advance_receipts"]),
                    Decimal(last["advance_receipts"]),
                ],
                term_months=term_months,
            )
        )
    except ValueError as exc:
        return {"status": "not_computable", "why": str(exc)}
    return {"status": "sized", **sizing.to_dict()}


def product_part(
    product_code: str,
    *,
    titles: list[str],
    grade: str | None,
    size: str,
    years_operating: int,
    loss_making: bool,
    amount: Decimal,
    term_months: int,
    guarantee: list[str],
    collateral: list[dict[str, Any]],
    working_capital_need: Decimal | None,
) -> dict[str, Any]:
    from techfin.credit.products import EnterpriseProfile, check_product, get_product

    features = set()
    if any(c.get("kind") == "ip" for c in collateral):
        features.add("pledgeable_ip")
    profile = EnterpriseProfile(
        titles=frozenset(titles),
        grade=grade,
        size=size,
        years_operating=years_operating,
        loss_making=loss_making,
        features=frozenset(features),
        requested_amount=amount,
        requested_term_months=term_months,
        offered_guarantee=frozenset(guarantee) if guarantee else None,
        working_capital_need=working_capital_need,
    )
    check = check_product(get_product(product_code), profile)
    return {
        "code": check.code,
        "name_zh": check.name_zh,
        "name_en": check.name_en,
        "eligible": check.eligible,
        "reasons": list(check.reasons),
        "max_amount": None if check.max_amount is None else str(check.max_amount),
        "notes": list(check.notes),
    }


def pricing_part(
    *,
    amount: Decimal,
    term_months: int,
    start: dt.date,
    grade: str | None,
    pd: float | None,
    guarantee: list[str],
    tech: bool,
    policy: Policy,
    lpr_table: LprTable | None = None,
) -> dict[str, Any]:
    from techfin.credit.pricing import FloatingRate, load_lpr_table, price_loan

    table = lpr_table or load_lpr_table()
    priced_on = start
    stale = None
    if start >= table.valid_until():
        # The packaged LPR table lags: price on the last fixing in force and say so.
        priced_on = table.valid_until() - dt.timedelta(days=1)
        stale = (
            f"LPR table ends with the {table.last_date.isoformat()} fixing: priced on it; "
            "the platform operator enters newer fixings at /market/lpr"
        )
    lgd_table = policy.raw["lgd"]
    lgd = min(
        (to_decimal(lgd_table[g]) for g in guarantee if g in lgd_table),
        default=to_decimal(lgd_table["credit"]),
    )
    quote = price_loan(
        amount=amount,
        term_months=term_months,
        rate=FloatingRate(to_decimal(policy.raw["base_spread_bp"])),
        start=priced_on,
        pd=quantize(Decimal(str(pd if pd is not None else 0.02)), 6),
        lgd=lgd,
        tech_loan=tech,
        grade=grade,
        table=table,
    )
    proposed = quote.indicative_rate if quote.indicative_rate is not None else quote.offered_rate
    out = quote.to_dict()
    out["proposed_rate"] = str(quantize(proposed, 6))
    out["priced_on"] = priced_on.isoformat()
    out["lpr_warning"] = stale
    out["pd_basis"] = "expert scorecard PD" if pd is not None else "default PD 2 % (rating pending)"
    return out


def schedule_part(
    *, amount: Decimal, rate: Decimal, start: dt.date, term_months: int, method: str
) -> dict[str, Any]:
    from techfin.credit.schedule import Method, Terms, build

    terms = Terms(
        principal=amount,
        annual_rate=rate,
        start=start,
        installments=term_months,
        method=Method(method),
    )
    s = build(terms)
    return {
        "conventions_version": s.conventions_version,
        "annual_rate": str(s.annual_rate),
        "totals": s.totals.to_dict(),
        "rows": [r.to_dict() for r in s.rows],
    }


def assemble(
    *,
    profile: dict[str, Any],
    financials: list[dict[str, Any]],
    product_code: str,
    amount: Decimal,
    term_months: int,
    method: str,
    guarantee: list[str],
    collateral: list[dict[str, Any]],
    investigation_report: str,
    milestones: list[dict[str, Any]],
    exposure: Decimal,
    today: dt.date,
    policy: Policy,
    lpr_table: LprTable | None = None,
) -> dict[str, Any]:
    """The whole pre-loan file and the items missing before it can be submitted.

    `lpr_table`: the platform's LPR table (`services.market.lpr_table`; packaged when omitted)."""
    from techfin.services.origination_policy import tech_channel

    missing: list[str] = []
    registry = profile["registry"]
    fin = profile.get("financials") or []
    last = fin[-1] if fin else None
    titles = valid_titles(profile)
    rating = rating_part(profile, today)
    grade = rating.get("grade")
    if rating["status"] != "rated":
        missing.append("rating pending")
    computed = {c["title"]: c for c in profile.get("recognition", {}).get("computed", [])}
    size_eval = computed.get("size")
    size = "small"
    size_basis = "assumed small (no computed size)"
    if size_eval and size_eval["outcome"] in ("micro", "small", "medium", "large"):
        size, size_basis = size_eval["outcome"], f"computed ({size_eval['rule_version']})"
    registered_on = _date(registry["registered_on"])
    years = (today - registered_on).days // 365

    ip = ip_part(collateral)
    if product_code == "ip_pledge_loan" and not ip["appraised"]:
        missing.append("IP valuation and pledge capacity")

    wc: dict[str, Any] | None = None
    wc_need: Decimal | None = None
    if product_code == "working_capital_loan":
        wc = working_capital_part(financials, term_months)
        if wc["status"] == "sized":
            wc_need = Decimal(wc["new_loan_need"])
        else:
            missing.append("working-capital sizing")

    product = product_part(
        product_code,
        titles=titles,
        grade=grade,
        size=size,
        years_operating=years,
        loss_making=bool(last and Decimal(last["net_profit"]) < 0),
        amount=amount,
        term_months=term_months,
        guarantee=guarantee,
        collateral=collateral,
        working_capital_need=wc_need,
    )
    if not product["eligible"]:
        missing.append("product eligibility: " + "; ".join(product["reasons"]))

    tech, channel_reason = tech_channel(titles, grade, policy)
    pricing: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    try:
        pricing = pricing_part(
            amount=amount,
            term_months=term_months,
            start=today,
            grade=grade,
            pd=rating.get("pd"),
            guarantee=guarantee,
            tech=tech,
            policy=policy,
            lpr_table=lpr_table,
        )
        schedule = schedule_part(
            amount=amount,
            rate=Decimal(pricing["proposed_rate"]),
            start=today,
            term_months=term_months,
            method=method,
        )
    except ValueError as exc:
        missing.append(f"pricing and schedule: {exc}")
    warnings: list[str] = []
    if pricing is not None and pricing.get("meets_floor") is False:
        # not a missing item — a bank may price below its floor (strategy, subsidy) — but the
        # approver must see it and decide it with a reason
        warnings.append(
            f"the proposed rate {pricing['proposed_rate']} is below the risk-based floor "
            f"{pricing['floor']}: pricing below the floor needs the approver's reason"
        )
    if pricing is not None and pricing.get("lpr_warning"):
        warnings.append(str(pricing["lpr_warning"]))
    if not investigation_report.strip():
        missing.append("investigation report")
    if not milestones:
        missing.append("post-loan milestones")
    register = profile.get("credit_register")
    out: dict[str, Any] = _json(
        {
            "assembled_on": today,
            "hub_profile": {
                "registry": registry,
                "latest_financials": last,
                "years": [f["year"] for f in fin],
                "size": size,
                "size_basis": size_basis,
                "years_operating": years,
            },
            "credit_register": register
            if register is not None
            else {"first_loan": True, "note": "no loan in the credit register (首贷)"},
            "titles": {
                "granted": profile.get("recognition", {}).get("granted", []),
                "computed": [
                    {"title": c["title"], "outcome": c["outcome"], "rule": c["rule_version"]}
                    for c in profile.get("recognition", {}).get("computed", [])
                ],
                "valid_granted": titles,
            },
            "rating": rating,
            "ip": ip,
            "working_capital": wc,
            "product": product,
            "pricing": pricing,
            "schedule": schedule,
            "exposure": exposure,
            "channel": {"tech": tech, "reason": channel_reason},
            "investigation_report": bool(investigation_report.strip()),
            "milestones": milestones,
            "missing": missing,
            "warnings": warnings,
            "policy_version": policy.version,
        }
    )
    return out
