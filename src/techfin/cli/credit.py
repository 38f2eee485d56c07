"""CLI commands for credit products, pricing and working-capital sizing (issue 7 item 8):

    techfin products list [--json]
    techfin products check --input PROFILE.json [--json]
    techfin pricing quote --input FILE.json [--json]
    techfin pricing lpr [--date YYYY-MM-DD] [--json]
    techfin working-capital --input FILE.json [--json]

The input files are the JSON bodies of the matching API routes (``POST /api/products/check``,
``/api/pricing/quote``, ``/api/working-capital``), parsed by the same models, so a file that
works here works there and the same field is named on bad input (exit 2, one stderr line).
``--input -`` reads standard input. No database is needed. The schedule calculator is
``techfin schedule`` (``techfin.cli.schedule``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from techfin.cli._common import emit_json, fail

products_app = typer.Typer(help="The tech credit product catalogue and the product check.")
pricing_app = typer.Typer(help="Loan pricing: the risk-based floor, RAROC, the LPR in force.")

INPUT_HELP = "JSON file (the API's request body); - reads standard input."


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"input: cannot read {path}: {exc.strerror or exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"input: {path} is not valid JSON: {exc.msg} (line {exc.lineno})")


def _run(fn: Any, *args: Any) -> Any:
    """Call a face function; a ValidationFailed becomes one stderr line naming the field."""
    from techfin.services.errors import ServiceError

    try:
        return fn(*args)
    except ServiceError as exc:
        detail = exc.detail
        if exc.field and not detail.startswith(exc.field):
            detail = f"{exc.field}: {detail}"
        fail(detail)


def _console() -> Any:
    from rich.console import Console

    return Console()


def products_list(
    json_output: bool = typer.Option(False, "--json", help="Print the catalogue as JSON."),
) -> None:
    """The product catalogue: eligibility, amount and term limits, methods, guarantee types,
    pricing rule, risk sharing."""
    from techfin.api.credit import catalogue_json
    from techfin.credit.products import load_catalogue

    data = catalogue_json(load_catalogue())
    if json_output:
        emit_json(data)
        return
    lines = [f"Tech credit products {data['version']} — {data['source']}", ""]
    for p in data["products"]:
        e = p["eligibility"]
        elig = [f"titles: {', '.join(e['titles_any']) or 'none needed'}"]
        if e["max_grade"]:
            elig.append(f"grade T1…{e['max_grade']}")
        elig.append(f"sizes {'/'.join(e['sizes'])}")
        if e["min_years_operating"]:
            elig.append(f"≥ {e['min_years_operating']} year(s) operating")
        if not e["loss_making_allowed"]:
            elig.append("not loss-making")
        elig += [r["text"] for r in e["requires"]]
        amount = f"{p['amount']['min']} – {p['amount']['max']} yuan"
        if p["amount"]["share_of"]:
            share = p["amount"]["share_of"]
            amount += f", at most {share['share']} × {share['basis']}"
        lines += [
            f"{p['code']}  {p['name_zh']} / {p['name_en']}",
            f"  eligibility: {'; '.join(elig)}",
            f"  amount: {amount}; term {p['term_months']['min']}–{p['term_months']['max']} months",
            f"  methods: {', '.join(p['methods'])}; "
            f"interest bases: {', '.join(p['interest_bases'])}",
            f"  guarantee: {'; '.join(' + '.join(c) for c in p['guarantee_types'])}",
        ]
        lines += [f"  collateral: {c}" for c in p["collateral"]]
        lines += [
            f"  pricing: {_pricing_text(p['pricing'])}",
            f"  risk sharing: {'yes' if p['risk_sharing'] else 'no'}",
            "",
        ]
    typer.echo("\n".join(lines).rstrip())


def _pricing_text(pricing: dict[str, Any]) -> str:
    parts = [str(pricing.get("rule", ""))]
    if "tenor" in pricing:
        parts.append(f"LPR {pricing['tenor']}")
    band = pricing.get("spread_bp")
    if isinstance(band, dict):
        parts.append(f"spread {band.get('min')}…{band.get('max')} bp")
    return ", ".join(parts)


def products_check(
    input_path: str = typer.Option(..., "--input", help=INPUT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Which products an enterprise profile qualifies for, and why not for the others."""
    from techfin.api.credit import ProfileIn, check_products, parse

    data = _run(lambda d: check_products(parse(ProfileIn, d)), _read_json(input_path))
    if json_output:
        emit_json(data)
        return
    console = _console()
    for p in data["products"]:
        mark = "[green]✔[/green]" if p["eligible"] else "[red]✘[/red]"
        cap = f" (up to {p['max_amount']} yuan)" if p["eligible"] and p["max_amount"] else ""
        console.print(f"{mark} {p['code']} {p['name_zh']}{cap}")
        for reason in p["reasons"]:
            console.print(f"    – {reason}")
        for note in p["notes"]:
            console.print(f"    · {note}")
    console.print(f"eligible: {', '.join(data['eligible']) or 'none'}")


