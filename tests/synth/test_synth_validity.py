"""Every generated identifier is valid, checked against the codes engineer's functions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any as World

import polars as pl

from techfin.codes import industry, patent, uscc
from techfin.recognition.size import classify
from techfin.synth import fen_to_yuan


def test_every_credit_code_passes_the_reference_check(world: World) -> None:
    codes = (
        world.tables["enterprises"].column("uscc").to_pylist()
        + world.tables["institutions"].column("uscc").to_pylist()
    )
    for code in codes:
        assert uscc.check_character(code[:17]) == code[17], code
        assert uscc.org_check_character(code[8:16]) == code[16], code
    bulk = uscc.validate_many(codes)
    assert bulk.valid_count == len(codes), bulk.reason_counts()
    assert len(set(codes)) == len(codes)


def test_codes_after_the_2015_reform_carry_ma_organisation_codes(world: World) -> None:
    ent = world.df("enterprises")
    new = ent.filter(pl.col("registered_on") >= pl.date(2015, 10, 1))
    old = ent.filter(pl.col("registered_on") < pl.date(2015, 10, 1))
    assert new.height > 0 and old.height > 0
    assert new["uscc"].str.slice(8, 2).eq("MA").all()
    assert old["uscc"].str.slice(8, 8).str.contains(r"^\d{8}$").all()
    # positions 3–8 are the enterprise's area code
    assert (ent["uscc"].str.slice(2, 6) == ent["area_code"]).all()


def test_conflict_codes_match_the_enterprise(world: World) -> None:
    ent = world.df("enterprises").select("enterprise_id", "uscc")
    conf = world.df("expert_conflicts")
    assert conf.height > 0
    joined = conf.join(ent, on="enterprise_id", suffix="_ent")
    assert joined.height == conf.height
    assert (joined["uscc"] == joined["uscc_ent"]).all()


def test_every_patent_number_is_valid_and_unique(world: World) -> None:
    numbers = world.tables["patents"].column("application_no").to_pylist()
    assert len(numbers) > 100_000
    assert len(set(numbers)) == len(numbers)
    sample = numbers[:: max(1, len(numbers) // 20_000)]
    for number in sample:
        assert patent.check_digit(number[:12]) == number[13], number
    for number in sample[:500]:
        assert patent.validate(number, require_check=True).valid, number
    # all numbers (vectorised restatement of the same rule, official-rules.md §2)
    pats = world.df("patents")
    digits = pats["application_no"].str.slice(0, 12)
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    total = sum(digits.str.slice(i, 1).cast(pl.Int64) * w for i, w in enumerate(weights)) % 11
    check = total.cast(pl.String).replace("10", "X")
    assert (check == pats["application_no"].str.slice(13, 1)).all()
    # year and type digit agree with the record
    assert (
        pats["application_no"].str.slice(0, 4).cast(pl.Int64) == pats["filed_on"].dt.year()
    ).all()
    type_digit = pats["patent_type"].replace_strict(
        {"invention": "1", "utility_model": "2", "design": "3"}
    )
    assert (pats["application_no"].str.slice(4, 1) == type_digit).all()


def test_patent_terms_agree_with_the_codes_rules(world: World) -> None:
    """`expires_on` is the last protected day: the day before codes' `term_end` anniversary."""
    pats = world.df("patents").filter(pl.col("expires_on").is_not_null())
    sample = pats.gather_every(max(1, pats.height // 3_000))
    for row in sample.iter_rows(named=True):
        end = patent.term_end(row["patent_type"], row["filed_on"])
        assert row["expires_on"] == end - timedelta(days=1), row


def test_industry_codes_are_gbt4754_classes(world: World) -> None:
    ent = world.df("enterprises")
    for code, name, section in (
        ent.select("industry_code", "industry_name", "industry_section").unique().iter_rows()
    ):
        item = industry.lookup(code)
        assert item is not None, code
        assert item.level == "class"
        assert item.name == name
        assert section == "other" or item.section == section


def test_size_class_agrees_with_the_recognition_engine(world: World) -> None:
    ent = world.df("enterprises").select("enterprise_id", "industry_code", "size_class")
    fin = world.df("financials").filter(pl.col("year") == 2025)
    rows = ent.join(fin, on="enterprise_id").gather_every(40)
    assert rows.height > 300
    for r in rows.iter_rows(named=True):
        result = classify(
            r["industry_code"],
            employees=r["employees"],
            revenue=fen_to_yuan(r["revenue_fen"]) / 10_000,
            assets=fen_to_yuan(r["total_assets_fen"]) / 10_000,
        )
        assert result.size == r["size_class"], (r, result.reason)


def test_area_codes_are_six_digits_of_their_province(world: World) -> None:
    ent = world.df("enterprises")
    assert ent["area_code"].str.contains(r"^\d{6}$").all()
    assert (ent["area_code"].str.slice(0, 2) == ent["province_code"]).all()


def test_certificate_numbers_follow_their_patterns(world: World) -> None:
    titles = world.df("titles")
    patterns = {
        "hnte": r"^GR\d{4}\d{2}\d{6}$",
        "tech_sme": r"^\d{4}\d{6}\d{5}$",
        "innovative_sme": r"^CX\d{2}\d{4}\d{5}$",
        "srdi": r"^ZJTX\d{2}\d{4}\d{5}$",
        "little_giant": r"^XJR\d{2}\d{4}\d{5}$",
    }
    for title, pattern in patterns.items():
        sub = titles.filter(pl.col("title") == title)
        assert sub.height > 0, title
        assert sub["certificate_no"].str.contains(pattern).all(), title
    hnte = titles.filter(pl.col("title") == "hnte")
    assert (
        hnte["certificate_no"].str.slice(2, 4).cast(pl.Int32) == hnte["issued_on"].dt.year()
    ).all()


def test_names_read_like_company_names(world: World) -> None:
    ent = world.df("enterprises")
    assert ent["name"].str.contains(r"(有限公司|股份有限公司)$").all()
    assert not ent["name"].str.contains("科技科技|技术技术|科技技术").any()
    assert (ent["legal_form"] == "joint_stock").eq(ent["name"].str.ends_with("股份有限公司")).all()
    en = ent["name_en"].drop_nulls()
    assert en.len() > 3_000 and en.str.ends_with("Co., Ltd.").all()
    assert not en.str.contains("Technology Technology").any()
    former = ent.filter(pl.col("former_name").is_not_null())
    assert 0.1 < former.height / ent.height < 0.2
    assert (former["former_name"] != former["name"]).all()
