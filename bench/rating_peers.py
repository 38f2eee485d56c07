"""techfin.rating against optbinning, toad and scorecardpy: same data, same folds, one run.

    .venv/bin/python bench/rating_peers.py [--rows 1000000] [--folds 5] [--only german]

For each data set the parent writes one Parquet file with a ``_fold`` column (stratified
5-fold, seed 0), then runs every tool in its own process (peak memory is per process):

* techfin: ``techfin.rating.Scorecard`` (its binning + Newton logistic regression), with
  ``min_iv=0`` so that, like the peers, it keeps every feature (no selection);
* optbinning: ``BinningProcess`` + ``Scorecard`` (sklearn ``LogisticRegression``);
* toad: ``Combiner`` (decision-tree binning, min 5 % per bin) + ``WOETransformer`` +
  ``ScoreCard``;
* scorecardpy: ``woebin`` (tree) + ``woebin_ply`` + sklearn ``LogisticRegression`` +
  ``scorecard`` / ``scorecard_ply``, run by the Python of a separate pandas<3 venv
  (``/tmp/scpy-venv``; override with ``$SCORECARDPY_PYTHON``) because scorecardpy does not
  run on pandas 3. If that venv is missing or the tool fails, the failure is recorded.

"Fit" is binning + logistic regression, no stepwise, for every tool. Reported per tool:
mean and per-fold test AUC, median fit seconds over the folds, scoring rows/s (the fold-0
model scoring the whole data set, median of 3), and peak RSS (whole process, data included)
plus peak minus RSS after loading the data.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("RATING_BENCH_DIR", "/tmp/rating_bench"))
TARGET = "bad"
TOOLS = ["techfin", "optbinning", "toad", "scorecardpy"]
SCPY_PYTHON = os.environ.get("SCORECARDPY_PYTHON", "/tmp/scpy-venv/bin/python")
SPECIALS = {"synthetic": {"num_00": [-999.0]}, "german": {}}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------- workers


def _load(path: str):  # type: ignore[no-untyped-def]
    import pandas as pd

    d = pd.read_parquet(path)
    folds = d.pop("_fold").to_numpy()
    y = d.pop(TARGET).to_numpy().astype(int)
    cats = [
        c
        for c in d.columns
        if d[c].dtype == object or str(d[c].dtype) in ("category", "str", "string")
    ]
    return d, y, folds, cats


def _techfin(X, y, cats, specials):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(HERE.parent / "src"))
    from techfin.rating.scorecard import Scorecard

    def fit(Xt, yt):  # type: ignore[no-untyped-def]
        return Scorecard(min_iv=0.0, special_values=specials or None).fit(Xt, yt)

    def proba(m, Xs):  # type: ignore[no-untyped-def]
        return m.predict_proba(Xs)[:, 1]

    return fit, proba


def _optbinning(X, y, cats, specials):  # type: ignore[no-untyped-def]
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    def fit(Xt, yt):  # type: ignore[no-untyped-def]
        params = {k: {"special_codes": v} for k, v in specials.items()}
        bp = BinningProcess(
            list(Xt.columns), categorical_variables=cats, binning_fit_params=params or None
        )
        sc = Scorecard(
            binning_process=bp,
            estimator=LogisticRegression(max_iter=1000),
            scaling_method="pdo_odds",
            scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
        )
        return sc.fit(Xt, yt)

    def proba(m, Xs):  # type: ignore[no-untyped-def]
        return m.predict_proba(Xs)[:, 1]

    return fit, proba


def _toad(X, y, cats, specials):  # type: ignore[no-untyped-def]
    import toad

    def fit(Xt, yt):  # type: ignore[no-untyped-def]
        Xt = Xt.copy()
        for c in cats:
            Xt[c] = Xt[c].astype(object)
        Xt[TARGET] = yt
        comb = toad.transform.Combiner()
        comb.fit(Xt, y=TARGET, method="dt", min_samples=0.05, empty_separate=True)
        binned = comb.transform(Xt)
        woe = toad.transform.WOETransformer()
        Xw = woe.fit_transform(binned, binned[TARGET], exclude=[TARGET])
        card = toad.ScoreCard(combiner=comb, transer=woe, pdo=20, base_odds=50, base_score=600)
        card.fit(Xw.drop(columns=[TARGET]), yt)
        return card

    def proba(m, Xs):  # type: ignore[no-untyped-def]
        Xs = Xs.copy()
        for c in cats:
            Xs[c] = Xs[c].astype(object)
        return -m.predict(Xs)  # score: higher = safer

    return fit, proba


def _scorecardpy(X, y, cats, specials):  # type: ignore[no-untyped-def]
    import numpy as np
    import scorecardpy as sc
    from sklearn.linear_model import LogisticRegression

    def fit(Xt, yt):  # type: ignore[no-untyped-def]
        dt = Xt.copy()
        for c in cats:
            dt[c] = dt[c].astype(object)
        dt[TARGET] = yt
        # check_cate_num=False: otherwise woebin stops at input() to ask whether a category
        # column with more than 50 levels should be binned (cat_5 has 60)
        bins = sc.woebin(
            dt,
            y=TARGET,
            special_values=specials or None,
            method="tree",
            print_step=0,
            check_cate_num=False,
        )
        w = sc.woebin_ply(dt, bins, print_step=0)
        cols = [c for c in w.columns if c.endswith("_woe")]
        lr = LogisticRegression(max_iter=1000).fit(w[cols], yt)
        card = sc.scorecard(bins, lr, cols, points0=600, odds0=1 / 50, pdo=20)
        return card

    def proba(m, Xs):  # type: ignore[no-untyped-def]
        dt = Xs.copy()
        for c in cats:
            dt[c] = dt[c].astype(object)
        s = sc.scorecard_ply(dt, m, only_total_score=True, print_step=0)
        return -np.asarray(s["score"], dtype=float)

    return fit, proba


def worker(tool: str, path: str, dataset: str, max_folds: int) -> None:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    X, y, folds, cats = _load(path)
    base = rss_mb()
    specials = SPECIALS[dataset]
    fit, proba = {
        "techfin": _techfin,
        "optbinning": _optbinning,
        "toad": _toad,
        "scorecardpy": _scorecardpy,
    }[tool](X, y, cats, specials)
    aucs, fits = [], []
    first = None
    for k in sorted(set(folds.tolist()))[:max_folds]:
        tr, te = folds != k, folds == k
        Xt, Xs = X[tr].reset_index(drop=True), X[te].reset_index(drop=True)
        t0 = time.perf_counter()
        model = fit(Xt, y[tr])
        fits.append(time.perf_counter() - t0)
        aucs.append(float(roc_auc_score(y[te], proba(model, Xs))))
        if first is None:
            first = model
        del Xt, Xs
    # scoring: at least 3 repetitions and at least 2 s in total; the median is reported
    times: list[float] = []
    while len(times) < 3 or sum(times) < 2.0:
        t0 = time.perf_counter()
        p = proba(first, X)
        times.append(time.perf_counter() - t0)
    assert len(p) == len(X) and np.isfinite(np.asarray(p, dtype=float)).all()
    sec = statistics.median(times)
    out = {
        "tool": tool,
        "dataset": dataset,
        "rows": len(X),
        "auc_mean": float(np.mean(aucs)),
        "aucs": aucs,
        "fit_s_median": statistics.median(fits),
        "fits": fits,
        "score_s": sec,
        "score_reps": len(times),
        "folds_run": len(aucs),
        "score_rows_per_s": len(X) / sec,
        "peak_rss_mb": rss_mb(),
        "data_rss_mb": base,
    }
    print("RESULT " + json.dumps(out), flush=True)


# --------------------------------------------------------------------------- parent


def prepare(rows: int, folds: int, only: str | None) -> dict[str, Path]:
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    sys.path.insert(0, str(HERE))
    from rating_data import german, synthetic

    WORK.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    makers = {"german": german, "synthetic": lambda: synthetic(rows)}
    for name, make in makers.items():
        if only and name != only:
            continue
        path = WORK / (f"{name}.parquet" if name == "german" else f"synthetic_{rows}.parquet")
        if not path.exists():
            d = make()
            f = np.zeros(len(d), dtype=np.int8)
            skf = StratifiedKFold(folds, shuffle=True, random_state=0)
            for k, (_, te) in enumerate(skf.split(np.zeros(len(d)), d[TARGET])):
                f[te] = k
            d["_fold"] = f
            d.to_parquet(path)
        out[name] = path
    return out


def run_tool(
    tool: str, path: Path, dataset: str, timeout: int, max_folds: int
) -> dict[str, object]:
    python = SCPY_PYTHON if tool == "scorecardpy" else sys.executable
    if tool == "scorecardpy" and not Path(python).exists():
        return {"tool": tool, "dataset": dataset, "error": f"{python} not found"}
    cmd = [python, str(Path(__file__).resolve()), "--worker", tool, str(path), dataset]
    cmd += ["--max-folds", str(max_folds)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"tool": tool, "dataset": dataset, "error": f"timed out after {timeout} s"}
    for line in res.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]))
    err = (res.stderr.strip().splitlines() or ["no output"])[-1]
    return {"tool": tool, "dataset": dataset, "error": err[:300]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--only", choices=["german", "synthetic"])
    ap.add_argument("--tools", nargs="*", default=TOOLS)
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument("--json-out", type=Path, default=WORK / "results.json")
    ap.add_argument("--max-folds", type=int, default=99, help="run only the first N folds")
    ap.add_argument("--worker", nargs=3, metavar=("TOOL", "PATH", "DATASET"))
    a = ap.parse_args()
    if a.worker:
        worker(*a.worker, max_folds=a.max_folds)
        return
    paths = prepare(a.rows, a.folds, a.only)
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}, CPU {cpu}, "
        f"load average at start {' '.join(load)}"
    )
    results = []
    for dataset, path in paths.items():
        for tool in a.tools:
            r = run_tool(tool, path, dataset, a.timeout, a.max_folds)
            results.append(r)
            if "error" in r:
                print(f"{dataset:10s} {tool:12s} FAILED: {r['error']}", flush=True)
            else:
                print(
                    f"{dataset:10s} {tool:12s} AUC {r['auc_mean']:.4f}"
                    f"  fit {r['fit_s_median']:8.2f} s"
                    f"  score {r['score_rows_per_s']:12,.0f} rows/s"
                    f"  peak {r['peak_rss_mb']:7.0f} MB (data {r['data_rss_mb']:.0f} MB)"
                    f"  folds {r['folds_run']}  load {Path('/proc/loadavg').read_text()[:14]}",
                    flush=True,
                )
    a.json_out.parent.mkdir(parents=True, exist_ok=True)
    a.json_out.write_text(json.dumps(results, indent=1))
    print("\n| data | tool | mean 5-fold AUC | fit s (median) | score rows/s | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['dataset']} | {r['tool']} | failed: {r['error']} | | | |")
        else:
            print(
                f"| {r['dataset']} | {r['tool']} | {r['auc_mean']:.4f} | {r['fit_s_median']:.2f} "
                f"| {r['score_rows_per_s']:,.0f} | {r['peak_rss_mb']:.0f} |"
            )
    for dataset in paths:
        ok = {r["tool"]: r for r in results if r["dataset"] == dataset and "error" not in r}
        if "techfin" not in ok:
            continue
        t = ok["techfin"]
        peers = {k: v for k, v in ok.items() if k != "techfin"}
        if not peers:
            continue
        best_auc = max(v["auc_mean"] for v in peers.values())
        best_rate = max(v["score_rows_per_s"] for v in peers.values())
        best_mem = min(v["peak_rss_mb"] for v in peers.values())
        print(
            f"\n{dataset}: AUC techfin − best peer = {t['auc_mean'] - best_auc:+.4f}"
            " (target ≥ −0.01)"
        )
        if "optbinning" in ok:
            print(
                "  fit speed-up vs optbinning: "
                f"{ok['optbinning']['fit_s_median'] / t['fit_s_median']:.1f}× (target ≥ 3)"
            )
        print(f"  scoring vs best peer: {t['score_rows_per_s'] / best_rate:.1f}× (target ≥ 5)")
        print(f"  peak memory techfin / best peer: {t['peak_rss_mb'] / best_mem:.2f} (target ≤ 1)")


if __name__ == "__main__":
    main()
