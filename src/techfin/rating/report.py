"""Validation report of a scorecard as one self-contained HTML file.

Charts are inline SVG (no JavaScript, no CDN: the file opens on a closed bank network and
can be archived with the model). Sections: discrimination (AUC, Gini, KS, ROC curve, score
distributions), stability (PSI of the score against training, CSI per feature), calibration
per grade (binomial test, Hosmer–Lemeshow), the scorecard itself and the binning report.
Without a target column only the stability sections are shown.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from techfin.rating.validation import auc, binomial_tests, hosmer_lemeshow, ks, psi, roc_points

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:2rem auto;max-width:1100px;color:#1f2933;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccd;}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
td,th{border:1px solid #d5d9e0;padding:.2rem .5rem;text-align:right}
th{background:#f1f3f7}td.l,th.l{text-align:left}
.kpi{display:inline-block;margin:.3rem 1.2rem .3rem 0;font-size:1.1rem}
.kpi b{font-size:1.4rem}.warn{color:#b42318}.ok{color:#067647}.muted{color:#667085}
svg{background:#fff;border:1px solid #e4e7ec;margin:.3rem .6rem .3rem 0}
"""


def _e(v: Any) -> str:
    return html.escape(str(v))


def _fmt(v: Any, nd: int = 4) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if v != v:
            return "–"
        return f"{v:.{nd}f}"
    return _e(v)