def _pct(value: str | None) -> str:
    from decimal import Decimal

    return "—" if value is None else f"{Decimal(value) * 100:.4f} %"


def pricing_quote(
    input_path: str = typer.Option(..., "--input", help=INPUT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the quote as JSON."),
) -> None:
    """The offered rate against the risk-based floor, part by part, and RAROC with and
    without the head-office tech subsidy."""
    from rich.table import Table

    from techfin.api.credit import QuoteIn, parse, quote_loan

    data = _run(lambda d: quote_loan(parse(QuoteIn, d)), _read_json(input_path))
    if json_output:
        emit_json(data)
        return
    table = Table(title=f"Pricing ({data['policy_version']})", show_footer=True)
    table.add_column("part", footer="floor")
    table.add_column("rate", justify="right", footer=_pct(data["floor"]))
    for part in data["floor_parts"]:
        table.add_row(part["part"], _pct(part["rate"]))
    console = _console()
    console.print(table)
    if data["lpr"]:
        console.print(
            f"LPR {data['lpr']['fixing_date']}: 1y {_pct(data['lpr']['one_year'])}, "
            f"spread {_pct(data['spread'])}"
        )
    verdict = "meets" if data["meets_floor"] else "is BELOW"
    console.print(
        f"offered {_pct(data['offered_rate'])} {verdict} the floor "
        f"(margin {_pct(data['margin_over_floor'])})"
    )
    console.print(
        f"RAROC without subsidy {_pct(data['raroc_without_subsidy'])}, with the tech subsidy "
        f"{_pct(data['raroc_with_subsidy'])} (subsidy {data['annual_subsidy_amount']} yuan a year)"
    )
    if data["grade"]:
        console.print(
            f"grade {data['grade']}: adjustment {_pct(data['grade_adjustment'])}, "
            f"indicative rate {_pct(data['indicative_rate'])}"
        )


def pricing_lpr(
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (today when omitted)."),
    json_output: bool = typer.Option(False, "--json", help="Print the fixing as JSON."),
) -> None:
    """The LPR fixing in force on a date."""
    import datetime as dt

    from techfin.api.credit import lpr_in_force

    try:
        on = dt.date.fromisoformat(date.strip()) if date else dt.date.today()
    except ValueError:
        fail(f"date: not a date (YYYY-MM-DD): {date!r}")
    data = _run(lpr_in_force, on)
    if json_output:
        emit_json(data)
        return
    typer.echo(
        f"LPR in force on {data['date']}: fixing of {data['fixing_date']}: "
        f"1y {data['one_year_percent']} %, 5y+ {data['five_year_plus_percent']} % "
        f"({data['confidence']})"
    )


def working_capital(
    input_path: str = typer.Option(..., "--input", help=INPUT_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the sizing as JSON."),
) -> None:
    """Size a working-capital loan step by step (§7c). With "basis": "startup" in the
    file: the alternative basis for a loss-making start-up (bank policy)."""
    from rich.table import Table

    from techfin.api.credit import size_working_capital

    data = _run(size_working_capital, _read_json(input_path))
    if json_output:
        emit_json(data)
        return
    table = Table(title=f"Working-capital sizing: {data['basis']} ({data['rule_version']})")
    table.add_column("step")
    table.add_column("how")
    table.add_column("value", justify="right")
    for step in data["steps"]:
        table.add_row(step["name"], step["formula"], step["value"])
    console = _console()
    console.print(table)
    term = data["term"]
    console.print(
        f"new loan need: {data['new_loan_need']} yuan; term {term['term_months']} months "
        f"{'allowed' if term['allowed'] else 'NOT allowed'}: {term['note']}"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    products_app.command("list")(products_list)
    products_app.command("check")(products_check)
    pricing_app.command("quote")(pricing_quote)
    pricing_app.command("lpr")(pricing_lpr)
    app.add_typer(products_app, name="products")
    app.add_typer(pricing_app, name="pricing")
    app.command("working-capital")(working_capital)
