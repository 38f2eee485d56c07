"""`techfin codes check KIND VALUE [--json]`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from techfin.cli import app

runner = CliRunner()


def test_valid_uscc_exits_zero_and_shows_parts() -> None:
    result = runner.invoke(app, ["codes", "check", "uscc", "91110000600037341l"])
    assert result.exit_code == 0, result.output
    assert "valid uscc: 91110000600037341L" in result.stdout
    assert "lowercase letters converted to uppercase" in result.stdout
    assert "organisation_code: 600037341" in result.stdout


def test_invalid_uscc_one_stderr_line_nonzero_exit() -> None:
    result = runner.invoke(app, ["codes", "check", "uscc", "91110000600037341X"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "check character (position 18) is 'X', expected 'L'" in lines[0]
    assert result.stdout == ""


def test_json_output() -> None:
    result = runner.invoke(app, ["codes", "check", "patent", "CN200710308494X", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["valid"] is True and data["normalised"] == "200710308494.X"
    assert data["parts"]["type"] == "invention"


def test_json_output_when_invalid_still_prints_check() -> None:
    result = runner.invoke(app, ["codes", "check", "patent", "200710308494.1", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["errors"] == ["check character is '1', expected 'X'"]
    assert len(result.stderr.strip().splitlines()) == 1


def test_industry_with_mappings() -> None:
    result = runner.invoke(app, ["codes", "check", "industry", "C3973", "--json"])
    assert result.exit_code == 0
    parts = json.loads(result.stdout)["parts"]
    assert parts["sme_size_group"] == "industry"
    assert parts["high_tech_manufacturing"] == "电子及通信设备制造业"


def test_unknown_kind() -> None:
    result = runner.invoke(app, ["codes", "check", "isbn", "123"])
    assert result.exit_code == 2
    assert "unknown kind 'isbn'" in result.stderr
