"""Credit-code validation: techfin vs python-stdnum's `stdnum.cn.uscc`, on the same codes.

Run: .venv/bin/python bench/codes_uscc.py [--n 1000000] [--repeat 3] [--seed 7]

Generates N codes (valid and corrupted mixes, letters in the organisation code, registrar Y,
lowercase, full-width, 17/19 characters, excluded letters, broken embedded org checks), then
times on exactly the same list:

- techfin `uscc.validate_many(list)` (NumPy kernel),
- techfin `uscc.validate_many(pyarrow.array)` (reads the Arrow buffer directly),
- techfin `uscc.is_valid` one code at a time (the explaining path),
- `stdnum.cn.uscc.is_valid` one code at a time,

and prints median codes/s, ratios, and every class of disagreement with its count and the
reason (see docs/benchmarks/codes.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable

import numpy as np
import pyarrow as pa
from stdnum.cn import uscc as stdnum_uscc

from techfin.codes import uscc

ALPHABET = uscc.ALPHABET
PROVINCES = ["11", "12", "31", "32", "33", "35", "37", "42", "44", "51", "61"]

# category → share of the generated codes
MIX = {
    "valid_numeric_org": 0.38,
    "valid_letters_in_org": 0.20,
    "valid_registrar_letter": 0.05,
    "valid_entity_type_letter": 0.01,
    "valid_lowercase": 0.05,
    "valid_fullwidth": 0.02,
    "valid_spaces_hyphens": 0.03,
    "wrong_check_character": 0.10,
    "broken_org_check_recomputed_check": 0.05,
    "excluded_letter": 0.05,
    "length_17": 0.03,
    "length_19": 0.02,
    "letter_in_area_code": 0.01,
}

EXPLAIN = {
    (
        "valid_registrar_letter",
        "techfin valid, stdnum invalid",
    ): "stdnum requires the first 8 characters to be digits; GB 32100 allows letter registrars"
    " (Y other, A military, N agriculture) — the known pitfall in official-rules §1",
    (
        "valid_entity_type_letter",
        "techfin valid, stdnum invalid",
    ): "same stdnum rule: a letter in position 2 is in the alphabet; techfin accepts it (with a"
    " warning when the type is not in its registrar table)",
    (
        "valid_fullwidth",
        "techfin valid, stdnum invalid",
    ): "stdnum folds full-width digits but not full-width letters, so a full-width code with a"
    " letter fails it; techfin folds both (and says so). Full-width codes of digits only pass"
    " both",
    (
        "broken_org_check_recomputed_check",
        "techfin invalid, stdnum valid",
    ): "stdnum does not check the embedded GB 11714 organisation code; techfin does (positions"
    " 9-17), so a code whose org check is wrong but whose mod-31 check was recomputed passes"
    " stdnum",
}


def _org_check(body: str) -> str:
    return uscc.org_check_character(body)


def generate(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    names = list(MIX)
    weights = [MIX[k] for k in names]
    cats = rng.choices(names, weights=weights, k=n)
    digits = "0123456789"
    codes: list[str] = []
    for cat in cats:
        area = rng.choice(PROVINCES) + "".join(rng.choices(digits, k=4))
        registrar, entity = "9", rng.choice("123")
        if cat == "valid_letters_in_org":
            body = "MA" + "".join(rng.choices(ALPHABET, k=6))
        else:
            body = "".join(rng.choices(digits, k=8))
        if cat == "valid_registrar_letter":
            registrar, entity = rng.choice("YAN"), "1"
        if cat == "valid_entity_type_letter":
            entity = rng.choice("ABCDEFGH")
        code = uscc.build(registrar, entity, area, body)
        if cat == "valid_lowercase":
            code = code.lower()
        elif cat == "valid_fullwidth":
            code = code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
        elif cat == "valid_spaces_hyphens":
            code = f" {code[:2]}-{code[2:8]} {code[8:]}"
        elif cat == "wrong_check_character":
            code = code[:17] + rng.choice([c for c in ALPHABET if c != code[17]])
        elif cat == "broken_org_check_recomputed_check":
            org_check = code[16]
            wrong = rng.choice([c for c in "0123456789X" if c != org_check])
            first17 = code[:16] + wrong
            code = first17 + uscc.check_character(first17)
        elif cat == "excluded_letter":
            pos = rng.randrange(8, 18)
            code = code[:pos] + rng.choice("IOZSV") + code[pos + 1 :]
        elif cat == "length_17":
            code = code[:17]
        elif cat == "length_19":
            code = code + rng.choice(ALPHABET)
        elif cat == "letter_in_area_code":
            pos = rng.randrange(2, 8)
            first17 = code[:pos] + rng.choice("ABCDEFGH") + code[pos + 1 : 17]
            code = first17 + uscc.check_character(first17)
        codes.append(code)
    return codes, cats


def timeit(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import stdnum

    print(f"# codes_uscc benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"CPU: {cpu_model()}; nproc={os.cpu_count()}; Python {platform.python_version()};")
    print(f"numpy {np.__version__}; pyarrow {pa.__version__}; python-stdnum {stdnum.__version__}")
    print("load average at start (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    t0 = time.perf_counter()
    codes, cats = generate(args.n, args.seed)
    print(f"generated {len(codes):,} codes in {time.perf_counter() - t0:.1f} s (seed {args.seed})")
    arrow = pa.array(codes)

    runs = {
        "techfin validate_many(list)": lambda: uscc.validate_many(codes).valid,
        "techfin validate_many(arrow)": lambda: uscc.validate_many(arrow).valid,
        "techfin is_valid per code": lambda: np.fromiter(
            map(uscc.is_valid, codes), dtype=np.bool_, count=len(codes)
        ),
        "stdnum cn.uscc.is_valid per code": lambda: np.fromiter(
            map(stdnum_uscc.is_valid, codes), dtype=np.bool_, count=len(codes)
        ),
    }
    results: dict[str, np.ndarray] = {}
    timings: dict[str, float] = {}
    for name, fn in runs.items():
        seconds, valid = timeit(fn, args.repeat)
        timings[name] = seconds
        results[name] = np.asarray(valid)
    # The same comparison on clean rows only (18 ASCII characters, no normalisation needed):
    # the kernel's own speed, without the per-row Python folding of dirty rows.
    clean = [c for c in codes if len(c) == 18 and c.isascii() and c == c.upper()][:200_000]
    clean_arrow = pa.array(clean)
    for name, fn in {
        "techfin validate_many(list), clean rows": lambda: uscc.validate_many(clean).valid,
        "techfin validate_many(arrow), clean rows": lambda: uscc.validate_many(clean_arrow).valid,
        "stdnum cn.uscc.is_valid, clean rows": lambda: np.fromiter(
            map(stdnum_uscc.is_valid, clean), dtype=np.bool_, count=len(clean)
        ),
    }.items():
        timings[name], _ = timeit(fn, args.repeat)
    sizes = {name: len(clean) if "clean rows" in name else len(codes) for name in timings}
    base = timings["stdnum cn.uscc.is_valid per code"]
    clean_base = timings["stdnum cn.uscc.is_valid, clean rows"]
    print()
    print(f"| implementation (codes) | median s ({args.repeat} runs) | codes/s | speed vs stdnum |")
    print("|---|---:|---:|---:|")
    for name, seconds in timings.items():
        rate = sizes[name] / seconds
        ref = clean_base if "clean rows" in name else base
        print(f"| {name} ({sizes[name]:,}) | {seconds:.3f} | {rate:,.0f} | {ref / seconds:.1f}x |")

    ours = results["techfin validate_many(list)"]
    for name in ("techfin validate_many(arrow)", "techfin is_valid per code"):
        assert (results[name] == ours).all(), f"{name} disagrees with validate_many(list)"
    theirs = results["stdnum cn.uscc.is_valid per code"]
    print()
    print("techfin paths agree with each other on every code.")
    print(f"valid: techfin {int(ours.sum()):,}; stdnum {int(theirs.sum()):,}")
    classes: Counter[tuple[str, str]] = Counter()
    for cat, a, b in zip(cats, ours.tolist(), theirs.tolist(), strict=True):
        if a != b:
            classes[
                (cat, "techfin valid, stdnum invalid" if a else "techfin invalid, stdnum valid")
            ] += 1
    print()
    print("| disagreement (generated category) | direction | codes | why |")
    print("|---|---|---:|---|")
    for (cat, direction), count in sorted(classes.items(), key=lambda kv: -kv[1]):
        why = EXPLAIN.get((cat, direction), "UNEXPLAINED — investigate")
        print(f"| {cat} | {direction} | {count:,} | {why} |")
    if not classes:
        print("| (none) | | 0 | |")
    agree = Counter(
        cat for cat, a, b in zip(cats, ours.tolist(), theirs.tolist(), strict=True) if a == b
    )
    print()
    print(
        "categories where both agree: " + ", ".join(f"{k} {v:,}" for k, v in sorted(agree.items()))
    )


if __name__ == "__main__":
    main()
