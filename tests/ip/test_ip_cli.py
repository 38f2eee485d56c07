"""`techfin ip value METHOD ... [--json]`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from techfin.cli import app

runner = CliRunner()
RFR = [
    "ip",
    "value",
    "relief-from-royalty",
    "--revenues",
    "100,120,130",
    "--royalty-rate",
    "0.05",
    "--tax-rate",
    "0.25",
    "--discount-rate",
    "0.12",
    "--timing",
    "end",
]


def test_relief_from_royalty_json() -> None:
    result = runner.invoke(app, [*RFR, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["value"] == "10.41"
    assert [y["present_value"] for y in data["years"]] == ["3.35", "3.59", "3.47"]
    assert data["sensitivity"]["values"][1][1] == "10.41"


def test_text_output_and_cap_by_remaining_life() -> None:
    result = runner.invoke(app, [*RFR, "--remaining-life", "2.5"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("relief_from_royalty: 8.67")
    assert "capped" in result.stdout


def test_other_methods() -> None:
    cases = {
        "income-share": [
            "--revenues=1000,1000",
            "--profit-margin=0.2",
            "--share-rate=0.3",
            "--share-decline=0.1",
            "--tax-rate=0.25",
            "--discount-rate=0.1",
        ],
        "cost": ["--replacement-cost=1000000", "--physical=0.1", "--functional=0.2"],
        "market": ["--comparables=100,200,300", "--adjustments=1,0.99,0.8"],
        "real-option": [
            "--pv-cash-flows=100",
            "--investment=100",
            "--years=1",
            "--volatility=0.2",
            "--risk-free=0.05",
        ],
    }
    expected = {
        "income-share": "74.38",
        "cost": "720000.00",
        "market": "179.33",
        "real-option": "10.45",
    }
    for method, args in cases.items():
        result = runner.invoke(app, ["ip", "value", method, *args, "--json"])
        assert result.exit_code == 0, (method, result.output)
        data = json.loads(result.stdout)
        assert data["value"] == expected[method], method
    ro = json.loads(
        runner.invoke(app, ["ip", "value", "real-option", *cases["real-option"], "--json"]).stdout
    )
    assert ro["collateral_basis"] is False


def test_bad_input_one_line_exit_2() -> None:
    result = runner.invoke(app, ["ip", "value", "dcf"])
    assert result.exit_code == 2
    assert "unknown method" in result.output
    result = runner.invoke(app, ["ip", "value", "relief-from-royalty", "--revenues", "100"])
    assert result.exit_code == 2 and "--tax-rate" in result.output
    result = runner.invoke(app, [*RFR[:-2], "--timing", "start"])
    assert result.exit_code == 2
    result = runner.invoke(app, [*RFR[:4], "1e999x", *RFR[5:]])
    assert result.exit_code == 2 and "not a number" in result.output
