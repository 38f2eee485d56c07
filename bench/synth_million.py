"""Benchmark: stream one million synthetic enterprises to Parquet (time and peak memory).

    .venv/bin/python bench/synth_million.py [--enterprises N] [--jobs 1,2] [--demo-repeat 5]

Each configuration runs in a fresh child process (so its peak RSS is its own) and writes to a
temporary directory that is deleted afterwards. Also times the demo-sized world (3,000
enterprises, in memory, no Parquet) as the platform's demo loader uses it. There is no peer
library that generates this kind of data, so the figures are absolute; the comparison is
between worker counts.
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
import tempfile
import time
from datetime import date
from pathlib import Path

AS_OF = date(2026, 9, 30)


def _child(enterprises: int, jobs: int, out_dir: str) -> None:
    from techfin.synth.parallel import generate_parallel
    from techfin.synth.parquet import table_path, write_batches

    out = Path(out_dir) / "world.parquet"
    start = time.perf_counter()
    counts = write_batches(
        generate_parallel(1, enterprises, as_of=AS_OF, jobs=jobs), out, metadata={"seed": "1"}
    )
    seconds = time.perf_counter() - start
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    size = sum(table_path(out, n).stat().st_size for n in counts)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": self_kb / 1024,
                "peak_worker_rss_mb": child_kb / 1024,
                "bytes": size,
                "rows": counts,
            }
        )
    )


def _demo(repeat: int) -> list[float]:
    import techfin.synth as synth

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        batches = list(synth.generate(42, 3_000, as_of=AS_OF))
        rows = sum(t.num_rows for b in batches for t in b.tables.values())
        times.append(time.perf_counter() - start)
    print(f"demo world: 3,000 enterprises, {rows:,} rows in all tables")
    return times


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--demo-repeat", type=int, default=5)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(int(args.child[0]), int(args.child[1]), args.child[2])
        return

    print(f"date {date.today().isoformat()}  nproc {os.cpu_count()}  cpu {_cpu()}")
    print(f"load average at start: {os.getloadavg()}")
    demo = _demo(args.demo_repeat)
    print(
        f"demo world generation: median {statistics.median(demo):.2f} s "
        f"(min {min(demo):.2f}, max {max(demo):.2f}, n={len(demo)})"
    )
    results = {}
    for jobs in (int(j) for j in args.jobs.split(",")):
        with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(args.enterprises), str(jobs), tmp],
                check=True,
                capture_output=True,
                text=True,
            )
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results[jobs] = r
        rate = args.enterprises / r["seconds"]
        print(
            f"jobs={jobs}: {args.enterprises:,} enterprises in {r['seconds']:.1f} s "
            f"({rate:,.0f} enterprises/s), peak RSS main {r['peak_rss_mb']:.0f} MB, "
            f"largest worker {r['peak_worker_rss_mb']:.0f} MB, Parquet {r['bytes'] / 1e9:.2f} GB"
        )
    first = next(iter(results.values()))
    print("rows per table:")
    for name, n in first["rows"].items():
        print(f"  {name:18s} {n:>14,d}")
    if len(results) > 1:
        base = results[min(results)]["seconds"]
        for jobs, r in results.items():
            print(f"ratio jobs={jobs} / jobs={min(results)}: {r['seconds'] / base:.2f}")


if __name__ == "__main__":
    main()
