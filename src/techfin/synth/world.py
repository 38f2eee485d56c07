"""The fixed part of the synthetic world: institutions, branches, users and experts.

It depends on the seed only (people's names), not on the number of enterprises. Users carry
plain-text demo passwords (`world.password_pattern` in params.yaml); whoever loads them must
hash them (the platform's loader does, with argon2).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from techfin.synth._arrow import strings_from_matrix
from techfin.synth.identifiers import uscc_matrix
from techfin.synth.params import Params
from techfin.synth.schema import table

FEN_PER_WAN = 1_000_000


def person_names(rng: np.random.Generator, lex: dict[str, object], n: int) -> list[str]:
    surnames = list(lex["surnames"])  # type: ignore[call-overload]
    given = list(lex["given_chars"])  # type: ignore[call-overload]
    s = rng.integers(0, len(surnames), n)
    g1 = rng.integers(0, len(given), n)
    g2 = rng.integers(0, len(given), n)
    two = rng.random(n) < 0.7
    return [surnames[s[i]] + given[g1[i]] + (given[g2[i]] if two[i] else "") for i in range(n)]


def _user(
    rows: list[dict[str, object]],
    username: str,
    role: str,
    name: str,
    pattern: str,
    institution: str | None = None,
    branch: str | None = None,
    enterprise_uscc: str | None = None,
    expert: str | None = None,
) -> None:
    rows.append(
        {
            "username": username,
            "password": pattern.format(username=username),
            "role": role,
            "display_name": name,
            "institution_code": institution,
            "branch_code": branch,
            "enterprise_uscc": enterprise_uscc,
            "expert_code": expert,
        }
    )


def build_world(params: Params, seed: int) -> dict[str, pa.Table]:
    """Institutions, branches, users and experts for `seed`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x3017D]))
    lex = params.lexicon
    w = params["world"]
    pattern = str(w["password_pattern"])
    counts = {
        "bank": w["banks"],
        "insurer": w["insurers"],
        "guarantor": w["guarantors"],
        "government_fund": w["government_funds"],
        "regulator": 1,
        "valuation_agency": w["valuation_agencies"],
        "investor": w["investors"],
    }
    names = iter(person_names(rng, lex, 400))

    inst_rows: list[dict[str, object]] = []
    for kind, count in counts.items():
        for code, name, name_en in lex["institutions"][kind][:count]:
            inst_rows.append({"code": code, "name": name, "name_en": name_en, "kind": kind})
    cities = lex["bank_branch_cities"]
    for i, row in enumerate(inst_rows):
        city = cities[i % len(cities)]
        row["province_code"] = city[1]
        row["area_code"] = city[2]
    # institutions' organisation codes come from [10000000, 20000000), which enterprises never use
    bodies = np.frombuffer(
        "".join(f"{10_000_000 + 7919 * (i + 1):08d}" for i in range(len(inst_rows))).encode(),
        dtype=np.uint8,
    ).reshape(len(inst_rows), 8)
    areas = np.array([int(r["area_code"]) for r in inst_rows])  # type: ignore[call-overload]
    usccs = strings_from_matrix(uscc_matrix(areas, bodies)).to_pylist()
    for row, code in zip(inst_rows, usccs, strict=True):
        row["uscc"] = code

    limits = w["delegated_limit"]
    branch_rows: list[dict[str, object]] = []
    users: list[dict[str, object]] = []
    for bank_i, inst in enumerate(r for r in inst_rows if r["kind"] == "bank"):
        code = str(inst["code"])
        short = code.split("-")[1].lower()
        bank_name = str(inst["name"])
        head = f"{code}-HO"
        branch_rows.append(
            {
                "code": head,
                "institution_code": code,
                "name": f"{bank_name}总行",
                "kind": "head_office",
                "parent_code": None,
                "province_code": inst["province_code"],
                "area_code": inst["area_code"],
                "delegated_limit_fen": limits["head_office"] * FEN_PER_WAN,
            }
        )
        for role in ("admin", "risk_manager", "approver", "reviewer"):
            _user(users, f"{short}.{role}", role, next(names), pattern, code, head)
        for b in range(w["branches_per_bank"]):
            city = cities[(bank_i * 2 + b) % len(cities)]
            bcode = f"{code}-{b + 1:02d}"
            branch_rows.append(
                {
                    "code": bcode,
                    "institution_code": code,
                    "name": f"{bank_name}{city[0]}分行",
                    "kind": "branch",
                    "parent_code": head,
                    "province_code": city[1],
                    "area_code": city[2],
                    "delegated_limit_fen": limits["branch"] * FEN_PER_WAN,
                }
            )
            for role in ("reviewer", "approver", "risk_manager"):
                _user(users, f"{short}.{role}.{b + 1}", role, next(names), pattern, code, bcode)
            for t in range(w["tech_subbranches_per_branch"]):
                tcode = f"{bcode}-T{t + 1}"
                branch_rows.append(
                    {
                        "code": tcode,
                        "institution_code": code,
                        "name": f"{bank_name}{city[0]}科技支行{'' if t == 0 else t + 1}",
                        "kind": "tech_subbranch",
                        "parent_code": bcode,
                        "province_code": city[1],
                        "area_code": city[2],
                        "delegated_limit_fen": limits["tech_subbranch"] * FEN_PER_WAN,
                    }
                )
                for k in range(2):
                    _user(
                        users,
                        f"{short}.am.{b + 1}{t + 1}.{k + 1}",
                        "account_manager",
                        next(names),
                        pattern,
                        code,
                        tcode,
                    )

    role_sets = {
        "insurer": ("admin", "underwriter", "underwriter", "risk_manager"),
        "guarantor": ("admin", "underwriter", "risk_manager"),
        "government_fund": ("admin", "risk_manager"),
        "regulator": ("admin", "regulator", "regulator"),
        "valuation_agency": ("admin",),
        "investor": ("admin",),
    }
    for inst in inst_rows:
        kind = str(inst["kind"])
        if kind == "bank":
            continue
        seen: dict[str, int] = {}
        for role in role_sets[kind]:
            seen[role] = seen.get(role, 0) + 1
            suffix = "" if seen[role] == 1 else f".{seen[role]}"
            _user(
                users,
                f"{str(inst['code']).lower()}.{role}{suffix}",
                role,
                next(names),
                pattern,
                str(inst["code"]),
            )

    experts: list[dict[str, object]] = []
    agencies = [r for r in inst_rows if r["kind"] == "valuation_agency"]
    tech_fields = list(lex["tech_fields"])
    ip_fields = list(lex["ip_fields"])
    universities = list(lex["universities"])
    titles = ["教授", "研究员", "高级工程师", "副教授", "正高级工程师"]
    ip_titles = ["专利代理师", "资产评估师", "律师"]
    for kind, count in (("tech", w["tech_experts"]), ("ip", w["ip_experts"])):
        for i in range(count):
            code = f"EXP-{'T' if kind == 'tech' else 'P'}{i + 1:03d}"
            pool = tech_fields if kind == "tech" else ip_fields
            k = int(rng.integers(1, 4))
            chosen = sorted(
                int(x) for x in rng.choice(len(pool), size=min(k, len(pool)), replace=False)
            )
            if kind == "ip" and rng.random() < 0.6:
                agency = agencies[int(rng.integers(0, len(agencies)))]
                employer, inst_code = str(agency["name"]), str(agency["code"])
            else:
                employer, inst_code = universities[int(rng.integers(0, len(universities)))], None
            experts.append(
                {
                    "code": code,
                    "name": next(names),
                    "kind": kind,
                    "fields": [pool[j] for j in chosen],
                    "employer": employer,
                    "institution_code": inst_code,
                    "title": (titles if kind == "tech" else ip_titles)[
                        int(rng.integers(0, 5 if kind == "tech" else 3))
                    ],
                    "years_experience": int(rng.integers(5, 36)),
                }
            )
    for e in experts[:4] + experts[w["tech_experts"] : w["tech_experts"] + 2]:
        _user(
            users,
            f"expert.{str(e['code']).lower()}",
            "expert",
            str(e["name"]),
            pattern,
            None if e["institution_code"] is None else str(e["institution_code"]),
            None,
            None,
            str(e["code"]),
        )

    def cols(rows: list[dict[str, object]], name: str) -> pa.Table:
        from techfin.synth.schema import SCHEMAS

        return table(
            name,
            {
                f: pa.array([r.get(f) for r in rows], type=SCHEMAS[name].field(f).type)
                for f in SCHEMAS[name].names
            },
        )

    return {
        "institutions": cols(inst_rows, "institutions"),
        "branches": cols(branch_rows, "branches"),
        "users": cols(users, "users"),
        "experts": cols(experts, "experts"),
    }