def svg_lines(
    series: Sequence[tuple[str, Sequence[float], Sequence[float], str]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    width: int = 420,
    height: int = 300,
    diagonal: bool = False,
) -> str:
    """A small line chart: series of (name, xs, ys, colour)."""
    m = 40
    xs_all = np.concatenate([np.asarray(s[1], float) for s in series])
    ys_all = np.concatenate([np.asarray(s[2], float) for s in series])
    x0, x1 = float(np.nanmin(xs_all)), float(np.nanmax(xs_all))
    y0, y1 = min(0.0, float(np.nanmin(ys_all))), float(np.nanmax(ys_all))
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1

    def px(x: float) -> float:
        return m + (x - x0) / (x1 - x0) * (width - 2 * m)

    def py(y: float) -> float:
        return height - m - (y - y0) / (y1 - y0) * (height - 2 * m)

    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13">{_e(title)}</text>',
        f'<line x1="{m}" y1="{height - m}" x2="{width - m}" y2="{height - m}" stroke="#999"/>',
        f'<line x1="{m}" y1="{m}" x2="{m}" y2="{height - m}" stroke="#999"/>',
        f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle" font-size="11">'
        f"{_e(xlabel)}</text>",
        f'<text x="12" y="{height / 2}" font-size="11" transform="rotate(-90 12 {height / 2})" '
        f'text-anchor="middle">{_e(ylabel)}</text>',
    ]
    for t in np.linspace(0, 1, 5):
        xv, yv = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        parts.append(
            f'<text x="{px(xv):.1f}" y="{height - m + 14}" font-size="9" text-anchor="middle">'
            f"{xv:.3g}</text>"
        )
        parts.append(
            f'<text x="{m - 4}" y="{py(yv) + 3:.1f}" font-size="9" text-anchor="end">'
            f"{yv:.3g}</text>"
        )
    if diagonal:
        parts.append(
            f'<line x1="{px(x0):.1f}" y1="{py(y0):.1f}" x2="{px(x1):.1f}" y2="{py(y1):.1f}" '
            'stroke="#bbb" stroke-dasharray="4 3"/>'
        )
    for k, (name, xs, ys, colour) in enumerate(series):
        pts = " ".join(
            f"{px(float(a)):.1f},{py(float(b)):.1f}" for a, b in zip(xs, ys, strict=True)
        )
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/>')
        parts.append(
            f'<text x="{width - m - 4}" y="{m + 14 * k}" font-size="11" fill="{colour}" '
            f'text-anchor="end">{_e(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def svg_bars(
    labels: Sequence[str],
    groups: Sequence[tuple[str, Sequence[float], str]],
    *,
    title: str,
    ylabel: str,
    width: int = 520,
    height: int = 300,
    threshold: float | None = None,
) -> str:
    """Grouped bar chart: groups of (name, values per label, colour)."""
    m, mb = 48, 60
    vals = np.asarray([v for g in groups for v in g[1]], float)
    vals = vals[np.isfinite(vals)]
    top = float(vals.max()) if vals.size else 1.0
    if threshold is not None:
        top = max(top, threshold)
    top = top if top > 0 else 1.0
    n = max(len(labels), 1)
    slot = (width - 2 * m) / n
    bw = slot * 0.8 / max(len(groups), 1)
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13">{_e(title)}</text>',
        f'<line x1="{m}" y1="{height - mb}" x2="{width - m}" y2="{height - mb}" stroke="#999"/>',
        f'<text x="12" y="{height / 2}" font-size="11" transform="rotate(-90 12 {height / 2})" '
        f'text-anchor="middle">{_e(ylabel)}</text>',
        f'<text x="{m - 4}" y="{m + 3}" font-size="9" text-anchor="end">{top:.3g}</text>',
    ]
    h = height - mb - m
    for i, lab in enumerate(labels):
        for gi, (_, values, colour) in enumerate(groups):
            v = float(values[i])
            if not np.isfinite(v):
                continue
            bh = max(v, 0.0) / top * h
            x = m + i * slot + slot * 0.1 + gi * bw
            parts.append(
                f'<rect x="{x:.1f}" y="{height - mb - bh:.1f}" width="{bw:.1f}" '
                f'height="{bh:.1f}" fill="{colour}"><title>{_e(lab)}: {v:.4g}</title></rect>'
            )
        cx = m + (i + 0.5) * slot
        parts.append(
            f'<text x="{cx:.1f}" y="{height - mb + 12}" font-size="9" text-anchor="end" '
            f'transform="rotate(-40 {cx:.1f} {height - mb + 12})">{_e(lab[:22])}</text>'
        )
    if threshold is not None:
        ty = height - mb - threshold / top * h
        parts.append(
            f'<line x1="{m}" y1="{ty:.1f}" x2="{width - m}" y2="{ty:.1f}" stroke="#b42318" '
            'stroke-dasharray="4 3"/>'
        )
    for gi, (name, _, colour) in enumerate(groups):
        parts.append(
            f'<text x="{m + 90 * gi}" y="34" font-size="11" fill="{colour}">{_e(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], left: int = 1) -> str:
    th = "".join(
        f'<th class="{"l" if i < left else ""}">{_e(h)}</th>' for i, h in enumerate(header)
    )
    body = []
    for r in rows:
        tds = "".join(
            f'<td class="{"l" if i < left else ""}">{c if isinstance(c, _Raw) else _fmt(c)}</td>'
            for i, c in enumerate(r)
        )
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Raw(str):
    """Already-escaped HTML for a table cell."""


def report_data(model: Any, X: Any, y: np.ndarray | None) -> dict[str, Any]:
    """All figures the report shows, as plain data (also used by tests and the API)."""
    idx = model._indices(X)
    score = model._score_from_idx(idx)
    pd = model._pd_from_score(score)
    grade = model.master_scale_.grade_of(pd)
    out: dict[str, Any] = {"n": len(score)}
    edges = np.asarray(model.score_edges_)
    counts = np.bincount(np.searchsorted(edges, score, side="right"), minlength=len(edges) + 1)
    out["psi"] = psi(model.score_counts_, counts)
    out["psi_bands"] = {"expected": list(model.score_counts_), "actual": counts.tolist()}
    csi = []
    for k, b in enumerate(model.score_binnings_):
        actual = np.bincount(idx[:, k], minlength=len(b.count))
        csi.append({"feature": b.name, "csi": psi(b.count, actual)})
    out["csi"] = csi
    if y is not None:
        yy = np.asarray(y, dtype=np.float64)
        out["auc"] = auc(yy, -score)
        out["gini"] = 2 * out["auc"] - 1
        out["ks"] = ks(yy, -score)
        fpr, tpr = roc_points(yy, -score)
        out["roc"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist()}
        cal = model.calibration_
        tests = binomial_tests([c.grade for c in cal], [c.pd for c in cal], grade, yy)
        out["grades"] = [vars(t) for t in tests]
        stat, df, p = hosmer_lemeshow(
            [t.n for t in tests], [t.defaults for t in tests], [t.pd for t in tests]
        )
        out["hosmer_lemeshow"] = {"statistic": stat, "df": df, "p_value": p}
        lo, hi = float(score.min()), float(score.max())
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 21)
        hb = np.histogram(score[yy == 1], bins)[0]
        hg = np.histogram(score[yy == 0], bins)[0]
        out["score_hist"] = {
            "centres": ((bins[1:] + bins[:-1]) / 2).tolist(),
            "bad": (hb / max(hb.sum(), 1)).tolist(),
            "good": (hg / max(hg.sum(), 1)).tolist(),
        }
    return out


