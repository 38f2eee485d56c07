"""Use of loan funds against purpose (issue 9 item 6): categories, prohibitions with their
sources, the keyword screen, the evidence window at its edges, amounts in Decimal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from techfin.credit import fund_use as fu
from techfin.credit.fund_use import Evidence, assess, check_category, load_rules

DISBURSED = dt.date(2026, 3, 10)
WINDOW = 30  # approval_policy.yaml disbursement.use_of_funds_evidence_days


def _one(category: str, *, kind: str = "working_capital", text: str = "payment", **kw):
    e = Evidence("#7", D("250000.00"), text, dt.date(2026, 3, 20), kw.pop("payee", ""), category)
    return assess(
        loan_kind=kind,
        principal=D("1000000.00"),
        disbursed_on=DISBURSED,
        as_of=dt.date(2026, 3, 25),
        evidence=[e],
        window_days=WINDOW,
        **kw,
    )


def test_every_prohibition_names_its_source_and_date() -> None:
    rules = load_rules()
    assert rules.categories["unspecified"].prohibited_for == ()
    for c in rules.categories.values():
        if c.prohibited_for or c.only_on_renewal:
            assert c.source and c.effective_from is not None, c.code
            # what official-rules.md does not quote is marked for confirmation
            assert c.confirmed or "confirm" in c.source, c.code
    expected = {
        "fixed_asset_investment",
        "equity_investment",
        "securities_futures",
        "wealth_products",
        "real_estate",
        "onward_lending",
        "prohibited_fields",
    }
    assert expected <= {c.code for c in rules.categories.values() if c.prohibited_for}


PERMITTED = [
    "unspecified",
    "raw_materials",
    "wages",
    "rd_expense",
    "technology_licence",
    "operating_expenses",
    "taxes",
    "supplier_payables",
]
PROHIBITED_FOR_WORKING_CAPITAL = [
    "rd_equipment",
    "fixed_asset_investment",
    "equity_investment",
    "shareholder_dividend",
    "securities_futures",
    "wealth_products",
    "real_estate",
    "onward_lending",
    "prohibited_fields",
]


@pytest.mark.parametrize("category", PERMITTED)
def test_permitted_categories_raise_nothing(category: str) -> None:
    a = _one(category)
    assert a.findings == () and a.off_purpose == ()


@pytest.mark.parametrize("category", PROHIBITED_FOR_WORKING_CAPITAL)
def test_prohibited_categories_for_a_working_capital_loan(category: str) -> None:
    a = _one(category)
    assert [(f.kind, f.rule, f.evidence) for f in a.findings] == [("prohibited", category, "#7")]
    f = a.findings[0]
    assert f.amount == D("250000.00") and f.on == dt.date(2026, 3, 20)
    assert "evidence #7 of 2026-03-20" in f.reason and "working-capital loan" in f.reason
    assert f.source == load_rules().categories[category].cite()


def test_the_loan_kind_decides_fixed_asset_and_equity() -> None:
    """A fixed-asset loan may buy equipment and plant but not shares; an acquisition loan may
    pay for shares; securities are prohibited for every kind."""
    assert _one("fixed_asset_investment", kind="fixed_asset").findings == ()
    assert _one("rd_equipment", kind="fixed_asset").findings == ()
    assert [f.rule for f in _one("equity_investment", kind="fixed_asset").findings] == [
        "equity_investment"
    ]
    assert _one("equity_investment", kind="acquisition").findings == ()
    for kind in ("fixed_asset", "acquisition"):
        assert [f.kind for f in _one("securities_futures", kind=kind).findings] == ["prohibited"]
    rules = load_rules()
    assert rules.loan_kind("working_capital_loan") == "working_capital"
    assert rules.loan_kind("high_tech_manufacturing_term_loan") == "fixed_asset"
    assert rules.loan_kind("tech_ma_loan") == "acquisition"
    assert rules.loan_kind("no-such-product") == "working_capital"  # the stricter default


def test_repaying_this_banks_loan_only_on_renewal() -> None:
    not_renewed = _one("repay_own_loan", text="归还本行借款")
    assert [(f.kind, f.rule) for f in not_renewed.findings] == [("prohibited", "repay_own_loan")]
    assert "借新还旧" in not_renewed.findings[0].reason
    # on a renewal it is the purpose; "借款" in the text is not read as lending on
    assert _one("repay_own_loan", text="归还本行借款", renewal=True).findings == ()


@pytest.mark.parametrize(
    ("text", "payee", "rule", "keyword"),
    [
        ("购买房地产", "", "real_estate", "房地产"),
        ("货款", "某某证券公司", "securities_futures", "证券"),
        ("银行理财产品申购", "", "wealth_products", "理财"),
        ("对子公司股权投资", "", "equity_investment", "股权投资"),
        ("借款给关联方", "", "onward_lending", "借款"),
        ("Subscription to a WEALTH MANAGEMENT plan", "", "wealth_products", "wealth management"),
        ("Deposit to brokerage account", "", "securities_futures", "brokerage account"),
    ],
)
def test_keyword_screen_flags_a_suspected_use(text: str, payee: str, rule: str, keyword: str):
    a = _one("raw_materials", text=text, payee=payee)
    assert [(f.kind, f.rule) for f in a.findings] == [("suspected", rule)]
    f = a.findings[0]
    assert f"“{keyword}”" in f.reason and "declared raw_materials" in f.reason
    assert f.evidence == "#7" and "evidence #7" in f.reason


def test_keyword_screen_is_quiet_on_ordinary_text_and_whole_english_words() -> None:
    for text in ("采购芯片原材料", "Wages for March", "stock of raw materials", "Securitiesless"):
        assert _one("raw_materials", text=text).findings == (), text
    # a keyword of a category this loan kind may use is not a suspicion
    assert _one("raw_materials", kind="fixed_asset", text="厂房建设").findings == ()
    assert [f.rule for f in _one("raw_materials", text="厂房建设").findings] == [
        "fixed_asset_investment"
    ]


def test_a_keyword_inside_an_ordinary_phrase_is_not_a_hit() -> None:
    """借款 in 借款合同 / 借款人 is the voucher's ordinary wording, not lending on; the same
    description that also lends the money on is still a hit."""
    ordinary = "按借款合同约定用途支付货款，借款人：北京甲科技"
    assert _one("raw_materials", text=ordinary).findings == ()
    assert _one("raw_materials", text="Paid under the LOAN CONTRACT").findings == ()
    lent = _one("raw_materials", text=ordinary + "；借款给关联方")
    assert [(f.kind, f.rule) for f in lent.findings] == [("suspected", "onward_lending")]


def test_a_declared_prohibited_category_is_not_also_suspected_of_itself() -> None:
    a = _one("real_estate", text="购房款")
    assert [(f.kind, f.rule) for f in a.findings] == [("prohibited", "real_estate")]


@pytest.mark.parametrize(
    ("days_after", "fires"),
    [(WINDOW - 1, False), (WINDOW, True), (WINDOW + 1, True)],
)
def test_unevidenced_amount_at_the_window_edges(days_after: int, fires: bool) -> None:
    """Principal 1,000,000.00; evidence of 333,333.33 and 0.01 → 666,666.66 unevidenced. The
    window closes at the day-end of disbursement + 30 days (2026-04-09)."""
    as_of = DISBURSED + dt.timedelta(days=days_after)
    evidence = [
        Evidence("#1", D("333333.33"), "wafers", DISBURSED, "Supplier A", "raw_materials"),
        Evidence("#2", D("0.01"), "bank fee", DISBURSED + dt.timedelta(days=1), "", "taxes"),
    ]
    a = assess(
        loan_kind="working_capital",
        principal=D("1000000.00"),
        disbursed_on=DISBURSED,
        as_of=as_of,
        evidence=evidence,
        window_days=WINDOW,
    )
    assert a.evidenced == D("333333.34") and a.unevidenced == D("666666.66")
    assert a.window_closes_on == dt.date(2026, 4, 9)
    found = [f for f in a.findings if f.kind == "unevidenced"]
    assert bool(found) is fires
    if fires:
        assert found[0].amount == D("666666.66") and found[0].on == as_of
        assert "CNY 666,666.66 of CNY 1,000,000.00" in found[0].reason
        assert "closed on 2026-04-09" in found[0].reason


def test_fully_evidenced_and_evidence_after_as_of() -> None:
    """Evidence recorded after as_of is not seen yet; over-evidence never goes negative."""
    evidence = [
        Evidence("#1", D("600000"), "materials", dt.date(2026, 3, 11), "", "raw_materials"),
        Evidence("#2", D("500000"), "wages", dt.date(2026, 5, 1), "", "wages"),
    ]
    kw = {
        "loan_kind": "working_capital",
        "principal": D("1000000"),
        "disbursed_on": DISBURSED,
        "evidence": evidence,
        "window_days": WINDOW,
    }
    before = assess(as_of=dt.date(2026, 4, 30), **kw)
    assert before.unevidenced == D("400000.00") and before.findings[0].kind == "unevidenced"
    after = assess(as_of=dt.date(2026, 5, 1), **kw)
    assert (after.evidenced, after.unevidenced, after.findings) == (D("1100000.00"), D("0"), ())


def test_a_prohibition_applies_from_its_effective_date() -> None:
    """The 2021 real-estate notice applies to evidence recorded from 2021-03-26, not before."""
    rules = load_rules(dt.date(2026, 1, 1))
    c = rules.categories["real_estate"]
    assert c.effective_from == dt.date(2021, 3, 26)

    def on(day: dt.date) -> tuple[str, ...]:
        e = Evidence("#1", D("10"), "x", day, "", "real_estate")
        a = assess(
            loan_kind="working_capital",
            principal=D("10"),
            disbursed_on=dt.date(2021, 1, 1),
            as_of=dt.date(2026, 1, 1),
            evidence=[e],
            window_days=WINDOW,
            rules=rules,
        )
        return tuple(f.kind for f in a.findings)

    assert on(dt.date(2021, 3, 25)) == ()
    assert on(dt.date(2021, 3, 26)) == ("prohibited",)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="category: unknown 'casino'"):
        check_category("casino")
    assert check_category("  ") == "unspecified" and check_category(None) == "unspecified"
    assert check_category("wages") == "wages"
    good = Evidence("#1", D("1"), "x", DISBURSED)
    base = {
        "principal": D("100"),
        "disbursed_on": DISBURSED,
        "as_of": DISBURSED,
        "window_days": 30,
    }
    with pytest.raises(ValueError, match="loan_kind"):
        assess(loan_kind="consumer", evidence=[good], **base)
    with pytest.raises(ValueError, match="float"):
        assess(loan_kind="working_capital", evidence=[Evidence("#2", 1.5, "x", DISBURSED)], **base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be positive"):
        assess(
            loan_kind="working_capital", evidence=[Evidence("#3", D("0"), "x", DISBURSED)], **base
        )
    with pytest.raises(ValueError, match="window_days"):
        assess(loan_kind="working_capital", evidence=[], **{**base, "window_days": -1})
    with pytest.raises(ValueError, match="category: unknown"):
        assess(
            loan_kind="working_capital",
            evidence=[Evidence("#4", D("1"), "x", DISBURSED, "", "nope")],
            **base,
        )
    with pytest.raises(ValueError, match="as_of: no use-of-funds rule version"):
        load_rules(dt.date(2020, 1, 1))


def test_assessment_serialises_amounts_as_strings() -> None:
    d = _one("real_estate").to_dict()
    assert d["findings"][0]["amount"] == "250000.00" and d["unevidenced"] == "750000.00"
    assert d["rule_version"] == fu.load_rules().version


def test_warning_rules_2026_2_add_funds_unevidenced_and_keep_the_rest() -> None:
    """Early-warning version techfin-ew-2026-2 (from 2026-12-01, unconfirmed) is 2026-1 plus
    `funds_unevidenced`; `funds_off_purpose` keeps its weight and task in both."""
    from techfin.credit import warnings as ew

    old, new = ew.load_rules(dt.date(2026, 11, 30)), ew.load_rules(dt.date(2026, 12, 1))
    assert (old.version, new.version) == ("techfin-ew-2026-1", "techfin-ew-2026-2")
    before = {r.code: r for r in old.rules}
    after = {r.code: r for r in new.rules}
    assert set(after) - set(before) == {"funds_unevidenced"}
    for code in ("funds_off_purpose",):
        assert (before[code].weight, before[code].action) == (
            after[code].weight,
            after[code].action,
        )
        assert after[code].action is not None
        assert after[code].action.task == "use_of_funds_check"
    assert after["funds_unevidenced"].weight == 10
    assert "unconfirmed" in after["funds_unevidenced"].source_data
    for code in set(before) - {"funds_off_purpose"}:
        assert before[code] == after[code], code
