"""`techfin recognize --input FILE.json [--json]` and the `--enterprise` flag."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techfin.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "recognition_input.json"
runner = CliRunner()


def test_example_prints_breakdown() -> None:
    result = runner.invoke(app, ["recognize", "--input", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "[size] medium" in result.output
    assert "[tech_sme] passes — total 78" in result.output
    assert "[hnte] needs expert review" in result.output
    assert "assumed:" in result.output


def test_json_output_names_rule_versions() -> None:
    result = runner.invoke(app, ["recognize", "--input", str(EXAMPLE), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["size"]["size"] == "medium"
    assert data["tech_sme"]["parts"] == {"tech_staff": 20, "rd": 40, "results": 18}
    assert data["hnte"]["verdict"] == "needs expert review"
    for section in ("size", "tech_sme", "hnte", "innovative_sme", "srdi", "tags"):
        assert data[section]["rule_version"]


def test_list_input_and_exact_decimals(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(
        json.dumps(
            [
                {"id": "a", "size": {"industry": "industry", "employees": 300, "revenue": 2000}},
                {"id": "b", "size": {"industry": "industry", "employees": 300, "revenue": 1999.99}},
            ]
        )
    )
    result = runner.invoke(app, ["recognize", "--input", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["size"]["size"] for d in data] == ["medium", "small"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"hnte": {"class1_ip": 1}}', "tech_staff_ratio"),
        ('{"nonsense": {}}', "unknown section"),
        ("{not json", "not valid JSON"),
        ('{"size": {"industry": "banking", "employees": 1}}', "industry"),
        ("{}", "no section"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = runner.invoke(app, ["recognize", "--input", str(path)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_needs_exactly_one_source() -> None:
    assert runner.invoke(app, ["recognize"]).exit_code == 2
    r = runner.invoke(app, ["recognize", "--input", str(EXAMPLE), "--enterprise", "1"])
    assert r.exit_code == 2


def test_enterprise_without_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "techfin.services.recognition", None)
    result = runner.invoke(app, ["recognize", "--enterprise", "42"])
    assert result.exit_code != 0
    assert "--enterprise needs the platform database (not yet available)" in result.stderr


def test_enterprise_prints_the_stored_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    from decimal import Decimal

    from techfin.recognition import size

    service = pytest.importorskip("techfin.services.recognition")
    seen: list[int] = []

    class Stored:
        def to_dict(self) -> dict[str, object]:
            r = size.classify("工业", employees=300, revenue=Decimal(2000))
            return {
                "enterprise_id": 7,
                "as_of": "2026-06-30",
                "evaluations": {
                    "size": {
                        "outcome": "medium",
                        "rule_version": r.rule_version,
                        "result": r.to_dict(),
                    },
                    "hnte": {
                        "outcome": "not_evaluated",
                        "rule_version": "",
                        "result": {"missing": "net_assets: required"},
                    },
                },
            }

    def fake(enterprise_id: int) -> Stored:
        seen.append(enterprise_id)
        return Stored()

    monkeypatch.setattr(service, "evaluate_enterprise", fake)
    result = runner.invoke(app, ["recognize", "--enterprise", "7"])
    assert result.exit_code == 0, result.output
    assert seen == [7]
    assert "[size] medium" in result.output
    assert "[hnte] not evaluated: net_assets: required" in result.output
    result = runner.invoke(app, ["recognize", "--enterprise", "7", "--json"])
    assert json.loads(result.stdout)["evaluations"]["size"]["outcome"] == "medium"
    assert runner.invoke(app, ["recognize", "--enterprise", "x"]).exit_code == 2