def render_report(model: Any, X: Any, y: np.ndarray | None, title: str = "Scorecard") -> str:
    d = report_data(model, X, y)
    meta = getattr(model, "metadata_", {})
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>",
        '<p class="muted">',
        f"{d['n']} rows scored; model features: {_e(', '.join(model.selected_))}. ",
        f"Training: {_e(meta.get('data_file', '?'))} "
        f"(sha256 {_e(str(meta.get('data_sha256', '?'))[:12])}…), "
        f"master scale {_e(model.master_scale_.id)} v{_e(model.master_scale_.version)}.",
        "</p>",
    ]
    if "auc" in d:
        parts.append("<h2>Discrimination</h2>")
        tm = model.train_metrics_
        for k in ("auc", "gini", "ks"):
            parts.append(
                f'<span class="kpi">{k.upper()} <b>{d[k]:.4f}</b> '
                f'<span class="muted">(train {tm[k]:.4f})</span></span>'
            )
        parts.append("<div>")
        parts.append(
            svg_lines(
                [("ROC", d["roc"]["fpr"], d["roc"]["tpr"], "#1570ef")],
                title=f"ROC curve (AUC {d['auc']:.3f})",
                xlabel="false positive rate (goods)",
                ylabel="true positive rate (bads)",
                diagonal=True,
            )
        )
        h = d["score_hist"]
        parts.append(
            svg_lines(
                [
                    ("goods", h["centres"], h["good"], "#067647"),
                    ("bads", h["centres"], h["bad"], "#b42318"),
                ],
                title="Score distribution",
                xlabel="score",
                ylabel="share of class",
            )
        )
        parts.append("</div>")
    parts.append("<h2>Stability</h2>")
    cls = "ok" if d["psi"] < 0.1 else "warn"
    parts.append(
        f'<span class="kpi">Score PSI <b class="{cls}">{d["psi"]:.4f}</b></span> '
        '<span class="muted">(&lt; 0.10 stable, 0.10–0.25 watch, &gt; 0.25 shifted)</span>'
    )
    labels = [f"band {i + 1}" for i in range(len(d["psi_bands"]["expected"]))]
    e = np.asarray(d["psi_bands"]["expected"], float)
    a = np.asarray(d["psi_bands"]["actual"], float)
    parts.append("<div>")
    parts.append(
        svg_bars(
            labels,
            [
                ("training", (e / max(e.sum(), 1)).tolist(), "#98a2b3"),
                ("this data", (a / max(a.sum(), 1)).tolist(), "#1570ef"),
            ],
            title="Score bands (training deciles)",
            ylabel="share",
        )
    )
    parts.append(
        svg_bars(
            [c["feature"] for c in d["csi"]],
            [("CSI", [c["csi"] for c in d["csi"]], "#7a5af8")],
            title="Characteristic stability (CSI) per feature",
            ylabel="CSI",
            threshold=0.1,
        )
    )
    parts.append("</div>")
    parts.append(_table(["feature", "CSI"], [[c["feature"], c["csi"]] for c in d["csi"]]))
    if "grades" in d:
        parts.append("<h2>Calibration per grade</h2>")
        hl = d["hosmer_lemeshow"]
        parts.append(
            f"<p>Hosmer–Lemeshow χ² = {hl['statistic']:.3f}, df {hl['df']}, "
            f'p = {hl["p_value"]:.4f}. Binomial test: one-sided, H0 "the grade PD is not '
            'too low"; p &lt; 0.05 flags the grade.</p>'
        )
        rows = []
        for g in d["grades"]:
            verdict = g["verdict"]
            css = "warn" if verdict == "PD too low" else "ok"
            rows.append(
                [
                    g["grade"],
                    g["n"],
                    g["defaults"],
                    g["observed_dr"],
                    g["pd"],
                    g["p_value"],
                    _Raw(f'<span class="{css}">{_e(verdict)}</span>'),
                ]
            )
        parts.append(
            _table(["grade", "rows", "defaults", "observed DR", "grade PD", "p-value", ""], rows)
        )
        shown = [g for g in d["grades"] if g["n"]]
        parts.append(
            svg_bars(
                [g["grade"] for g in shown],
                [
                    ("observed DR", [g["observed_dr"] for g in shown], "#b42318"),
                    ("grade PD", [g["pd"] for g in shown], "#1570ef"),
                ],
                title="Observed default rate vs grade PD",
                ylabel="default rate",
            )
        )
    parts.append("<h2>Scorecard</h2>")
    parts.append(
        f'<p class="muted">Base points {model.base_points_:.2f}; PDO {model.pdo}, '
        f"{model.base_odds}:1 odds at {model.base_score} points.</p>"
    )
    parts.append(
        _table(
            ["feature", "bin", "rows", "event rate", "WoE", "points"],
            [
                [r["feature"], r["bin"], r["count"], r["event_rate"], r["woe"], r["points"]]
                for r in model.table()
            ],
            left=2,
        )
    )
    rep = model.binning_process_.report_
    dropped = model.dropped_
    if rep or dropped:
        parts.append("<h2>Binning and selection report</h2>")
        if rep:
            parts.append(
                _table(
                    ["feature", "status", "message"],
                    [[r["feature"], r["status"], r["message"]] for r in rep],
                    left=3,
                )
            )
        if dropped:
            parts.append(
                _table(
                    ["feature", "dropped because"],
                    [[r["feature"], r["reason"]] for r in dropped],
                    2,
                )
            )
    parts.append("</body></html>")
    return "".join(parts)
