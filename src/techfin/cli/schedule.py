"""CLI for loan schedules (issue 7 item 2 — a stable contract others depend on):

    techfin schedule --principal 5000 --rate 12 --installments 18 --frequency monthly
        --start 2022-11-01 [--first-due DATE] --method annuity|equal-principal|flat|
        interest-only|bullet [--interest-basis per-period|act-360|act-365f|30-360]
        [--rounding half-even|half-up|up] [--decimals 2] [--installment-multiple 1]
        [--grace-principal N] [--grace-interest N] [--interest-free N]
        [--rate-change DATE=PERCENT ...] --json

``--rate`` is percent per year. Defaults (docs/decisions/0301-schedule-cli-defaults.md):
frequency monthly, method annuity, ACT/360 (the Chinese corporate convention), half-up to 2
decimals, installment rounded to a multiple of 1 yuan — the defaults under which the issue's
example row (255.00 + 50.00 = 305.00, balance 4745.00) is what the example command prints.
Extra, optional: ``--settle-interest monthly|quarterly`` (on ``--settlement-day``, the 20th),
``--subsidy-share PERCENT`` or ``--subsidy-rate PERCENT`` with ``--subsidy-payer``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import typer

from techfin.cli._common import emit_json, fail

METHODS = ("annuity", "equal-principal", "flat", "interest-only", "bullet")
BASES = ("per-period", "act-360", "act-365f", "30-360")
ROUNDINGS = ("half-even", "half-up", "up")


def _date(value: str, term: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{term}: not a date (YYYY-MM-DD): {value!r}")


def _percent(value: str, term: str) -> Any:
    from decimal import Decimal

    from techfin.money import to_decimal

    try:
        return to_decimal(value.strip().rstrip("%"), term) / Decimal(100)
    except ValueError as exc:
        fail(str(exc))


def _choice(value: str, allowed: tuple[str, ...], term: str) -> str:
    key = value.strip().lower()
    if key not in allowed:
        fail(f"{term}: {value!r} is not one of {', '.join(allowed)}")
    return key


def schedule(
    principal: str = typer.Option(..., "--principal", help="Amount disbursed, yuan."),
    rate: str = typer.Option(..., "--rate", help="Annual interest rate, percent (12 = 12 %)."),
    installments: int = typer.Option(..., "--installments", help="Number of principal periods."),
    start: str = typer.Option(..., "--start", help="Disbursement date, YYYY-MM-DD."),
    frequency: str = typer.Option(
        "monthly",
        "--frequency",
        help="monthly, quarterly, semiannual, annual, weekly, biweekly, daily, "
        "or every-N-days|weeks|months.",
    ),
    first_due: str | None = typer.Option(
        None, "--first-due", help="First due date if not one period after --start."
    ),
    method: str = typer.Option("annuity", "--method", help=" | ".join(METHODS)),
    interest_basis: str = typer.Option("act-360", "--interest-basis", help=" | ".join(BASES)),
    rounding: str = typer.Option("half-up", "--rounding", help=" | ".join(ROUNDINGS)),
    decimals: int = typer.Option(2, "--decimals", help="Decimals of every amount."),
    installment_multiple: str = typer.Option(
        "1", "--installment-multiple", help="Round the installment to a multiple of this."
    ),
    grace_principal: int = typer.Option(0, "--grace-principal", help="Interest-only periods."),
    grace_interest: int = typer.Option(
        0, "--grace-interest", help="Periods whose interest is deferred to the next payment."
    ),
    interest_free: int = typer.Option(0, "--interest-free", help="Periods with interest waived."),
    rate_change: list[str] = typer.Option(
        [], "--rate-change", help="DATE=PERCENT: new annual rate from DATE (repeatable)."
    ),
    settle_interest: str | None = typer.Option(
        None,
        "--settle-interest",
        help="monthly | quarterly: interest on its own dates (the --settlement-day).",
    ),
    settlement_day: int = typer.Option(20, "--settlement-day", help="Interest settlement day."),
    subsidy_share: str | None = typer.Option(
        None, "--subsidy-share", help="Percent of each interest paid by a third party (贴息)."
    ),
    subsidy_rate: str | None = typer.Option(
        None, "--subsidy-rate", help="Percentage points of the rate paid by a third party."
    ),
    subsidy_payer: str = typer.Option("subsidy", "--subsidy-payer", help="Who pays the subsidy."),
    json_output: bool = typer.Option(False, "--json", help="Print the schedule as JSON."),
) -> None:
    """Compute a loan repayment schedule (no database needed)."""
    from techfin.credit.daycount import InterestBasis
    from techfin.credit.schedule import (
        Frequency,
        InterestSettlement,
        Method,
        RateChange,
        Subsidy,
        Terms,
        TermsError,
        build,
    )
    from techfin.money import Rounding, to_decimal

    try:
        amount = to_decimal(principal, "principal")
        multiple = to_decimal(installment_multiple, "installment_multiple")
    except ValueError as exc:
        fail(str(exc))
    changes = []
    for i, text in enumerate(rate_change):
        if "=" not in text:
            fail(f"rate_changes[{i}]: expected DATE=PERCENT, got {text!r}")
        when, _, pct = text.partition("=")
        changes.append(
            RateChange(_date(when, f"rate_changes[{i}]"), _percent(pct, f"rate_changes[{i}]"))
        )
    try:
        settlement = None
        if settle_interest is not None:
            kind = _choice(settle_interest, ("monthly", "quarterly"), "settle_interest")
            settlement = (
                InterestSettlement.monthly(settlement_day)
                if kind == "monthly"
                else InterestSettlement.quarterly(settlement_day)
            )
        subsidy = None
        if subsidy_share is not None or subsidy_rate is not None:
            subsidy = Subsidy(
                subsidy_payer,
                share=_percent(subsidy_share, "subsidy") if subsidy_share is not None else None,
                rate=_percent(subsidy_rate, "subsidy") if subsidy_rate is not None else None,
            )
        terms = Terms(
            principal=amount,
            annual_rate=_percent(rate, "annual_rate"),
            start=_date(start, "start"),
            installments=installments,
            method=Method(_choice(method, METHODS, "method")),
            frequency=Frequency.parse(frequency),
            first_due=_date(first_due, "first_due") if first_due else None,
            interest_basis=InterestBasis(_choice(interest_basis, BASES, "interest_basis")),
            interest_settlement=settlement,
            rounding=Rounding(_choice(rounding, ROUNDINGS, "rounding")),
            decimals=decimals,
            installment_multiple=multiple,
            grace_principal=grace_principal,
            grace_interest=grace_interest,
            interest_free=interest_free,
            rate_changes=tuple(changes),
            subsidy=subsidy,
        )
        result = build(terms)
    except TermsError as exc:
        fail(str(exc))

    data = result.to_dict()
    data["annual_rate_percent"] = str((result.annual_rate * 100).normalize())
    data["conventions_version"] = result.conventions_version
    if json_output:
        emit_json(data)
        return
    _print_table(data, result.conventions_version)


def _print_table(data: dict[str, Any], version: str) -> None:
    from rich.console import Console
    from rich.table import Table

    has_subsidy = "subsidy" in data["totals"]
    table = Table(title="Repayment schedule", show_footer=True)
    totals = data["totals"]
    table.add_column("n", justify="right", footer="total")
    table.add_column("due date")
    table.add_column("days", justify="right")
    for key in ("principal", "interest", "payment"):
        table.add_column(key, justify="right", footer=totals[key])
    if has_subsidy:
        table.add_column("subsidy", justify="right", footer=totals["subsidy"])
        table.add_column("borrower pays", justify="right", footer=totals["borrower_payment"])
    table.add_column("balance", justify="right")
    for row in data["rows"]:
        cells = [str(row["n"]), row["due_date"], str(row["days"])]
        cells += [row["principal"], row["interest"], row["payment"]]
        if has_subsidy:
            cells += [row["subsidy"], row["borrower_payment"]]
        cells.append(row["balance"])
        table.add_row(*cells)
    console = Console()
    console.print(table)
    console.print(
        f"borrower's effective annual rate (IRR, ACT/365 compounding): "
        f"{data['annual_rate_percent']} %   conventions {version}"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("schedule")(schedule)
