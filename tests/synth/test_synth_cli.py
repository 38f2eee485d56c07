"""`techfin synth`: writes the tables beside FILE.parquet; clear errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from techfin.cli import app
from techfin.synth import SCHEMAS

runner = CliRunner()


def test_json_summary_and_files(tmp_path: Path) -> None:
    out = tmp_path / "world.parquet"
    result = runner.invoke(
        app, ["synth", "--seed", "3", "--enterprises", "250", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["seed"] == "3" and summary["as_of"] == "2026-09-30"
    assert set(summary["rows"]) == set(SCHEMAS)
    assert summary["rows"]["enterprises"] == 250
    assert pq.read_metadata(out).num_rows == 250
    for name, n in summary["rows"].items():
        path = Path(summary["files"][name])
        assert path.exists(), name
        assert pq.read_metadata(path).num_rows == n
    assert (tmp_path / "world.patent_events.parquet").exists()
    assert not list(tmp_path.glob("*.part"))


def test_plain_output_lists_tables(tmp_path: Path) -> None:
    out = tmp_path / "w.parquet"
    result = runner.invoke(
        app,
        ["synth", "--seed", "1", "--enterprises", "50", "--out", str(out), "--as-of", "2025-03-31"],
    )
    assert result.exit_code == 0, result.output
    assert "enterprises" in result.stdout and "w.financials.parquet" in result.stdout
    meta = pq.read_schema(out).metadata
    assert meta[b"techfin.synth.as_of"] == b"2025-03-31"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "-1", "--enterprises", "5"], "--seed"),
        (["--seed", "1", "--enterprises", "0"], "--enterprises"),
        (["--seed", "1", "--enterprises", "5", "--as-of", "2026-13-01"], "--as-of"),
        (["--seed", "1", "--enterprises", "5", "--jobs", "0"], "--jobs"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["synth", *args, "--out", str(tmp_path / "w.parquet")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not list(tmp_path.iterdir())


def test_bad_output_paths(tmp_path: Path) -> None:
    r = runner.invoke(app, ["synth", "--seed", "1", "--enterprises", "5", "--out", "x.csv"])
    assert r.exit_code == 2 and ".parquet" in r.stderr
    missing = tmp_path / "nope" / "w.parquet"
    r = runner.invoke(app, ["synth", "--seed", "1", "--enterprises", "5", "--out", str(missing)])
    assert r.exit_code == 2 and "does not exist" in r.stderr
