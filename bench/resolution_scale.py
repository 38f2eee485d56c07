"""Entity-resolution throughput at scale (issue 3 item 6).

Builds a registry of N enterprises with `techfin.synth` and M uncoded records with the
evaluation generator's variants (`techfin.enterprises.resolution_eval`), then times each stage
of `techfin.enterprises.resolution.resolve` — name parsing, splink training (u sampling and
two EM sessions, each sampled to `em_max_pairs`), blocking and scoring — and the USCC join of
M coded records (5 % of them corrupted). Prints records/s per stage and precision/recall
against the known truth. DuckDB works in memory; nothing is written to disk but DuckDB's
spill files (bounded by its temp directory).

    .venv/bin/python bench/resolution_scale.py --registry 200000 --records 200000
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import date

import numpy as np
import polars as pl

from techfin.enterprises.resolution import join_by_uscc, resolve
from techfin.enterprises.resolution_eval import make_eval_set, score


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", type=int, default=200_000)
    ap.add_argument("--records", type=int, default=None)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the USCC join timing")
    args = ap.parse_args()
    import os

    print(f"cpus={os.cpu_count()} cpu={_cpu()} date={date.today()}")
    t = time.perf_counter()
    es = make_eval_set(args.seed, args.registry, records=args.records)
    t_gen = time.perf_counter() - t
    n_reg, n_rec = es.registry.height, es.records.height
    print(f"generated registry={n_reg:,} records={n_rec:,} in {t_gen:.1f}s")

    t = time.perf_counter()
    res = resolve(es.registry, es.records)
    t_res = time.perf_counter() - t
    s = score(res, es)
    print(
        f"resolve (parse + train + block + score): {t_res:.1f}s = {n_rec / t_res:,.0f} records/s; "
        f"scored pairs {res.stats['scored_pairs']:,}; EM failures {len(res.stats['em_failures'])}"
    )
    secs = res.stats["seconds"]
    print(
        f"  stages: prepare names {secs['prepare']:.1f}s ({res.stats['registry_names']:,} registry "
        f"names + {res.stats['record_parts']:,} record parts), splink train + block + score "
        f"{secs['splink']:.1f}s, bands {secs['bands']:.1f}s"
    )
    print(
        f"precision={s.precision:.4f} recall={s.recall:.4f} auto={s.auto_merged:,} "
        f"review={s.review:,} linkable={s.linkable:,}"
    )
    truth = es.truth
    linkable = truth.filter(pl.col("enterprise_id").is_not_null()).height
    cand = res.candidates.join(truth, on=["record_key", "part"], how="left")
    for threshold in (0.5, 0.8, 0.9, 0.95):
        auto = cand.filter(pl.col("exclusive_probability") >= threshold)
        tp = auto.filter(pl.col("enterprise_id") == pl.col("enterprise_id_right")).height
        print(
            f"  at exclusive probability >= {threshold}: auto-merged {auto.height:,}, "
            f"precision {tp / max(auto.height, 1):.4f}, recall {tp / linkable:.4f}"
        )
    t = time.perf_counter()
    again = resolve(es.registry, es.records, model=res.model)
    t_scored = time.perf_counter() - t
    print(
        f"resolve with a saved model (parse + block + score): {t_scored:.1f}s = "
        f"{n_rec / t_scored:,.0f} records/s ({again.candidates.height:,} candidates)"
    )

    # USCC join: every record carries its enterprise's code, 5 % corrupted in one character.
    rng = np.random.default_rng(args.seed)
    codes = es.registry.get_column("uscc").to_list()
    picks = rng.integers(0, len(codes), n_rec)
    coded = [codes[i] for i in picks.tolist()]
    for i in np.flatnonzero(rng.random(n_rec) < 0.05).tolist():
        c = coded[i]
        coded[i] = c[:17] + ("0" if c[17] != "0" else "1")
    records = pl.DataFrame({"record_key": [str(i) for i in range(n_rec)], "uscc": coded})
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        joined = join_by_uscc(records, es.registry)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    print(
        f"uscc join: {n_rec:,} coded records, median {med:.2f}s = {n_rec / med:,.0f} records/s; "
        f"joined {joined.matched.height:,} ({joined.join_rate:.1%}), invalid "
        f"{joined.invalid.height:,}, unknown {joined.unknown.height:,}"
    )


if __name__ == "__main__":
    main()
