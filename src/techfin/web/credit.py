"""Pages of the credit catalogue and the loan calculator (issue 7 item 8).

- ``/products``: the tech credit product catalogue — each product's eligibility, amount and
  term limits, repayment methods, interest bases, guarantee types, collateral, pricing rule and
  risk sharing, from ``credit/data/products.yaml`` with its version and source.
- ``/calculator``: the schedule terms (the same fields as ``POST /api/schedule`` and
  ``techfin schedule``) → the schedule table, totals, the borrower's effective annual rate and
  an ECharts chart of principal and interest per period with the balance. The form is a GET
  (a computation changes nothing, and the URL can be shared); HTMX swaps the form and result
  without a full reload, and a bad term is shown next to its field.

Both need a login. Amounts in the table are the engine's exact decimal strings; the chart's
numbers are floats for display only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from techfin.services.errors import ServiceError
from techfin.web.pages import page_actor, render

router = APIRouter(include_in_schema=False)


def _(message: str) -> str:
    """Marks message ids for extraction (translated in the templates)."""
    return message


# English message ids for codes shown on the pages (the templates call _() on them).
LABELS: dict[str, str] = {
    # recognised titles
    "hnte": _("High-tech enterprise"),
    "tech_sme": _("Tech-based SME"),
    "innovative_sme": _("Innovative SME"),
    "srdi": _("Specialised, refined, distinctive, innovative SME"),
    "little_giant": _("Little giant"),
    # guarantee types
    "credit": _("Credit (unsecured)"),
    "guarantee": _("Guarantee"),
    "mortgage": _("Mortgage"),
    "pledge": _("Pledge"),
    # sizes
    "micro": _("Micro"),
    "small": _("Small"),
    "medium": _("Medium"),
    "large": _("Large"),
    # methods
    "annuity": _("Equal installments (annuity)"),
    "equal-principal": _("Equal principal"),
    "flat": _("Flat (add-on interest)"),
    "interest-only": _("Interest only, principal at maturity"),
    "bullet": _("Bullet (all at maturity)"),
    "stepped": _("Stepped"),
    "revolving": _("Revolving (draw and repay any day)"),
    # interest bases
    "per-period": _("Per period"),
    "act-360": _("ACT/360"),
    "act-365f": _("ACT/365F"),
    "30-360": _("30/360"),
    # rounding
    "half-even": _("Half-even"),
    "half-up": _("Half-up"),
    "up": _("Up"),
    # frequencies
    "monthly": _("Monthly"),
    "quarterly": _("Quarterly"),
    "semiannual": _("Semi-annual"),
    "annual": _("Annual"),
    "weekly": _("Weekly"),
    "biweekly": _("Every two weeks"),
    # amount bases
    "policy_cash_value": _("policy cash value"),
    "confirmed_receivables": _("confirmed receivables"),
    "working_capital_need": _("working-capital need"),
    "equity_round_amount": _("equity round amount"),
    "acquisition_price": _("acquisition price"),
    # pricing
    "lpr_plus_spread": _("LPR + spread"),
    # profile features
    "pledgeable_ip": _("Pledgeable patents or trademarks"),
    "pledgeable_policy": _("Pledgeable insurance policy"),
    "core_enterprise_receivables": _("Receivables confirmed by a core enterprise"),
    "high_tech_manufacturing": _("High-tech manufacturing"),
    "external_equity_round": _("External equity round"),
    "recognised_talent": _("Recognised talent on the team"),
    "acquisition_target": _("Acquiring a tech company"),
}

TITLES = ("hnte", "tech_sme", "innovative_sme", "srdi", "little_giant")
SIZES = ("micro", "small", "medium", "large")
GRADES = tuple(f"T{i}" for i in range(1, 11))
FEATURES = (
    "pledgeable_ip",
    "pledgeable_policy",
    "core_enterprise_receivables",
    "high_tech_manufacturing",
    "external_equity_round",
    "recognised_talent",
    "acquisition_target",
)
GUARANTEES = ("credit", "guarantee", "mortgage", "pledge")
PROFILE_SCALARS = (
    "grade",
    "size",
    "years_operating",
    "requested_amount",
    "requested_term_months",
    "policy_cash_value",
    "confirmed_receivables",
    "working_capital_need",
    "equity_round_amount",
    "acquisition_price",
)

# The calculator's fields in form order: name → label id.
FIELDS: dict[str, str] = {
    "principal": _("Principal (yuan)"),
    "rate": _("Annual rate (percent)"),
    "installments": _("Installments"),
    "frequency": _("Frequency"),
    "start": _("Disbursement date"),
    "first_due": _("First due date"),
    "method": _("Method"),
    "interest_basis": _("Interest basis"),
    "rounding": _("Rounding"),
    "decimals": _("Decimals"),
    "installment_multiple": _("Installment multiple"),
    "grace_principal": _("Grace on principal (periods)"),
    "grace_interest": _("Grace on interest payment (periods)"),
    "interest_free": _("Interest-free periods"),
    "rate_changes": _("Rate changes (DATE=PERCENT per line)"),
    "settle_interest": _("Interest settlement"),
    "settlement_day": _("Settlement day"),
    "subsidy_share": _("Interest subsidy (percent of interest)"),
    "subsidy_payer": _("Subsidy payer"),
}

CHOICES: dict[str, tuple[str, ...]] = {
    "frequency": ("monthly", "quarterly", "semiannual", "annual", "weekly", "biweekly"),
    "method": ("annuity", "equal-principal", "flat", "interest-only", "bullet"),
    "interest_basis": ("act-360", "act-365f", "30-360", "per-period"),
    "rounding": ("half-up", "half-even", "up"),
    "settle_interest": ("", "monthly", "quarterly"),
}

# The example (its first row is 255.00 + 50.00 = 305.00, balance 4745.00).
DEFAULTS: dict[str, str] = {
    "principal": "5000",
    "rate": "12",
    "installments": "18",
    "frequency": "monthly",
    "start": "2022-11-01",
    "first_due": "",
    "method": "annuity",
    "interest_basis": "act-360",
    "rounding": "half-up",
    "decimals": "2",
    "installment_multiple": "1",
    "grace_principal": "0",
    "grace_interest": "0",
    "interest_free": "0",
    "rate_changes": "",
    "settle_interest": "",
    "settlement_day": "20",
    "subsidy_share": "",
    "subsidy_payer": "subsidy",
}


def _form_values(request: Request) -> dict[str, str]:
    params = request.query_params
    if not any(name in params for name in FIELDS):
        return dict(DEFAULTS)
    return {name: params.get(name, "").strip() for name in FIELDS}


def _terms_data(values: dict[str, str]) -> dict[str, Any]:
    """Form strings → the API's schedule body (blank optional fields left out)."""
    data: dict[str, Any] = {k: v for k, v in values.items() if v != "" and k != "rate_changes"}
    if "subsidy_share" not in data:
        data.pop("subsidy_payer", None)
    if "settle_interest" not in data:
        data.pop("settlement_day", None)
    changes = []
    for i, line in enumerate(values.get("rate_changes", "").splitlines()):
        line = line.strip()
        if not line:
            continue
        when, sep, pct = line.partition("=")
        if not sep:
            raise ServiceError(
                f"rate_changes[{i}]: expected DATE=PERCENT, got {line!r}", field="rate_changes"
            )
        changes.append({"date": when.strip(), "rate": pct.strip().rstrip("%")})
    if changes:
        data["rate_changes"] = changes
    return data


