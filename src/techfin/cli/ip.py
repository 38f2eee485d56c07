"""CLI for IP: `techfin ip value METHOD ... [--json]` (guidance art. 15, issue 6).

METHOD is `relief-from-royalty`, `income-share`, `cost`, `market` or `real-option`. Lists are
comma-separated (`--revenues 100,120,130`). `--remaining-life` caps the revenue forecast by
the patent's remaining legal life; `--industry` compares the rates with the reference bands.
Example:

    techfin ip value relief-from-royalty --revenues 100,120,130 --royalty-rate 0.05 \
        --tax-rate 0.25 --discount-rate 0.12 --timing end --json
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer

from techfin.cli._common import emit_json, fail

METHODS = ("relief-from-royalty", "income-share", "cost", "market", "real-option")

ip_app = typer.Typer(
    name="ip",
    help="IP: patent valuation (relief from royalty, income share, cost, market, real option).",
    no_args_is_help=True,
)


def _list(text: str | None, name: str) -> list[str]:
    if text is None or not text.strip():
        fail(f"--{name}: a comma-separated list is required for this method")
    return [part.strip() for part in text.split(",") if part.strip()]


def _need(value: str | None, name: str) -> str:
    if value is None:
        fail(f"--{name} is required for this method")
    return value


@ip_app.command("value")
def value(
    method: str = typer.Argument(..., help=" | ".join(METHODS)),
    revenues: str | None = typer.Option(None, help="Revenue forecast per year, e.g. 100,120,130"),
    royalty_rate: str | None = typer.Option(None, help="Royalty rate (relief from royalty)"),
    profit_margin: str | None = typer.Option(None, help="Profit margin (income share)"),
    share_rate: str | None = typer.Option(None, help="Patent's share of profit (income share)"),
    share_decline: str = typer.Option("0", help="Yearly fall of the share, as a fraction of it"),
    tax_rate: str | None = typer.Option(None, help="Income tax rate"),
    discount_rate: str | None = typer.Option(None, help="Discount rate"),
    timing: str = typer.Option("end", help="Cash-flow timing: end | mid"),
    remaining_life: str | None = typer.Option(
        None, help="Remaining legal life in years: caps the forecast"
    ),
    industry: str | None = typer.Option(None, help="Compare rates with this industry's bands"),
    replacement_cost: str | None = typer.Option(None, help="Replacement cost (cost approach)"),
    physical: str = typer.Option("0", help="Physical obsolescence rate"),
    functional: str = typer.Option("0", help="Functional obsolescence rate"),
    economic: str = typer.Option("0", help="Economic obsolescence rate"),
    comparables: str | None = typer.Option(None, help="Comparable prices (market approach)"),
    adjustments: str | None = typer.Option(
        None, help="One adjustment factor per comparable (market approach)"
    ),
    pv_cash_flows: str | None = typer.Option(None, help="PV of cash flows S (real option)"),
    investment: str | None = typer.Option(None, help="Investment K (real option)"),
    years: str | None = typer.Option(None, help="Years to decision T (real option)"),
    volatility: str | None = typer.Option(None, help="Volatility σ (real option)"),
    risk_free: str | None = typer.Option(None, help="Risk-free rate r (real option)"),
    json_output: bool = typer.Option(False, "--json", help="Print the valuation as JSON."),
) -> None:
    """Value a patent; prints the value, the year-by-year working and a sensitivity table."""
    from techfin.ip import valuation as v

    method = method.strip().lower()
    if method not in METHODS:
        fail(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    if timing not in ("end", "mid"):
        fail(f"--timing: expected end or mid, got {timing!r}")
    notes: list[str] = []
    try:
        if method in ("relief-from-royalty", "income-share"):
            revs: list[Any] = _list(revenues, "revenues")
            if remaining_life is not None:
                capped = v.cap_to_legal_life(revs, remaining_life)
                if len(capped) < len(revs) or capped != tuple(Decimal(r) for r in revs):
                    notes.append(f"forecast capped at the remaining legal life {remaining_life}")
                revs = list(capped)
            tax, disc = _need(tax_rate, "tax-rate"), _need(discount_rate, "discount-rate")
            if method == "relief-from-royalty":
                rate = _need(royalty_rate, "royalty-rate")
                result = v.relief_from_royalty(
                    revenues=revs,
                    royalty_rate=rate,
                    tax_rate=tax,
                    discount_rate=disc,
                    timing="mid" if timing == "mid" else "end",
                )
            else:
                rate = _need(share_rate, "share-rate")
                result = v.income_share(
                    revenues=revs,
                    profit_margin=_need(profit_margin, "profit-margin"),
                    share_rate=rate,
                    share_decline=share_decline,
                    tax_rate=tax,
                    discount_rate=disc,
                    timing="mid" if timing == "mid" else "end",
                )
            if industry is not None:
                ref = v.industry_reference(industry)
                notes.extend(
                    ref.notes_for(
                        rate=Decimal(rate) if method == "relief-from-royalty" else None,
                        discount=Decimal(disc),
                    )
                )
        elif method == "cost":
            result = v.cost_approach(
                replacement_cost=_need(replacement_cost, "replacement-cost"),
                physical=physical,
                functional=functional,
                economic=economic,
            )
        elif method == "market":
            result = v.market_approach(
                comparables=_list(comparables, "comparables"),
                adjustments=_list(adjustments, "adjustments"),
            )
        else:
            result = v.real_option(
                pv_cash_flows=_need(pv_cash_flows, "pv-cash-flows"),
                investment=_need(investment, "investment"),
                years=_need(years, "years"),
                volatility=_need(volatility, "volatility"),
                risk_free=_need(risk_free, "risk-free"),
            )
    except ValueError as exc:
        fail(str(exc))

    data = result.to_dict()
    data["notes"] = [*data["notes"], *notes]
    if json_output:
        emit_json(data)
        return
    _print(result, data["notes"])


def _print(result: Any, notes: list[str]) -> None:
    echo = typer.echo
    echo(f"{result.method}: {result.value}")
    if result.years:
        echo("year  revenue          rate      after tax        factor     present value")
        for r in result.years:
            echo(
                f"{r.year:>4}  {r.revenue!s:>14}  {r.rate!s:>8}  {r.after_tax!s:>14}  "
                f"{r.discount_factor!s:>9}  {r.present_value!s:>14}"
            )
    for s in result.steps:
        echo(f"  {s.label:<36} {s.amount!s:>16}  {s.note}")
    sens = result.sensitivity
    if sens is not None:
        echo(f"sensitivity: rows {sens.row_parameter}, columns {sens.column_parameter}")
        echo("  " + " " * 12 + "".join(f"{c:>16}" for c in sens.column_values))
        for label, row in zip(sens.row_values, sens.values, strict=True):
            echo(f"  {label:>12}" + "".join(f"{x!s:>16}" for x in row))
    if not result.collateral_basis:
        echo("not a collateral basis (informational only)")
    for note in notes:
        echo(f"note: {note}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(ip_app, name="ip")
