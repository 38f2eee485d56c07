"""A labelled evaluation set for entity resolution, with known truth (issue 3 item 3).

`make_eval_set(seed, enterprises)` takes a registry from `techfin.synth`, keeps most of it as
the registry the resolver sees and holds the rest out (firms the registry does not hold), then
writes uncoded records the way patent offices, investors and transfer contracts spell names:

- the exact current name; 有限公司 ↔ 有限责任公司, a dropped 股份; full-width letters and
  brackets with ideographic spaces; the place dropped, written with 省/市, or put in brackets;
- a branch suffix (…有限公司北京分公司);
- the former name (曾用名) on a record dated before the change; the English name;
- a typo: one brand character replaced by a homophone (睿 → 瑞, 芯 → 新), or a character
  left out after the brand (精密机床 → 精机床);
- co-applicant fields joining the firm with a university, an inventor or a second firm;
- hard negatives: held-out firms, and the same brand and industry word in a city where the
  registry has no such firm (the name differs from a registry firm only by its place).

`truth` gives, per (record_key, part), the enterprise_id the part names (null when the part
names no registry enterprise). `score` computes precision and recall at the auto-merge
threshold. The mix of variants is a *guess* (data-realism.md lists no public figure); it is
set in `VARIANT_WEIGHTS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

__all__ = ["VARIANT_WEIGHTS", "EvalScore", "EvalSet", "make_eval_set", "score"]

#: Share of each variant among positive records (guess; sums to 1).
VARIANT_WEIGHTS: dict[str, float] = {
    "exact": 0.12,
    "legal_form": 0.12,
    "full_width": 0.08,
    "place": 0.12,
    "branch": 0.10,
    "former_name": 0.10,
    "english_name": 0.08,
    "typo": 0.10,
    "dropped_char": 0.03,
    "co_applicants": 0.15,
}
_HOLDOUT_SHARE = 0.1
_NEGATIVE_SHARE = 0.15  # negatives per positive record
_UNIVERSITIES = ("清华大学", "浙江大学", "华中科技大学", "中国科学院计算技术研究所", "深圳大学")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
_FW = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}
_PROVINCE_OF_CITY = {
    "深圳": "广东省",
    "广州": "广东省",
    "东莞": "广东省",
    "佛山": "广东省",
    "珠海": "广东省",
    "南京": "江苏省",
    "苏州": "江苏省",
    "无锡": "江苏省",
    "常州": "江苏省",
    "杭州": "浙江省",
    "宁波": "浙江省",
    "嘉兴": "浙江省",
    "合肥": "安徽省",
    "芜湖": "安徽省",
    "成都": "四川省",
    "绵阳": "四川省",
    "武汉": "湖北省",
    "襄阳": "湖北省",
    "济南": "山东省",
    "青岛": "山东省",
    "烟台": "山东省",
    "长沙": "湖南省",
    "株洲": "湖南省",
    "郑州": "河南省",
    "洛阳": "河南省",
    "西安": "陕西省",
    "福州": "福建省",
    "厦门": "福建省",
}


@dataclass(frozen=True)
class EvalSet:
    """`registry` (what the resolver sees), `records` (record_key, name, area_code,
    address, record_date, role, variant) and `truth` (record_key, part, enterprise_id)."""

    registry: pl.DataFrame
    records: pl.DataFrame
    truth: pl.DataFrame


@dataclass(frozen=True)
class EvalScore:
    """Precision and recall of the auto-merge decisions against the truth."""

    precision: float
    recall: float
    auto_merged: int
    true_positives: int
    linkable: int
    review: int
    by_variant: dict[str, dict[str, float]]


def _homophones(lexicon: dict[str, Any]) -> dict[str, list[str]]:
    by_pinyin: dict[str, list[str]] = {}
    for ch, py in lexicon["brand_chars"]:
        by_pinyin.setdefault(py, []).append(ch)
    return {ch: [c for c in group if c != ch] for group in by_pinyin.values() for ch in group}


def make_eval_set(
    seed: int,
    enterprises: int = 2_000,
    *,
    records: int | None = None,
    as_of: date = date(2026, 6, 30),
) -> EvalSet:
    """Build a registry and labelled uncoded records from a synthetic world (deterministic)."""
    import techfin.synth as synth

    params = synth.load_params()
    frames: list[pl.DataFrame] = [
        pl.DataFrame(pl.from_arrow(b.tables["enterprises"]))
        for b in synth.generate(seed, enterprises, as_of=as_of)
        if "enterprises" in b.tables
    ]
    ent = pl.concat(frames)
    rng = np.random.default_rng([seed, 8000])
    held = rng.random(ent.height) < _HOLDOUT_SHARE
    registry = ent.filter(~pl.Series(held)).select(
        "enterprise_id",
        "uscc",
        "name",
        "former_name",
        "former_name_until",
        "name_en",
        "area_code",
        "city",
        "industry_code",
        "registered_on",
    )
    homophones = _homophones(params.lexicon)
    in_registry = ent.filter(~pl.Series(held)).to_dicts()
    held_out = ent.filter(pl.Series(held)).to_dicts()
    n_pos = records if records is not None else len(in_registry)
    registry_cores = {(r["city"], _core_of(r["name"])) for r in in_registry}
    registry_keys = {_key_of(r["name"]) for r in in_registry}
    cities = sorted({r["city"] for r in in_registry})

    kinds = list(VARIANT_WEIGHTS)
    weights = np.array([VARIANT_WEIGHTS[k] for k in kinds])
    rec_rows: list[dict[str, Any]] = []
    truth_rows: list[dict[str, Any]] = []
    as_of_ord = as_of.toordinal()

    def add(
        key: str,
        name: str,
        variant: str,
        truth: list[int | None],
        e: dict[str, Any] | None,
        when: date | None,
    ) -> None:
        area = e["area_code"] if e is not None and rng.random() < 0.5 else None
        rec_rows.append(
            {
                "record_key": key,
                "name": name,
                "area_code": area,
                "record_date": when,
                "role": ["patent_applicant", "patent_owner", "investee", "transferee"][
                    int(rng.integers(0, 4))
                ],
                "variant": variant,
            }
        )
        for part, eid in enumerate(truth):
            truth_rows.append({"record_key": key, "part": part, "enterprise_id": eid})

    def when_after(e: dict[str, Any]) -> date:
        start = e["registered_on"].toordinal()
        return date.fromordinal(int(rng.integers(start, max(start + 1, as_of_ord))))

    picks = rng.choice(len(in_registry), size=n_pos, replace=n_pos > len(in_registry))
    for i, idx in enumerate(picks.tolist()):
        e = in_registry[idx]
        eid = int(e["enterprise_id"])
        key = f"r{i:06d}"
        variant = kinds[int(rng.choice(len(kinds), p=weights))]
        name: str = e["name"]
        if variant == "former_name" and not e["former_name"]:
            variant = "legal_form"
        if variant == "english_name" and not e["name_en"]:
            variant = "full_width"
        when = when_after(e)
        if variant == "legal_form":
            if name.endswith("股份有限公司"):
                name = name.removesuffix("股份有限公司") + "有限公司"
            else:
                name = name.removesuffix("有限公司") + "有限责任公司"
        elif variant == "full_width":
            city = e["city"]
            body = name.removeprefix(city + "市").removeprefix(city)
            name = "".join(_FW.get(c, c) for c in f"{city}市 ") + body
            name = name.replace("有限公司", "有限公司\u3000") if rng.random() < 0.3 else name
        elif variant == "place":
            city = e["city"]
            body = name.removeprefix(city + "市").removeprefix(city)
            choice = int(rng.integers(0, 3))
            if choice == 0 and city in _PROVINCE_OF_CITY:
                name = _PROVINCE_OF_CITY[city] + city + "市" + body
            elif choice == 1 and body.endswith("有限公司"):
                stem = body.removesuffix("股份有限公司").removesuffix("有限公司")
                suffix = body[len(stem) :]
                name = f"{stem}（{city}）{suffix}"
            else:
                name = body  # place dropped: only the record's area (if any) says where
                if rec_area_forced := e["area_code"]:
                    add(key, name, variant, [eid], None, when)
                    rec_rows[-1]["area_code"] = rec_area_forced
                    continue
        elif variant == "branch":
            branch_city = cities[int(rng.integers(0, len(cities)))]
            name = name + branch_city + "分公司"
        elif variant == "former_name":
            name = e["former_name"]
            until = e["former_name_until"]
            start = e["registered_on"].toordinal()
            when = date.fromordinal(int(rng.integers(start, max(start + 1, until.toordinal()))))
        elif variant == "english_name":
            name = e["name_en"]
            if rng.random() < 0.3:
                name = name.upper()
        elif variant == "typo":
            city = e["city"]
            body = name.removeprefix(city + "市").removeprefix(city)
            prefix = name[: len(name) - len(body)]
            pos = int(rng.integers(0, 2))
            alts = homophones.get(body[pos], [])
            if alts:
                body = body[:pos] + alts[int(rng.integers(0, len(alts)))] + body[pos + 1 :]
            name = prefix + body
        elif variant == "dropped_char":
            # a character left out after the brand (漏字): 达弘精密机床 → 达弘精机床
            core = _core_of(name)
            at = name.find(core)
            if len(core) > 3 and at >= 0:
                pos = at + int(rng.integers(2, len(core)))
                name = name[:pos] + name[pos + 1 :]
        elif variant == "co_applicants":
            sep = ["；", ";", "、", "，"][int(rng.integers(0, 4))]
            others: list[tuple[str, int | None]] = []
            choice = int(rng.integers(0, 3))
            if choice == 0:
                others.append((_UNIVERSITIES[int(rng.integers(0, len(_UNIVERSITIES)))], None))
            elif choice == 1:
                person = _SURNAMES[int(rng.integers(0, len(_SURNAMES)))] + "".join(
                    _GIVEN[int(j)] for j in rng.integers(0, len(_GIVEN), int(rng.integers(1, 3)))
                )
                others.append((person, None))
            else:
                f = in_registry[int(rng.integers(0, len(in_registry)))]
                others.append((f["name"], int(f["enterprise_id"])))
            if choice == 2:
                start = max(e["registered_on"], f["registered_on"]).toordinal()
                when = date.fromordinal(int(rng.integers(start, max(start + 1, as_of_ord))))
            members = [(name, eid), *others]
            if rng.random() < 0.5:
                members.reverse()
            add(
                key,
                sep.join(m for m, _ in members),
                variant,
                [t for _, t in members],
                e if members[0][1] == eid else None,
                when,
            )
            continue
        add(key, name, variant, [eid], e, when)

    # Hard negatives: held-out firms, and registry brands moved to another city.
    n_neg = round(n_pos * _NEGATIVE_SHARE)
    for j in range(n_neg):
        key = f"n{j:06d}"
        if held_out and j % 2 == 0:
            e = held_out[int(rng.integers(0, len(held_out)))]
            # A held-out firm whose very name a registry firm bears is not a distinct firm
            # (names are unique within a registration authority): the synthetic lexicon can
            # repeat a name, real registries cannot.
            if _key_of(e["name"]) not in registry_keys:
                add(key, e["name"], "held_out", [None], e, when_after(e))
            continue
        e = in_registry[int(rng.integers(0, len(in_registry)))]
        core = _core_of(e["name"])
        other = [c for c in cities if c != e["city"] and (c, core) not in registry_cores]
        if not other:
            continue
        city = other[int(rng.integers(0, len(other)))]
        body = e["name"].removeprefix(e["city"] + "市").removeprefix(e["city"])
        name = city + ("" if city in ("北京", "天津", "上海", "重庆") else "市") + body
        add(key, name, "other_city", [None], None, when_after(e))

    records_df = pl.DataFrame(
        rec_rows,
        schema={
            "record_key": pl.String,
            "name": pl.String,
            "area_code": pl.String,
            "record_date": pl.Date,
            "role": pl.String,
            "variant": pl.String,
        },
        orient="row",
    )
    truth_df = pl.DataFrame(
        truth_rows,
        schema={"record_key": pl.String, "part": pl.Int64, "enterprise_id": pl.Int64},
        orient="row",
    )
    return EvalSet(registry=registry, records=records_df, truth=truth_df)


def _key_of(name: str) -> tuple[str | None, str, str | None]:
    from techfin.enterprises.names import parse_name

    p = parse_name(name)
    return p.city, p.core, p.legal_form


def _core_of(name: str) -> str:
    from techfin.enterprises.names import parse_name

    return parse_name(name).core


def score(resolution: Any, eval_set: EvalSet) -> EvalScore:
    """Precision and recall of `resolution`'s auto-merge decisions on `eval_set`.

    precision = true auto-merges / auto-merges; recall = true auto-merges / record parts
    that name a registry enterprise.
    """
    auto = resolution.auto_merged().select("record_key", "part", "enterprise_id")
    truth = eval_set.truth
    linkable = truth.filter(pl.col("enterprise_id").is_not_null())
    hits = auto.join(truth, on=["record_key", "part", "enterprise_id"], how="inner")
    review = (
        resolution.candidates.filter(pl.col("band") == "review")
        .select("record_key", "part")
        .unique()
        .height
    )
    variants = eval_set.records.select("record_key", "variant")
    by_variant: dict[str, dict[str, float]] = {}
    for (variant,), grp in linkable.join(variants, on="record_key").group_by(
        "variant", maintain_order=True
    ):
        found = grp.join(auto, on=["record_key", "part", "enterprise_id"], how="inner").height
        by_variant[str(variant)] = {"parts": grp.height, "recall": found / grp.height}
    wrong = (
        auto.join(truth, on=["record_key", "part"], how="left")
        .filter(
            pl.col("enterprise_id_right").is_null()
            | (pl.col("enterprise_id") != pl.col("enterprise_id_right"))
        )
        .join(variants, on="record_key")
    )
    for (variant,), grp in wrong.group_by("variant", maintain_order=True):
        by_variant.setdefault(str(variant), {"parts": 0, "recall": float("nan")})
        by_variant[str(variant)]["false_merges"] = grp.height
    n_auto = auto.height
    return EvalScore(
        precision=hits.height / n_auto if n_auto else 1.0,
        recall=hits.height / linkable.height if linkable.height else 1.0,
        auto_merged=n_auto,
        true_positives=hits.height,
        linkable=linkable.height,
        review=review,
        by_variant=by_variant,
    )
