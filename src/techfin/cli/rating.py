"""CLI commands for rating: fit, score and validate a statistical scorecard, and score the
expert tech scorecard. No database: files in, files out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from techfin.cli._common import emit_json, fail

rating_app = typer.Typer(
    help="Statistical scorecard (fit / score / report) and expert tech-flow grades.",
    no_args_is_help=True,
)

_NULLS = ["", "NA", "NaN", "nan", "null", "NULL", "None"]


def _read(path: Path) -> Any:
    import polars as pl

    if not path.exists():
        fail(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv"):
            return pl.read_csv(
                path,
                separator="\t" if suffix == ".tsv" else ",",
                infer_schema_length=None,
                null_values=_NULLS,
            )
    except Exception as exc:  # polars raises several error types for malformed files
        fail(f"{path}: cannot read: {str(exc).splitlines()[0]}")
    fail(f"{path}: expected a .csv or .parquet file")


def _write(frame: Any, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame.write_parquet(path)
    elif suffix == ".csv":
        frame.write_csv(path)
    else:
        fail(f"{path}: output must end in .csv or .parquet")


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_model(path: Path) -> Any:
    from techfin.rating.scorecard import ModelVersionError, Scorecard

    if not path.exists():
        fail(f"{path}: no such file")
    try:
        return Scorecard.from_json(path.read_text("utf-8"))
    except ModelVersionError as exc:
        fail(f"{path}: {exc}")


@rating_app.command("fit")
def fit(
    data: Path = typer.Option(..., "--data", help="Training data, .csv or .parquet."),
    target: str = typer.Option(..., "--target", help="Target column (bad = 1, 'bad' or V)."),
    bad_value: str | None = typer.Option(None, "--bad-value", help="The value meaning bad."),
    out: Path = typer.Option(..., "--out", help="Model JSON to write."),
    min_iv: float = typer.Option(0.02, "--min-iv", help="Drop features with lower IV."),
    max_corr: float | None = typer.Option(None, "--max-corr", help="Drop correlated WoE."),
    stepwise: bool = typer.Option(False, "--stepwise", help="Forward/backward AIC selection."),
    central_tendency: float | None = typer.Option(
        None, "--central-tendency", help="Long-run default rate to anchor PDs to."
    ),
    exclude: list[str] = typer.Option([], "--exclude", help="Columns that are not features."),
    as_json: bool = typer.Option(False, "--json", help="Print the fit summary as JSON."),
) -> None:
    """Fit a scorecard (binning + logistic regression + scaling + master-scale calibration)."""
    from techfin.rating._frame import RatingInputError
    from techfin.rating.scorecard import Scorecard
    from techfin.rating.target import encode_target

    frame = _read(data)
    if target not in frame.columns:
        fail(f"target column {target!r} not in {data}")
    features = [c for c in frame.columns if c != target and c not in set(exclude)]
    if not features:
        fail("no feature columns besides the target")
    try:
        y = encode_target(frame[target], bad_value=bad_value)
        model = Scorecard(
            features=features,
            min_iv=min_iv,
            max_corr=max_corr,
            stepwise=stepwise,
            central_tendency=central_tendency,
        ).fit(frame, y)
    except (RatingInputError, ValueError) as exc:
        fail(str(exc))
    out.write_text(
        model.to_json(
            target=target,
            bad_value=bad_value,
            data_file=data.name,
            data_sha256=_sha256(data),
            n_rows=frame.height,
        ),
        "utf-8",
    )
    summary = {
        "model": str(out),
        "selected": model.selected_,
        "dropped": model.dropped_,
        "binning_report": model.binning_process_.report_,
        "train": model.train_metrics_,
    }
    if as_json:
        emit_json(summary)
        return
    m = model.train_metrics_
    typer.echo(
        f"fitted on {m['n']} rows ({m['bads']} bad): {len(model.selected_)} features, "
        f"AUC {m['auc']:.4f}, Gini {m['gini']:.4f}, KS {m['ks']:.4f} -> {out}"
    )
    for r in model.binning_process_.report_:
        typer.echo(f"  binning {r['feature']}: {r['status']} {r['message']}")


@rating_app.command("score")
def score(
    model: Path = typer.Option(..., "--model", help="Model JSON from `rating fit`."),
    data: Path = typer.Option(..., "--data", help="Rows to score, .csv or .parquet."),
    out: Path = typer.Option(..., "--out", help="Output .csv or .parquet."),
) -> None:
    """Score every row: columns score, pd, grade, reason_1..n, in input order."""
    import polars as pl

    from techfin.rating._frame import RatingInputError

    sc = _load_model(model)
    frame = _read(data)
    try:
        cols = sc.rate(frame)
    except (RatingInputError, ValueError) as exc:
        fail(str(exc))
    result = pl.DataFrame({k: (v.astype(str) if v.dtype == object else v) for k, v in cols.items()})
    _write(result, out)
    typer.echo(f"scored {result.height} rows -> {out}")


@rating_app.command("report")
def report(
    model: Path = typer.Option(..., "--model", help="Model JSON from `rating fit`."),
    data: Path = typer.Option(..., "--data", help="Validation data, .csv or .parquet."),
    out: Path = typer.Option(..., "--out", help="HTML report to write."),
    target: str | None = typer.Option(
        None, "--target", help="Target column (default: the one the model was fitted on)."
    ),
) -> None:
    """Validation report (AUC/Gini, KS, PSI, CSI, calibration per grade) as one HTML file."""
    from techfin.rating._frame import RatingInputError
    from techfin.rating.report import render_report
    from techfin.rating.target import encode_target

    sc = _load_model(model)
    frame = _read(data)
    meta = getattr(sc, "metadata_", {})
    tcol = target or meta.get("target")
    y = None
    if tcol and tcol in frame.columns:
        try:
            y = encode_target(frame[tcol], bad_value=meta.get("bad_value"))
        except RatingInputError as exc:
            fail(str(exc))
    try:
        html = render_report(sc, frame, y, title=f"Scorecard validation: {data.name}")
    except (RatingInputError, ValueError) as exc:
        fail(str(exc))
    out.write_text(html, "utf-8")
    typer.echo(f"report -> {out}" + ("" if y is not None else " (no target: stability only)"))


@rating_app.command("expert")
def expert(
    data: Path = typer.Option(..., "--data", help="One row per enterprise, feature columns."),
    out: Path = typer.Option(..., "--out", help="Output .csv or .parquet."),
    stage: str | None = typer.Option(None, "--stage", help="startup / growth / mature."),
) -> None:
    """Expert tech-flow scorecard (T1 best … T10) for every row."""
    import polars as pl

    from techfin.credit.grade_policy import grade_levers
    from techfin.rating.expert import rate_expert

    frame = _read(data)
    rows = []
    for i, rec in enumerate(frame.iter_rows(named=True)):
        try:
            st = stage or rec.get("stage") or None
            r = rate_expert(rec, st)
        except ValueError as exc:
            fail(f"row {i + 1}: {exc}")
        rows.append(
            {
                "score": r.score,
                "grade": r.grade,
                "stage": r.stage,
                "reasons_up": ";".join(x.feature for x in r.reasons_up),
                "reasons_down": ";".join(x.feature for x in r.reasons_down),
                "knockouts": ";".join(r.knockouts),
                "approval_route": grade_levers(r.grade).approval_route,
                "rule_version": r.rule_version,
            }
        )
    _write(pl.DataFrame(rows), out)
    typer.echo(f"rated {len(rows)} enterprises -> {out}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(rating_app, name="rating")
