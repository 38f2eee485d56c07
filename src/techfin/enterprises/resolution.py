"""Entity resolution: link records to the enterprise registry (guidance art. 16, issue 3 item 3).

Government records mostly carry the unified social credit code: `join_by_uscc` joins those by
the code after validating it with `techfin.codes.uscc.validate_many`. Records without a code —
patent applicants and owners, investors' funding records, tech-transfer contracts — are linked
by name with splink (Fellegi–Sunter record linkage on DuckDB): `resolve` splits co-applicant
fields, parses every name (`techfin.enterprises.names`), expands each registry enterprise into
one row per name it is known by (current name, 曾用名 former name, English name), trains the
model on the data itself (u by random sampling, m by expectation maximisation) and scores the
candidate pairs the blocking rules produce. Each candidate gets a probability and a band:

- ``auto_merge``: exclusive probability ≥ `ResolutionConfig.auto_merge_threshold`. The
  exclusive probability renormalises the pairwise splink probabilities of one record part's
  candidates, since a part names at most one enterprise: a strong rival pulls it down;
- ``review``: not auto-merged, pairwise probability ≥ `ResolutionConfig.review_threshold` —
  for the human review queue;
- ``non_match``: below `review_threshold` (kept down to `candidate_threshold` for audit).

Pure: no database, no files. Input and output are Polars frames (Arrow tables are accepted).
The model (splink settings with trained m/u values) is returned with the result so that an
evaluation records exactly what it applied; `RESOLVER_VERSION` names the comparison design.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from techfin.enterprises.names import parse_name, place_of_address, split_applicants

__all__ = [
    "BANDS",
    "COMPARISON_LEVELS",
    "RESOLVER_VERSION",
    "Resolution",
    "ResolutionConfig",
    "UsccJoin",
    "join_by_uscc",
    "prepare_records",
    "prepare_registry",
    "resolve",
]

#: Version of the comparison design (levels, blocking, training recipe). Bump on any change.
RESOLVER_VERSION = "resolution-2026.11-2"
BANDS = ("auto_merge", "review", "non_match")


@dataclass(frozen=True, slots=True)
class ResolutionConfig:
    """Thresholds and training settings. Defaults are the values chosen on the generated
    evaluation set (docs/entity-resolution.md, decision 0804); they are configuration, not
    rules.

    - `auto_merge_threshold`: a candidate whose exclusive probability is at or above this is
      merged without a human;
    - `review_threshold`: other candidates whose pairwise probability is at or above this go
      to the review queue;
    - `candidate_threshold`: pairs below it are not returned at all;
    - `max_candidates`: candidates kept per record part, best first;
    - `prior`: probability that a record part and a random registry enterprise match; None
      derives it as 1 / number of registry enterprises (each part names at most one);
    - `u_max_pairs`, `seed`: random sampling for the u probabilities;
    - `em_max_pairs`: pairs sampled for each expectation-maximisation session;
    - `em_max_iterations`: cap on each expectation-maximisation session;
    - `core_m`: m probabilities (share of true matches) of the name levels, best first:
      core exact, stem exact, homophone, same brand and one edit, one edit, same brand,
      same brand in pinyin, Jaro-Winkler ≥ 0.75, else. *Judged* (decision 0802): fixed rather
      than re-estimated,
      close to the shares seen among true links of the evaluation set (97 % exact, 3 %
      homophone) with room left for typos it does not generate. u is always estimated.
    """

    auto_merge_threshold: float = 0.9
    review_threshold: float = 0.5
    candidate_threshold: float = 0.01
    max_candidates: int = 5
    prior: float | None = None
    u_max_pairs: float = 1e6
    em_max_pairs: float = 1e6
    seed: int = 42
    em_max_iterations: int = 25
    core_m: tuple[float, ...] = (
        0.93,
        0.005,
        0.03,
        0.015,
        0.005,
        0.003,
        0.003,
        0.0089,
        0.0001,
    )

    def __post_init__(self) -> None:
        if not 0.0 < self.candidate_threshold <= self.review_threshold:
            raise ValueError("candidate_threshold: must be in (0, review_threshold]")
        if not self.review_threshold <= self.auto_merge_threshold < 1.0:
            raise ValueError("auto_merge_threshold: must be in [review_threshold, 1)")
        if self.max_candidates < 1:
            raise ValueError("max_candidates: must be at least 1")
        if len(self.core_m) != len(COMPARISON_LEVELS["core"]) or min(self.core_m) <= 0:
            raise ValueError("core_m: one positive m probability per name level")
        if self.prior is not None and not 0.0 < self.prior < 1.0:
            raise ValueError("prior: must be in (0, 1)")


# --- comparison design ----------------------------------------------------------------------
# Each comparison: output column → level labels from the best level down to "else"; the null
# level is gamma -1. The SQL lives in `_comparisons`; the labels here explain a pair's gamma.
COMPARISON_LEVELS: dict[str, tuple[str, ...]] = {
    "core": (
        "core exact",
        "core equal but for a generic word (科技/技术)",
        "core homophone (same pinyin)",
        "same brand, core one edit apart",
        "core one edit apart",
        "same brand (字号)",
        "same brand in pinyin",
        "core Jaro-Winkler >= 0.75",
        "core different",
    ),
    "place": ("same city", "same province", "different place"),
    "legal_form": (
        "same legal form",
        "limited liability against joint-stock (股份 dropped or added)",
        "different legal form",
    ),
    "timing": ("record after the name was changed", "record before registration", "consistent"),
}
_NULL_LABEL = {
    "core": "no name",
    "place": "place unknown",
    "legal_form": "legal form unknown",
    "timing": "date unknown",
}


def _coalesce(col: str) -> str:
    return f"coalesce({col}_l, {col}_r)"


def _comparisons(core_m: Sequence[float]) -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    core = cl.CustomComparison(
        output_column_name="core",
        comparison_description="name core (no place, legal form, branch)",
        comparison_levels=[
            cll.NullLevel("core"),
            *(
                level.configure(m_probability=m, fix_m_probability=True)
                for level, m in zip(
                    (
                        cll.ExactMatchLevel("core").configure(tf_adjustment_column="core"),
                        cll.ExactMatchLevel("stem"),
                        cll.ExactMatchLevel("core_py"),
                        cll.And(
                            cll.ExactMatchLevel("brand"), cll.DamerauLevenshteinLevel("core", 1)
                        ),
                        cll.DamerauLevenshteinLevel("core", 1),
                        cll.ExactMatchLevel("brand"),
                        cll.ExactMatchLevel("brand_py"),
                        cll.JaroWinklerLevel("core", 0.75),
                        cll.ElseLevel(),
                    ),
                    core_m,
                    strict=True,
                )
            ),
        ],
    )
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_description="city and province from name prefix, brackets or area code",
        comparison_levels=[
            cll.CustomLevel(
                "(city_l IS NULL OR city_r IS NULL) AND (area4_l IS NULL OR area4_r IS NULL)"
                " AND (province_l IS NULL OR province_r IS NULL)"
                " AND (area2_l IS NULL OR area2_r IS NULL)",
                label_for_charts="place unknown",
            ).configure(is_null_level=True),
            cll.CustomLevel("city_l = city_r OR area4_l = area4_r", label_for_charts="same city"),
            cll.CustomLevel(
                "province_l = province_r OR area2_l = area2_r", label_for_charts="same province"
            ),
            cll.ElseLevel(),
        ],
    )
    legal = cl.CustomComparison(
        output_column_name="legal_form",
        comparison_description="canonical legal form (有限公司 = 有限责任公司)",
        comparison_levels=[
            cll.NullLevel("legal_form"),
            cll.ExactMatchLevel("legal_form"),
            cll.CustomLevel(
                "legal_form_l IN ('limited_liability', 'joint_stock')"
                " AND legal_form_r IN ('limited_liability', 'joint_stock')",
                label_for_charts="limited liability against joint-stock",
            ),
            # Rare in most data (partnership against company): EM can drive its m to zero,
            # which splink rejects, so its m is fixed at a judged 1 %.
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True),
        ],
    )
    record_date, registered, until = (
        _coalesce("record_date"),
        _coalesce("registered_on"),
        _coalesce("name_until"),
    )
    timing = cl.CustomComparison(
        output_column_name="timing",
        comparison_description="record date against registration and name change",
        comparison_levels=[
            cll.CustomLevel(
                f"{record_date} IS NULL OR {registered} IS NULL", label_for_charts="date unknown"
            ).configure(is_null_level=True),
            cll.CustomLevel(
                f"{until} IS NOT NULL AND {record_date} > {until} + INTERVAL 365 DAY",
                label_for_charts="record after the name was changed",
            ),
            cll.CustomLevel(
                f"{record_date} < {registered}", label_for_charts="record before registration"
            ),
            cll.ElseLevel(),
        ],
    )
    return [core, place, legal, timing]


def _blocking_rules() -> list[Any]:
    from splink import block_on

    # Chinese names: the core (字号 + industry words) is the strongest key; a one-character
    # typo or homophone in the brand is caught by the rules that keep the other brand
    # character and the rest of the core within the same city.
    return [
        block_on("core"),
        block_on("city", "brand"),
        block_on("city", "brand_py"),
        block_on("area4", "brand"),
        block_on("city", "first1", "rest"),
        block_on("city", "second1", "rest"),
    ]


# --- frames ---------------------------------------------------------------------------------
_FEATURES: dict[str, pl.DataType] = {
    "uid": pl.Int64(),
    "script": pl.String(),
    "core": pl.String(),
    "stem": pl.String(),
    "brand": pl.String(),
    "core_py": pl.String(),
    "brand_py": pl.String(),
    "first1": pl.String(),
    "second1": pl.String(),
    "rest": pl.String(),
    "city": pl.String(),
    "province": pl.String(),
    "area4": pl.String(),
    "area2": pl.String(),
    "legal_form": pl.String(),
    "record_date": pl.Date(),
    "registered_on": pl.Date(),
    "name_until": pl.Date(),
}


def _frame(data: Any, what: str, required: Sequence[str]) -> pl.DataFrame:
    df = data if isinstance(data, pl.DataFrame) else pl.DataFrame(data)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")
    return df


_NAME_FEATURES: dict[str, pl.DataType] = {
    "script": pl.String(),
    "core": pl.String(),
    "stem": pl.String(),
    "brand": pl.String(),
    "core_py": pl.String(),
    "brand_py": pl.String(),
    "first1": pl.String(),
    "second1": pl.String(),
    "rest": pl.String(),
    "city": pl.String(),
    "province": pl.String(),
    "legal_form": pl.String(),
    "kind": pl.String(),
    "branch": pl.String(),
    "branch_place": pl.String(),
}


def _name_features(names: pl.Series) -> pl.DataFrame:
    """Comparison features of each distinct name in `names` (column `_name` is the key)."""
    distinct = names.drop_nulls().unique().to_list()
    cols: dict[str, list[Any]] = {k: [] for k in _NAME_FEATURES}
    for name in distinct:
        p = parse_name(name)
        core = p.core
        cols["script"].append(p.script)
        cols["core"].append(core or None)
        cols["stem"].append(p.stem or None)
        cols["brand"].append(p.brand or None)
        cols["core_py"].append(p.core_py or None)
        cols["brand_py"].append(p.brand_py or None)
        cols["first1"].append(core[:1] or None)
        cols["second1"].append(core[1:2] or None)
        cols["rest"].append(core[2:] or None)
        cols["city"].append(p.city)
        cols["province"].append(p.province)
        cols["legal_form"].append(p.legal_form)
        cols["kind"].append(p.kind)
        cols["branch"].append(p.branch)
        cols["branch_place"].append(p.branch_place)
    return pl.DataFrame(
        {"_name": distinct, **cols}, schema={"_name": pl.String(), **_NAME_FEATURES}
    )


def _area_expr(col: str, width: int) -> pl.Expr:
    head = pl.col(col).cast(pl.String).str.strip_chars().str.slice(0, width)
    ok = (head.str.len_chars() == width) & head.str.contains(r"^\d+$") & ~head.str.ends_with("00")
    return pl.when(ok).then(head).otherwise(None)


def prepare_registry(registry: Any) -> pl.DataFrame:
    """One row per name an enterprise is known by: its current name, its former name(s) and
    its English name, with the comparison features.

    `registry` needs `enterprise_id` and `name`; optional `former_name` (str or list of str),
    `former_name_until` (date), `name_en`, `area_code`, `registered_on` (date), `city` (used
    when a name has no place prefix).
    """
    df = _frame(registry, "registry", ("enterprise_id", "name"))
    cols = set(df.columns)
    null_date = pl.lit(None, dtype=pl.Date())
    base = df.select(
        pl.col("enterprise_id").cast(pl.Int64),
        (_area_expr("area_code", 4) if "area_code" in cols else pl.lit(None, pl.String())).alias(
            "area4"
        ),
        (_area_expr("area_code", 2) if "area_code" in cols else pl.lit(None, pl.String())).alias(
            "area2"
        ),
        (pl.col("registered_on").cast(pl.Date) if "registered_on" in cols else null_date).alias(
            "registered_on"
        ),
        (
            pl.col("city").cast(pl.String).str.strip_suffix("市")
            if "city" in cols
            else pl.lit(None, pl.String())
        ).alias("_city_hint"),
        pl.col("name").cast(pl.String).alias("_current"),
        (pl.col("former_name") if "former_name" in cols else pl.lit(None, pl.String())).alias(
            "_former"
        ),
        (
            pl.col("former_name_until").cast(pl.Date) if "former_name_until" in cols else null_date
        ).alias("_until"),
        (
            pl.col("name_en").cast(pl.String) if "name_en" in cols else pl.lit(None, pl.String())
        ).alias("_english"),
    )
    keep = ["enterprise_id", "area4", "area2", "registered_on", "_city_hint"]
    current = base.select(
        *keep,
        pl.lit("name").alias("alias_kind"),
        pl.col("_current").alias("alias"),
        null_date.alias("name_until"),
    )
    former = base.select(*keep, "_former", "_until")
    if former.schema["_former"] == pl.List(pl.String):
        former = former.explode("_former")
    former = former.select(
        *keep,
        pl.lit("former_name").alias("alias_kind"),
        pl.col("_former").cast(pl.String).alias("alias"),
        pl.col("_until").alias("name_until"),
    )
    english = base.select(
        *keep,
        pl.lit("english_name").alias("alias_kind"),
        pl.col("_english").alias("alias"),
        null_date.alias("name_until"),
    )
    aliases = pl.concat([current, former, english]).filter(
        pl.col("alias").is_not_null() & (pl.col("alias").str.strip_chars() != "")
    )
    feats = _name_features(aliases.get_column("alias"))
    out = (
        aliases.join(feats, left_on="alias", right_on="_name", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("city", "_city_hint").alias("city"),
            pl.lit(None, pl.Date()).alias("record_date"),
        )
        .drop("_city_hint")
    )
    out = out.select(*_alias_schema().keys()).cast(_alias_schema())  # type: ignore[arg-type]
    return out.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("uid"))


def _alias_schema() -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {
        "enterprise_id": pl.Int64(),
        "alias_kind": pl.String(),
        "alias": pl.String(),
    }
    schema.update({k: v for k, v in _FEATURES.items() if k != "uid"})
    return schema


def _record_schema() -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {
        "record_key": pl.String(),
        "part": pl.Int64(),
        "applicant": pl.String(),
        "kind": pl.String(),
        "branch": pl.String(),
        "branch_place": pl.String(),
    }
    schema.update({k: v for k, v in _FEATURES.items() if k != "uid"})
    return schema


def prepare_records(records: Any) -> pl.DataFrame:
    """One row per applicant named in each record (co-applicant fields are split), with the
    comparison features. `part` numbers the applicants of a record from 0.

    `records` needs `record_key` and `name`; optional `area_code`, `address` (its leading
    province/city is used when the name has none), `record_date` (date), `role`. An area code
    or address belongs to the first-named applicant only.
    """
    df = _frame(records, "records", ("record_key", "name"))
    cols = set(df.columns)
    null_str = pl.lit(None, pl.String())
    names = df.get_column("name").cast(pl.String).to_list()
    split = [split_applicants(n) if isinstance(n, str) else [] for n in names]
    addresses = df.get_column("address").to_list() if "address" in cols else [None] * len(names)
    places = [place_of_address(a) if isinstance(a, str) and a else (None, None) for a in addresses]
    base = df.select(
        pl.col("record_key").cast(pl.String),
        pl.Series("applicant", split, dtype=pl.List(pl.String)),
        (_area_expr("area_code", 4) if "area_code" in cols else null_str).alias("_area4"),
        (_area_expr("area_code", 2) if "area_code" in cols else null_str).alias("_area2"),
        pl.Series("_addr_province", [p for p, _ in places], dtype=pl.String),
        pl.Series("_addr_city", [c for _, c in places], dtype=pl.String),
        (
            pl.col("record_date").cast(pl.Date)
            if "record_date" in cols
            else pl.lit(None, pl.Date())
        ).alias("record_date"),
    )
    exploded = (
        base.with_columns(
            pl.int_ranges(pl.col("applicant").list.len(), dtype=pl.Int64).alias("part")
        )
        .explode("applicant", "part")
        .filter(pl.col("applicant").is_not_null())
    )
    feats = _name_features(exploded.get_column("applicant"))
    first = pl.col("part") == 0
    out = exploded.join(
        feats, left_on="applicant", right_on="_name", how="left", maintain_order="left"
    ).with_columns(
        pl.when(first).then(pl.col("_area4")).otherwise(None).alias("area4"),
        pl.when(first).then(pl.col("_area2")).otherwise(None).alias("area2"),
        pl.when(first)
        .then(pl.coalesce("city", "_addr_city"))
        .otherwise(pl.col("city"))
        .alias("city"),
        pl.when(first)
        .then(pl.coalesce("province", "_addr_province"))
        .otherwise(pl.col("province"))
        .alias("province"),
        pl.lit(None, pl.Date()).alias("registered_on"),
        pl.lit(None, pl.Date()).alias("name_until"),
    )
    schema = _record_schema()
    out = out.select(*schema.keys()).cast(schema)  # type: ignore[arg-type]
    return out.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("uid"))


# --- USCC join ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UsccJoin:
    """Result of `join_by_uscc`: `matched` (record_key, enterprise_id, uscc), `invalid`
    (record_key, uscc, reason) and `unknown` (record_key, uscc: valid but not in the registry).
    """

    matched: pl.DataFrame
    invalid: pl.DataFrame
    unknown: pl.DataFrame

    @property
    def join_rate(self) -> float:
        total = self.matched.height + self.invalid.height + self.unknown.height
        return self.matched.height / total if total else 0.0


def join_by_uscc(records: Any, registry: Any, *, code_column: str = "uscc") -> UsccJoin:
    """Join coded records to the registry by their USCC after validating it.

    Codes are validated with `techfin.codes.uscc.validate_many` (normalising lowercase,
    full-width and spaces where the intent is unambiguous); an invalid code is never joined.
    `records` needs `record_key` and `code_column`; `registry` needs `enterprise_id`, `uscc`.
    """
    from techfin.codes.uscc import Reason, validate_many

    rec = _frame(records, "records", ("record_key", code_column))
    reg = _frame(registry, "registry", ("enterprise_id", "uscc"))
    codes = rec.get_column(code_column)
    check = validate_many(codes.to_arrow() if codes.dtype == pl.String else codes.to_list())
    normalised = codes.to_list()
    for i, fixed in check.fixes.items():
        normalised[i] = fixed
    rec = rec.select(
        pl.col("record_key").cast(pl.String),
        pl.Series("uscc", normalised, dtype=pl.String),
        pl.Series("valid", check.valid),
        pl.Series("reason", [Reason(int(x)).message if x else None for x in check.reason]),
    )
    invalid = rec.filter(~pl.col("valid")).select("record_key", "uscc", "reason")
    good = rec.filter(pl.col("valid")).select("record_key", "uscc")
    reg_codes = reg.select(pl.col("uscc").cast(pl.String), "enterprise_id").unique(
        "uscc", keep="first"
    )
    joined = good.join(reg_codes, on="uscc", how="left")
    matched = joined.filter(pl.col("enterprise_id").is_not_null()).select(
        "record_key", "enterprise_id", "uscc"
    )
    unknown = joined.filter(pl.col("enterprise_id").is_null()).select("record_key", "uscc")
    return UsccJoin(matched=matched, invalid=invalid, unknown=unknown)


# --- resolution -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Resolution:
    """Result of `resolve`.

    - `candidates`: one row per (record part, enterprise) candidate, best first within a part:
      record_key, part, applicant, enterprise_id, alias_kind (which registry name matched),
      alias, match_probability, match_weight, band, rank, and per comparison a `<name>_level`
      label (core, place, legal_form, timing) that explains the probability;
    - `parts`: every applicant part with its kind (company / institution / person), branch,
      and `status`: auto_merge / review / non_match / no_candidate / not_an_enterprise;
    - `model`: the trained splink settings (JSON-able dict), `version`: `RESOLVER_VERSION`;
    - `stats`: counts (record_parts, linkable_parts, registry_names, enterprises,
      scored_pairs), `em_failures` (empty when training went through) and `seconds` per stage.
    """

    candidates: pl.DataFrame
    parts: pl.DataFrame
    model: dict[str, Any]
    config: ResolutionConfig
    version: str = RESOLVER_VERSION
    stats: dict[str, Any] = field(default_factory=dict)

    def auto_merged(self) -> pl.DataFrame:
        """The auto-merge decisions: record_key, part, enterprise_id, match_probability."""
        return self.candidates.filter(pl.col("band") == "auto_merge").select(
            "record_key", "part", "enterprise_id", "match_probability"
        )

    def review_queue(self) -> pl.DataFrame:
        """Candidates for human review, most probable first."""
        return self.candidates.filter(pl.col("band") == "review").sort(
            "match_probability", descending=True
        )


_SPLINK_COLUMNS = list(_FEATURES)


def _train_and_predict(
    rec: pl.DataFrame,
    aliases: pl.DataFrame,
    config: ResolutionConfig,
    n_enterprises: int,
    model: dict[str, Any] | None,
) -> tuple[pl.DataFrame, dict[str, Any], list[str]]:
    import logging

    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    left = db_api.register(rec.select(_SPLINK_COLUMNS).to_arrow(), dataset_display_name="records")
    right = db_api.register(
        aliases.select(_SPLINK_COLUMNS).to_arrow(), dataset_display_name="registry"
    )
    if model is not None:
        settings: Any = model
    else:
        prior = config.prior or min(0.5, 1.0 / max(n_enterprises, 2))
        settings = SettingsCreator(
            link_type="link_only",
            unique_id_column_name="uid",
            probability_two_random_records_match=prior,
            comparisons=_comparisons(config.core_m),
            blocking_rules_to_generate_predictions=_blocking_rules(),
            max_iterations=config.em_max_iterations,
            retain_intermediate_calculation_columns=True,
            retain_matching_columns=True,
        )
    linker = Linker([left, right], settings, log_level=logging.ERROR)
    # How common a core is comes from the registry alone, not from the batch being scored, so
    # a record's probabilities do not depend on which other records share its chunk.
    tf = (
        aliases.filter(pl.col("core").is_not_null())
        .group_by("core")
        .agg((pl.len() / aliases.height).alias("tf_core"))
    )
    linker.table_management.register_term_frequency_lookup(db_api.register(tf.to_arrow()), "core")
    failures: list[str] = []
    if model is None:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=config.u_max_pairs, seed=config.seed
        )
        _bound_unobserved_u(linker, 3.0 / config.u_max_pairs)
        # EM learns place, legal form and timing among same-core pairs. The name levels keep
        # their fixed m (see ResolutionConfig.core_m): EM over name-blocked pairs drifts at
        # scale, taking similar non-matches for matches (decision 0802).
        for rule in (block_on("core"),):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule,
                    estimate_without_term_frequencies=True,
                    max_pairs=config.em_max_pairs,
                )
            except ValueError as exc:
                # splink rejects an m probability that underflows to zero (a level EM finds
                # no match in); the session's estimates are dropped and the failure reported.
                failures.append(f"{rule.get_blocking_rule('duckdb').blocking_rule_sql}: {exc}")
    pred = linker.inference.predict(threshold_match_probability=config.candidate_threshold)
    table = pred.as_pyarrow_table()  # type: ignore[no-untyped-call]
    trained = linker.misc.save_model_to_json()
    con.close()
    return pl.from_arrow(table), trained, failures  # type: ignore[return-value]


def _bound_unobserved_u(linker: Any, bound: float) -> None:
    """Give a level that random sampling never hit the rule-of-three upper bound of its u.

    Rare, telling levels (same brand and one edit apart) can go unseen in a million random
    pairs; splink then falls back to a default u unrelated to the data. 3 / pairs sampled is
    the 95 % upper bound of a proportion never observed in that many draws — conservative, as
    a higher u gives a smaller Bayes factor.
    """
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            if level._u_probability in (None, LEVEL_NOT_OBSERVED_TEXT):
                level.u_probability = bound


def _label(comparison: str, gamma: int | None) -> str:
    levels = COMPARISON_LEVELS[comparison]
    if gamma is None or gamma < 0:
        return _NULL_LABEL[comparison]
    return levels[len(levels) - 1 - gamma]


def resolve(
    registry: Any,
    records: Any,
    config: ResolutionConfig | None = None,
    *,
    model: dict[str, Any] | None = None,
) -> Resolution:
    """Link records without a credit code to registry enterprises.

    `registry`: see `prepare_registry` (its output is accepted too, so that a batch prepares
    the registry once for many chunks of records); `records`: see `prepare_records`. `model`: splink
    settings from an earlier `Resolution.model` to score with instead of training (for a
    large run trained on a sample, or to reproduce a past evaluation).
    """
    config = config or ResolutionConfig()
    prepared = isinstance(registry, pl.DataFrame) and {"alias_kind", "uid", "core"} <= set(
        registry.columns
    )
    clock = time.perf_counter()
    aliases = registry if prepared else prepare_registry(registry)
    parts = prepare_records(records)
    seconds = {"prepare": time.perf_counter() - clock}
    n_enterprises = aliases.get_column("enterprise_id").n_unique() if aliases.height else 0
    linkable = parts.filter((pl.col("kind") == "company") & pl.col("core").is_not_null())
    empty = _empty_candidates()
    if linkable.height == 0 or aliases.height == 0:
        status = _status(parts, empty)
        return Resolution(empty, status, model or {}, config, stats={"pairs": 0})
    clock = time.perf_counter()
    pairs, trained, failures = _train_and_predict(linkable, aliases, config, n_enterprises, model)
    seconds["splink"] = time.perf_counter() - clock
    clock = time.perf_counter()
    cand = _candidates(pairs, linkable, aliases, config)
    status = _status(parts, cand)
    seconds["bands"] = time.perf_counter() - clock
    stats = {
        "record_parts": parts.height,
        "linkable_parts": linkable.height,
        "registry_names": aliases.height,
        "enterprises": n_enterprises,
        "scored_pairs": pairs.height,
        "em_failures": failures,
        "seconds": seconds,
    }
    return Resolution(cand, status, trained, config, stats=stats)


def _empty_candidates() -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {
        "record_key": pl.String(),
        "part": pl.Int64(),
        "applicant": pl.String(),
        "enterprise_id": pl.Int64(),
        "alias_kind": pl.String(),
        "alias": pl.String(),
        "match_probability": pl.Float64(),
        "exclusive_probability": pl.Float64(),
        "match_weight": pl.Float64(),
        "band": pl.String(),
        "rank": pl.Int64(),
    }
    schema.update({f"{c}_level": pl.String() for c in COMPARISON_LEVELS})
    return pl.DataFrame(schema=schema)


def _candidates(
    pairs: pl.DataFrame, rec: pl.DataFrame, aliases: pl.DataFrame, config: ResolutionConfig
) -> pl.DataFrame:
    if pairs.height == 0:
        return _empty_candidates()
    left_is_record = pl.col("source_dataset_l") == "records"
    gammas = [f"gamma_{c}" for c in COMPARISON_LEVELS]
    oriented = pairs.select(
        pl.when(left_is_record).then(pl.col("uid_l")).otherwise(pl.col("uid_r")).alias("rec_uid"),
        pl.when(left_is_record).then(pl.col("uid_r")).otherwise(pl.col("uid_l")).alias("ali_uid"),
        "match_probability",
        "match_weight",
        *gammas,
    )
    joined = oriented.join(
        rec.select(pl.col("uid").alias("rec_uid"), "record_key", "part", "applicant"),
        on="rec_uid",
    ).join(
        aliases.select(pl.col("uid").alias("ali_uid"), "enterprise_id", "alias_kind", "alias"),
        on="ali_uid",
    )
    # One row per (part, enterprise): the enterprise's best-matching name decides.
    best = joined.sort(["match_probability", "ali_uid"], descending=[True, False]).unique(
        ["rec_uid", "enterprise_id"], keep="first", maintain_order=True
    )
    # A part names at most one enterprise, so its candidates exclude one another: with pairwise
    # odds o_i, P(candidate i is the one) = o_i / (1 + sum of o_j) over the part's candidates.
    odds = (2.0 ** pl.col("match_weight").clip(-60.0, 60.0)).alias("odds")
    best = (
        best.with_columns(odds)
        .with_columns(
            (pl.col("odds") / (1.0 + pl.col("odds").sum().over("rec_uid"))).alias(
                "exclusive_probability"
            ),
            pl.col("match_probability")
            .rank("ordinal", descending=True)
            .over("rec_uid")
            .cast(pl.Int64)
            .alias("rank"),
        )
        .filter(pl.col("rank") <= config.max_candidates)
    )
    band = (
        pl.when(pl.col("exclusive_probability") >= config.auto_merge_threshold)
        .then(pl.lit("auto_merge"))
        .when(pl.col("match_probability") >= config.review_threshold)
        .then(pl.lit("review"))
        .otherwise(pl.lit("non_match"))
    )
    labels = [
        pl.col(f"gamma_{c}")
        .replace_strict(
            {g: _label(c, g) for g in range(-1, len(COMPARISON_LEVELS[c]))},
            default=None,
            return_dtype=pl.String,
        )
        .alias(f"{c}_level")
        for c in COMPARISON_LEVELS
    ]
    out = best.with_columns(band.alias("band"), *labels).sort(["record_key", "part", "rank"])
    return out.select(_empty_candidates().columns)


def _status(parts: pl.DataFrame, cand: pl.DataFrame) -> pl.DataFrame:
    top = (
        cand.filter(pl.col("rank") == 1)
        .select("record_key", "part", pl.col("band").alias("top_band"))
        .unique(["record_key", "part"])
    )
    joined = parts.select("record_key", "part", "applicant", "kind", "branch", "branch_place").join(
        top, on=["record_key", "part"], how="left"
    )
    status = (
        pl.when(pl.col("kind") != "company")
        .then(pl.lit("not_an_enterprise"))
        .when(pl.col("top_band").is_null())
        .then(pl.lit("no_candidate"))
        .otherwise(pl.col("top_band"))
    )
    return joined.with_columns(status.alias("status")).drop("top_band")
