from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from techfin.cli import app
from techfin.rating.scorecard import Scorecard

runner = CliRunner()


@pytest.fixture()
def files(tmp_path, make_frame):
    X, y = make_frame(1500)
    frame = X.with_columns(status=pl.Series(np.where(y == 1, "bad", "good")))
    csv = tmp_path / "train.csv"
    frame.write_csv(csv)
    pq = tmp_path / "train.parquet"
    frame.write_parquet(pq)
    return tmp_path, csv, pq, frame


def _ok(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return res


def test_fit_score_report_round_trip(files):
    tmp, csv, pq, frame = files
    model = tmp / "m.json"
    _ok(["rating", "fit", "--data", str(csv), "--target", "status", "--out", str(model)])
    meta = json.loads(model.read_text())["metadata"]
    assert meta["target"] == "status" and len(meta["data_sha256"]) == 64
    out = tmp / "scores.parquet"
    _ok(["rating", "score", "--model", str(model), "--data", str(pq), "--out", str(out)])
    scored = pl.read_parquet(out)
    assert scored.columns[:3] == ["score", "pd", "grade"]
    assert scored.columns[3:] == ["reason_1", "reason_2", "reason_3"]
    assert scored.height == frame.height
    expected = Scorecard.from_json(model.read_text()).predict_score(frame)
    assert np.allclose(scored["score"].to_numpy(), expected)  # same rows, same order
    assert scored["pd"].is_nan().sum() == 0
    html = tmp / "r.html"
    _ok(["rating", "report", "--model", str(model), "--data", str(csv), "--out", str(html)])
    text = html.read_text()
    assert "<svg" in text and "Hosmer" in text and "CSI" in text
    assert "http" not in text.split("</style>")[1].lower()  # nothing fetched from outside


def test_bad_value_option(files):
    tmp, csv, _, _ = files
    model = tmp / "m.json"
    _ok(
        [
            "rating",
            "fit",
            "--data",
            str(csv),
            "--target",
            "status",
            "--bad-value",
            "good",
            "--out",
            str(model),
            "--json",
        ]
    )
    assert json.loads(model.read_text())["train_metrics"]["bads"] > 700


def test_bad_inputs_exit_2_with_one_line(files):
    tmp, csv, _, frame = files
    one = tmp / "one.csv"
    frame.with_columns(status=pl.lit("good")).write_csv(one)
    res = runner.invoke(
        app,
        ["rating", "fit", "--data", str(one), "--target", "status", "--out", str(tmp / "x.json")],
    )
    assert res.exit_code == 2 and "one class" in res.output
    model = tmp / "m.json"
    _ok(["rating", "fit", "--data", str(csv), "--target", "status", "--out", str(model)])
    d = json.loads(model.read_text())
    d["schema_version"] = 0
    old = tmp / "old.json"
    old.write_text(json.dumps(d))
    res = runner.invoke(
        app,
        ["rating", "score", "--model", str(old), "--data", str(csv), "--out", str(tmp / "s.csv")],
    )
    assert res.exit_code == 2 and "schema version" in res.output
    wrong = tmp / "wrong.csv"
    frame.with_columns(rd_intensity=pl.lit("lots")).write_csv(wrong)
    res = runner.invoke(
        app,
        [
            "rating",
            "score",
            "--model",
            str(model),
            "--data",
            str(wrong),
            "--out",
            str(tmp / "s.csv"),
        ],
    )
    assert res.exit_code == 2 and "rd_intensity" in res.output


def test_expert_command(tmp_path):
    data = tmp_path / "firms.csv"
    pl.DataFrame(
        {"rd_intensity": [0.2, 0.01], "debt_ratio": [0.2, 0.95], "tax_arrears": [0, 1]}
    ).write_csv(data)
    out = tmp_path / "grades.csv"
    _ok(["rating", "expert", "--data", str(data), "--out", str(out), "--stage", "growth"])
    g = pl.read_csv(out)
    assert g["grade"].to_list()[0] != g["grade"].to_list()[1]
    assert g["knockouts"].to_list()[1] == "tax_arrears"
    # the approval route column is credit's grade policy for the row's grade (decision 0608)
    from techfin.credit.grade_policy import grade_levers

    assert g["approval_route"].to_list() == [
        grade_levers(x).approval_route for x in g["grade"].to_list()
    ]
    assert g.columns[:3] == ["score", "grade", "stage"]
