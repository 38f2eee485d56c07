"""Hub at scale (issue 3 item 6): validate 1,000,000 registry records and resolve 1,000,000
records of each other source (latest annual or quarterly aggregates) by credit code, then
build the profiles — from Parquet, within a bounded disk budget. Reports records/s (medians of
repeats) for validation, resolution and profile build, and the per-record path (the ingest
service's row validation) on a sample, with the ratio.

    .venv/bin/python bench/hub_batch.py --enterprises 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from techfin.batch import hub
from techfin.enterprises import sources
from techfin.services.ingest import reason_kind  # noqa: F401  (same reason wording)

TODAY = dt.date(2026, 11, 27)


def dirty(codes: pl.Series, seed: int) -> pl.Series:
    """1 % wrong check character, 0.5 % lowercase, 0.2 % codes of no registered enterprise."""
    rng = np.random.default_rng(seed)
    values = codes.to_list()
    n = len(values)
    for i in rng.choice(n, n // 100, replace=False):
        c = values[i]
        values[i] = c[:-1] + ("0" if c[-1] != "0" else "1")
    for i in rng.choice(n, n // 200, replace=False):
        values[i] = values[i].lower()
    for i in rng.choice(n, n // 500, replace=False):
        values[i] = "91110000600037341L"  # valid, but not in the generated registry
    return pl.Series(codes.name, values, dtype=pl.String)


def prepare(work: Path, enterprises: int, seed: int) -> tuple[Path, dict[str, Path]]:
    world = work / "world.parquet"
    if not world.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "techfin",
                "synth",
                "--seed",
                str(seed),
                "--enterprises",
                str(enterprises),
                "--out",
                str(world),
                "--jobs",
                "2",
                "--json",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    registry = pl.read_parquet(world).rename({"enterprise_id": "enterprise_key"})
    registry = registry.with_columns(dirty(registry["uscc"], seed))
    registry_path = work / "in_registry.parquet"
    registry.write_parquet(registry_path)
    codes = pl.read_parquet(world, columns=["enterprise_id", "uscc"])
    paths: dict[str, Path] = {}
    for name in ("financials", "social_security", "tax", "utilities", "customs", "credit_register"):
        frame = pl.read_parquet(world.with_name(f"world.{name}.parquet"))
        if "quarter" in frame.columns:  # latest quarter per enterprise
            frame = frame.sort("year", "quarter").group_by("enterprise_id").tail(1)
        elif name == "financials":
            frame = frame.sort("year").group_by("enterprise_id").tail(1)
        frame = frame.join(codes, on="enterprise_id").drop("enterprise_id")
        frame = frame.with_columns(dirty(frame["uscc"], seed + len(name)))
        paths[name] = work / f"in_{name}.parquet"
        frame.write_parquet(paths[name])
    return registry_path, paths


def timed(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--work", type=Path, default=Path("var/bench-hub"))
    parser.add_argument("--sample", type=int, default=20_000)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    registry_path, paths = prepare(args.work, args.enterprises, args.seed)
    disk = sum(p.stat().st_size for p in args.work.iterdir())
    raw = pl.read_parquet(registry_path)
    t_validate, (registry, rcheck) = timed(lambda: hub.validate_registry(raw, TODAY), args.repeats)
    rows = {
        "registry": {
            "records": raw.height,
            "seconds": t_validate,
            "records_per_s": raw.height / t_validate,
            **rcheck.to_dict(),
        }
    }
    resolved = {}
    for name, path in paths.items():
        frame = pl.read_parquet(path)
        t, (joined, check) = timed(
            lambda frame=frame, name=name: hub.resolve_by_code(registry, frame, name), args.repeats
        )
        resolved[name] = joined
        rows[name] = {
            "records": frame.height,
            "seconds": t,
            "records_per_s": frame.height / t,
            **check.to_dict(),
        }
    t_profile, profiles = timed(
        lambda: hub.build_profiles(registry, resolved, "enterprise_key"), args.repeats
    )
    total_source = sum(r["records"] for n, r in rows.items() if n != "registry")
    # the per-record path: the ingest service's row validation on a sample of the registry
    sample = raw.head(args.sample).to_dicts()
    source = sources.get("registry")
    for record in sample:
        record["as_of"] = TODAY
    start = time.perf_counter()
    for record in sample:
        sources.validate_row(source, record, TODAY)
    per_record = len(sample) / (time.perf_counter() - start)
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "date": dt.date.today().isoformat(),
        },
        "enterprises": args.enterprises,
        "disk_bytes": disk,
        "stages": {
            k: {kk: (round(vv, 3) if isinstance(vv, float) else vv) for kk, vv in v.items()}
            for k, v in rows.items()
        },
        "profile_build": {
            "enterprises": profiles.height,
            "seconds": round(t_profile, 3),
            "source_records_per_s": round(total_source / t_profile),
        },
        "per_record_registry_validation_per_s": round(per_record),
        "kernel_vs_per_record": round(rows["registry"]["records_per_s"] / per_record, 1),
    }
    print(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    if os.environ.get("HUB_BENCH_CLEAN") == "1":
        shutil.rmtree(args.work)


if __name__ == "__main__":
    main()
