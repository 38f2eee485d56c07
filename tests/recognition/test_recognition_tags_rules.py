"""Tags (high-tech manufacturing, strategic emerging, green tech, agri tech) and the rule-set
loader (versions, sources, effective dates)."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from techfin.recognition import rules, tags


def test_every_rule_set_names_its_source_and_dates() -> None:
    found = rules.all_rule_sets()
    names = {r.rule_set for r in found}
    assert {"sme_size", "hnte", "tech_sme", "innovative_sme", "srdi", "little_giant", "tags"} <= (
        names
    )
    for r in found:
        assert r.source and r.version and r.title
        d = r.describe()
        json.dumps(d, ensure_ascii=False)
        assert d["effective_from"] <= (d["effective_to"] or "9999")


def test_versions_do_not_overlap() -> None:
    for name in {r.rule_set for r in rules.all_rule_sets()}:
        vs = rules.versions(name)
        for a, b in itertools.pairwise(vs):
            assert a.effective_to is not None and a.effective_to < b.effective_from


def test_unconfirmed_rules_are_marked() -> None:
    assert not rules.load("srdi", dt.date(2026, 4, 1)).confirmed
    assert not rules.load("little_giant").confirmed
    assert rules.load("srdi", dt.date(2026, 3, 31)).confirmed


def test_load_errors() -> None:
    with pytest.raises(ValueError, match="rule_set"):
        rules.load("nonsense")
    with pytest.raises(ValueError, match="version"):
        rules.load("hnte", version="hnte-1999")
    assert rules.load("hnte", version="hnte-2016").version == "hnte-2016"


def test_green_and_agri_by_patent_class() -> None:
    r = tags.tag(None, ["H01M 10/0525", "A01H 5/10"])
    assert r.keys == ["green_tech", "agri_tech"]
    assert r.rule_version == "tags-2024"
    assert tags.tag(None, ["G06F 17/00"]).keys == []
    assert "green_tech" in tags.tag(None, ["Y02E 10/50"]).keys
    assert "green_tech" in tags.tag(None, ["h01l31/04"]).keys  # normalised
    json.dumps(r.to_dict(), ensure_ascii=False)


def test_industry_side() -> None:
    industry = pytest.importorskip("techfin.codes.industry")
    if not hasattr(industry, "strategic_emerging"):
        pytest.skip("techfin.codes.industry not complete yet")
    r = tags.tag("C3911")  # computers: high-tech manufacturing and strategic emerging
    assert "high_tech_manufacturing" in r.keys and "strategic_emerging" in r.keys
    assert "green_tech" in tags.tag("D4415").keys  # wind power
    assert "agri_tech" in tags.tag("A0111").keys  # rice growing: section A
    assert "agri_tech" in tags.tag("C3571").keys  # tractor manufacturing
    assert tags.tag("F5111").keys == []  # grain wholesale: none