def _chart(data: dict[str, Any]) -> dict[str, Any]:
    """Series for ECharts (floats for display only; the table shows the exact amounts)."""
    rows = data["rows"]
    return {
        "labels": [f"{r['n']} · {r['due_date']}" for r in rows],
        "principal": [float(Decimal(r["principal"])) for r in rows],
        "interest": [float(Decimal(r["interest"])) for r in rows],
        "balance": [float(Decimal(r["balance"])) for r in rows],
    }


def _profile_form(request: Request) -> dict[str, Any]:
    params = request.query_params
    form: dict[str, Any] = {k: params.get(k, "").strip() for k in PROFILE_SCALARS}
    form["titles"] = [t for t in params.getlist("titles") if t]
    form["features"] = [f for f in params.getlist("features") if f]
    form["offered_guarantee"] = [g for g in params.getlist("offered_guarantee") if g]
    form["loss_making"] = params.get("loss_making") in ("1", "on", "true")
    return form


def _profile_data(form: dict[str, Any]) -> dict[str, Any]:
    """Form values → the API's profile body (blanks left out)."""
    data = {k: v for k, v in form.items() if v not in ("", [])}
    data["loss_making"] = bool(form["loss_making"])
    return data


def _catalogue_context(request: Request) -> dict[str, Any]:
    from techfin.api.credit import catalogue_json
    from techfin.credit.products import load_catalogue

    return {
        "catalogue": catalogue_json(load_catalogue()),
        "labels": LABELS,
        "titles": TITLES,
        "sizes": SIZES,
        "grades": GRADES,
        "features": FEATURES,
        "guarantees": GUARANTEES,
    }


@router.get("/products", response_class=HTMLResponse)
def products_page(request: Request) -> HTMLResponse:
    page_actor(request)
    form = _profile_form(request)
    form["size"] = form["size"] or "small"
    return render(request, "credit_products.html", form=form, **_catalogue_context(request))


@router.get("/products/check", response_class=HTMLResponse)
def product_check_page(request: Request) -> HTMLResponse:
    """The product check for a profile typed into the catalogue page's form."""
    page_actor(request)
    from techfin.api.credit import ProfileIn, check_products, parse

    form = _profile_form(request)
    check: dict[str, Any] | None = None
    error: str | None = None
    error_field: str | None = None
    try:
        check = check_products(parse(ProfileIn, _profile_data(form)))
    except ServiceError as exc:
        error = exc.detail
        error_field = (exc.field or "").split(".")[0].split("[")[0] or None
    partial = bool(request.headers.get("hx-request"))
    context: dict[str, Any] = {
        "form": form,
        "check": check,
        "check_error": error,
        "check_error_field": error_field,
        "labels": LABELS,
    }
    if partial:
        return render(request, "credit_product_check.html", **context)
    context.update(_catalogue_context(request))
    return render(request, "credit_products.html", status=422 if error else 200, **context)


@router.get("/calculator", response_class=HTMLResponse)
def calculator_page(request: Request) -> HTMLResponse:
    page_actor(request)
    from techfin.api.credit import ScheduleIn, compute_schedule, parse, schedule_json

    values = _form_values(request)
    result: dict[str, Any] | None = None
    error: str | None = None
    error_field: str | None = None
    try:
        body = parse(ScheduleIn, _terms_data(values))
        result = schedule_json(compute_schedule(body))
    except ServiceError as exc:
        error = exc.detail
        error_field = (exc.field or "").split(".")[0].split("[")[0] or None
        if error_field not in FIELDS:
            error_field = None
    partial = bool(request.headers.get("hx-request"))
    return render(
        request,
        "credit_calculator_body.html" if partial else "credit_calculator.html",
        # htmx swaps only 2xx answers: the partial carries its error with a 200
        status=422 if error and not partial else 200,
        values=values,
        fields=FIELDS,
        choices=CHOICES,
        labels=LABELS,
        result=result,
        chart=_chart(result) if result else None,
        error=error,
        error_field=error_field,
    )
