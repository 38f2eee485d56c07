"""Entity resolution on a generated set with known truth (issue 3 item 3)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from techfin.enterprises.resolution import (
    COMPARISON_LEVELS,
    RESOLVER_VERSION,
    Resolution,
    ResolutionConfig,
    join_by_uscc,
    resolve,
)
from techfin.enterprises.resolution_eval import EvalSet, make_eval_set, score


@pytest.fixture(scope="module")
def eval_set() -> EvalSet:
    return make_eval_set(11, 1_500)


@pytest.fixture(scope="module")
def resolution(eval_set: EvalSet) -> Resolution:
    return resolve(eval_set.registry, eval_set.records)


def test_precision_and_recall_at_the_auto_merge_threshold(
    eval_set: EvalSet, resolution: Resolution
) -> None:
    assert resolution.config.auto_merge_threshold == 0.9  # the documented default
    s = score(resolution, eval_set)
    assert s.linkable > 1_000 and s.auto_merged > 1_000
    assert s.precision >= 0.98, s
    assert s.recall >= 0.95, s


def test_every_variant_is_represented_and_mostly_found(
    eval_set: EvalSet, resolution: Resolution
) -> None:
    s = score(resolution, eval_set)
    expected = {
        "exact",
        "dropped_char",
        "legal_form",
        "full_width",
        "place",
        "branch",
        "former_name",
        "english_name",
        "typo",
        "co_applicants",
    }
    assert expected <= set(s.by_variant)
    for variant, figures in s.by_variant.items():
        if figures["parts"]:  # hard-negative variants have no parts to find
            assert figures["recall"] >= 0.8, (variant, figures)


def test_hard_negatives_are_not_merged(eval_set: EvalSet, resolution: Resolution) -> None:
    negatives = eval_set.records.filter(pl.col("variant").is_in(["held_out", "other_city"]))
    assert negatives.height > 100
    merged = resolution.auto_merged().join(negatives, on="record_key")
    assert merged.height <= 2


def test_candidate_rows_explain_themselves(resolution: Resolution) -> None:
    c = resolution.candidates
    for col in (
        "record_key",
        "part",
        "enterprise_id",
        "match_probability",
        "band",
        "exclusive_probability",
        "alias_kind",
    ):
        assert col in c.columns
    assert set(c.get_column("band").unique()) <= {"auto_merge", "review", "non_match"}
    for comparison, levels in COMPARISON_LEVELS.items():
        labels = set(c.get_column(f"{comparison}_level").drop_nulls().unique())
        assert labels, comparison
        assert labels <= set(levels) | {
            "no name",
            "place unknown",
            "legal form unknown",
            "date unknown",
        }
    auto = c.filter(pl.col("band") == "auto_merge")
    threshold = resolution.config.auto_merge_threshold
    assert auto.get_column("exclusive_probability").min() >= threshold  # type: ignore[operator]
    assert (auto.get_column("rank") == 1).all()
    # one auto-merge at most per record part
    assert auto.select("record_key", "part").is_duplicated().sum() == 0
    assert resolution.version == RESOLVER_VERSION
    assert resolution.model["comparisons"]


def test_matches_explained_by_former_and_english_names(resolution: Resolution) -> None:
    kinds = set(
        resolution.candidates.filter(pl.col("band") == "auto_merge")
        .get_column("alias_kind")
        .unique()
    )
    assert {"name", "former_name", "english_name"} <= kinds


def test_co_applicants_persons_and_universities_are_not_linked(resolution: Resolution) -> None:
    parts = resolution.parts
    others = parts.filter(pl.col("kind") != "company")
    assert others.height > 0
    assert (others.get_column("status") == "not_an_enterprise").all()
    assert parts.filter(pl.col("part") > 0).height > 0


def test_thresholds_are_configuration(eval_set: EvalSet, resolution: Resolution) -> None:
    strict = resolve(
        eval_set.registry,
        eval_set.records,
        ResolutionConfig(auto_merge_threshold=0.999, review_threshold=0.2),
        model=resolution.model,
    )
    assert strict.auto_merged().height < resolution.auto_merged().height
    assert strict.review_queue().height > resolution.review_queue().height
    # scoring with a saved model reproduces the probabilities
    again = resolve(eval_set.registry, eval_set.records, model=resolution.model)
    assert again.candidates.equals(resolution.candidates)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="auto_merge_threshold"):
        ResolutionConfig(auto_merge_threshold=0.4, review_threshold=0.5)
    with pytest.raises(ValueError, match="candidate_threshold"):
        ResolutionConfig(candidate_threshold=0.0)


def test_empty_inputs() -> None:
    registry = pl.DataFrame({"enterprise_id": [1], "name": ["深圳新弘信息技术有限公司"]})
    res = resolve(registry, pl.DataFrame({"record_key": ["a"], "name": ["张三"]}))
    assert res.candidates.height == 0
    assert res.parts.get_column("status").to_list() == ["not_an_enterprise"]
    with pytest.raises(ValueError, match="record_key"):
        resolve(registry, pl.DataFrame({"name": ["x"]}))


def test_join_by_uscc_validates_before_joining(eval_set: EvalSet) -> None:
    reg = eval_set.registry.head(5)
    codes = reg.get_column("uscc").to_list()
    good = codes[0]
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    records = pl.DataFrame(
        {
            "record_key": ["a", "b", "c", "d", "e"],
            "uscc": [good, good.lower(), bad_check, "91440300MA5FXXXXX", None],
        }
    )
    joined = join_by_uscc(records, reg)
    assert joined.matched.get_column("record_key").to_list() == ["a", "b"]
    assert set(joined.invalid.get_column("record_key")) == {"c", "d", "e"}
    assert joined.unknown.height == 0
    assert joined.join_rate == pytest.approx(2 / 5)


def test_eval_set_is_deterministic() -> None:
    a = make_eval_set(3, 200, as_of=date(2026, 6, 30))
    b = make_eval_set(3, 200, as_of=date(2026, 6, 30))
    assert a.records.equals(b.records) and a.truth.equals(b.truth)
    assert a.truth.join(a.records, on="record_key").height == a.truth.height
