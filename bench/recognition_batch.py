"""Benchmark: recognition over many enterprises — the vectorised kernel
(techfin.batch.recognition) against the per-enterprise API (techfin.recognition), same data.

Usage: .venv/bin/python bench/recognition_batch.py [--rows 1000000] [--api-rows 5000]
       [--repeats 3]

Prints enterprises/s (median of the repeats) for both paths and their ratio, and checks
that the two agree on the API sample. Rule sets: SME size, tech SME, HNTE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time

import pyarrow.parquet as pq

from techfin.batch import recognition as br

AS_OF = dt.date(2026, 6, 30)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--api-rows", type=int, default=5_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(
        f"date {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}  nproc {os.cpu_count()}"
        f"  cpu {cpu_model()}  python {platform.python_version()}"
    )
    t0 = time.perf_counter()
    table = br.sample_table(args.rows, seed=1, as_of=AS_OF)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "enterprises.parquet")
        pq.write_table(table, path)
        size_mb = os.path.getsize(path) / 1e6
        kernel_times = []
        kernel_cpu = []
        parquet_times = []
        for _ in range(args.repeats):
            t, c = time.perf_counter(), time.process_time()
            out = br.evaluate_table(table, as_of=AS_OF)
            kernel_times.append(time.perf_counter() - t)
            kernel_cpu.append(time.process_time() - c)
            t = time.perf_counter()
            br.evaluate_parquet(path, as_of=AS_OF)
            parquet_times.append(time.perf_counter() - t)
    sample = table.slice(0, args.api_rows)
    api_times = []
    api_cpu = []
    for _ in range(args.repeats):
        t, c = time.perf_counter(), time.process_time()
        ref = br.reference(sample, as_of=AS_OF)
        api_times.append(time.perf_counter() - t)
        api_cpu.append(time.process_time() - c)
    kernel_rows = out.slice(0, args.api_rows).to_pylist()
    disagree = sum(
        1 for k, a in zip(kernel_rows, ref, strict=True) for key, v in a.items() if k.get(key) != v
    )
    k_rate = args.rows / statistics.median(kernel_times)
    p_rate = args.rows / statistics.median(parquet_times)
    a_rate = args.api_rows / statistics.median(api_times)
    print(
        f"kernel (Arrow in memory): {k_rate:,.0f} enterprises/s  "
        f"(median {statistics.median(kernel_times):.2f} s over {args.rows:,} rows)"
    )
    print(f"kernel (from Parquet, {size_mb:.0f} MB): {p_rate:,.0f} enterprises/s")
    print(
        f"API, one enterprise at a time: {a_rate:,.0f} enterprises/s  "
        f"(median {statistics.median(api_times):.2f} s over {args.api_rows:,} rows)"
    )
    k_cpu = args.rows / statistics.median(kernel_cpu)
    a_cpu = args.api_rows / statistics.median(api_cpu)
    print(
        f"per CPU-second (process time, robust to other load): kernel {k_cpu:,.0f}/s, "
        f"API {a_cpu:,.0f}/s"
    )
    print(f"ratio kernel / API: {k_rate / a_rate:,.0f}x wall, {k_cpu / a_cpu:,.0f}x CPU")
    print(
        f"rule sets: {', '.join(br.default_rule_sets(AS_OF))}; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"disagreements on the API sample: {disagree}")


if __name__ == "__main__":
    main()
