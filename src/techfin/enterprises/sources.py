"""The shared-data sources of the information hub (guidance art. 16) and their declared schemas.

Each source names its fields (with the Chinese column headers government systems use as
aliases), their kinds and constraints, and the natural key that makes a record unique. A row is
validated by `validate_row`, a pure function that returns the clean record, the precise reasons
it was refused, and the unambiguous normalisations applied (full-width digits, lowercase codes,
thousands separators) — so an import keeps every good row, quarantines every bad one with its
reasons, and says what it changed.

Money is yuan (`Decimal`, two places, half-up); a column headed in 万元 is declared as such
and converted here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from techfin.codes import industry as industry_codes
from techfin.codes import patent as patent_codes
from techfin.codes import uscc as uscc_codes
from techfin.codes.check import fold_text
from techfin.money import WAN, cents

QUARTER = re.compile(r"^(\d{4})\s*[Qq季]?\s*([1-4])$")
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
CLASS_ALIASES = {
    "正常": "normal",
    "关注": "special_mention",
    "次级": "substandard",
    "可疑": "doubtful",
    "损失": "loss",
}
TITLES = ("hnte", "tech_sme", "innovative_sme", "srdi", "little_giant", "single_champion")
TITLE_ALIASES = {
    "高新技术企业": "hnte",
    "高企": "hnte",
    "科技型中小企业": "tech_sme",
    "创新型中小企业": "innovative_sme",
    "专精特新中小企业": "srdi",
    "专精特新": "srdi",
    "专精特新小巨人": "little_giant",
    "小巨人": "little_giant",
    "制造业单项冠军": "single_champion",
    "单项冠军": "single_champion",
}


# How long a granted title lasts (official terms): 高企 3 years (国科发火〔2016〕32号), the
# 科技型中小企业 registration 1 year (国科发政〔2017〕115号), the MIIT ladder and the single
# champion 3 years. A certificate claiming longer is refused at ingest.
TITLE_TERM_YEARS = {
    "hnte": 3,
    "tech_sme": 1,
    "innovative_sme": 3,
    "srdi": 3,
    "little_giant": 3,
    "single_champion": 3,
}


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # uscc text int money money_wan share date quarter enum patent industry list
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    choice_aliases: Mapping[str, str] = field(default_factory=dict)
    signed: bool = False
    max_length: int = 300
    future: bool = False  # a date that may lie ahead (a maturity, the end of a validity)


@dataclass(frozen=True)
class Source:
    name: str
    label_zh: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    coded: bool = True  # records carry the enterprise's credit code

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def header_map(self) -> dict[str, str]:
        """Header text (English name or a Chinese alias, case- and width-folded) → field name."""
        mapping: dict[str, str] = {}
        for f in self.fields:
            for header in (f.name, *f.aliases):
                mapping[header_key(header)] = f.name
        return mapping


def header_key(header: str) -> str:
    return fold_text(str(header)).replace(" ", "").replace("_", "").lower()


AS_OF = Field("as_of", "date", True, ("数据日期", "截至日期", "统计日期"))
USCC = Field("uscc", "uscc", True, ("统一社会信用代码", "信用代码", "credit_code"))

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "registry",
            "工商登记",
            (
                USCC,
                Field("name", "text", True, ("企业名称", "名称")),
                Field("name_en", "text", False, ("英文名称",)),
                Field("former_names", "list", False, ("曾用名",)),
                Field("industry_code", "industry", True, ("行业代码", "国民经济行业代码")),
                Field("province", "text", False, ("省份", "所在省份"), max_length=32),
                Field("area_code", "text", False, ("行政区划代码",), max_length=6),
                Field("registered_on", "date", True, ("成立日期", "注册日期")),
                Field("registered_capital", "money", False, ("注册资本", "注册资本(元)")),
                Field("registered_capital_wan", "money_wan", False, ("注册资本(万元)",)),
                Field("legal_form", "text", False, ("企业类型",), max_length=64),
                Field(
                    "status",
                    "enum",
                    False,
                    ("登记状态",),
                    ("active", "revoked", "cancelled"),
                    {"存续": "active", "在业": "active", "吊销": "revoked", "注销": "cancelled"},
                ),
                AS_OF,
            ),
            ("uscc",),
        ),
        Source(
            "financials",
            "年度财务报表",
            (
                USCC,
                Field("year", "int", True, ("年度", "报表年度")),
                Field("revenue", "money", True, ("营业收入",)),
                Field("cost_of_sales", "money", True, ("营业成本",)),
                Field("net_profit", "money", True, ("净利润",), signed=True),
                Field("total_assets", "money", True, ("资产总额", "资产总计")),
                Field("total_liabilities", "money", True, ("负债总额", "负债合计")),
                Field("rd_expense", "money", True, ("研发费用",)),
                Field("rd_domestic", "money", False, ("境内研发费用",)),
                Field("inventory", "money", False, ("存货",)),
                Field("receivables", "money", False, ("应收账款",)),
                Field("payables", "money", False, ("应付账款",)),
                Field("prepayments", "money", False, ("预付账款",)),
                Field("advance_receipts", "money", False, ("预收账款",)),
                Field("employees", "int", True, ("从业人数", "职工人数")),
                Field("tech_staff", "int", False, ("科技人员数",)),
                AS_OF,
            ),
            ("uscc", "year"),
        ),
        Source(
            "social_security",
            "社保",
            (
                USCC,
                Field("quarter", "quarter", True, ("季度", "所属期")),
                Field("insured_staff", "int", True, ("参保人数",)),
                AS_OF,
            ),
            ("uscc", "quarter"),
        ),
        Source(
            "tax",
            "税务",
            (
                USCC,
                Field("quarter", "quarter", True, ("季度", "所属期")),
                Field("vat", "money", False, ("增值税", "增值税(元)")),
                Field("cit", "money", False, ("企业所得税", "企业所得税(元)")),
                Field("declared_revenue", "money", False, ("申报销售收入", "申报收入")),
                Field(
                    "tax_credit_grade", "enum", False, ("纳税信用等级",), ("A", "B", "M", "C", "D")
                ),
                AS_OF,
            ),
            ("uscc", "quarter"),
        ),
        Source(
            "customs",
            "海关",
            (
                USCC,
                Field("quarter", "quarter", True, ("季度",)),
                Field("exports", "money", True, ("出口额", "出口额(元)")),
                Field("imports", "money", False, ("进口额", "进口额(元)")),
                AS_OF,
            ),
            ("uscc", "quarter"),
        ),
        Source(
            "utilities",
            "水电",
            (
                USCC,
                Field("quarter", "quarter", True, ("季度",)),
                Field("power_kwh", "int", True, ("用电量", "用电量(千瓦时)")),
                Field("water_m3", "int", False, ("用水量", "用水量(立方米)")),
                AS_OF,
            ),
            ("uscc", "quarter"),
        ),
        Source(
            "patents",
            "知识产权",
            (
                Field("number", "patent", True, ("申请号", "专利号")),
                Field("applicants", "list", True, ("申请人", "专利权人")),
                Field("uscc", "uscc", False, ("统一社会信用代码",)),
                Field("title", "text", False, ("名称", "发明名称")),
                Field("filed_on", "date", True, ("申请日",)),
                Field("granted_on", "date", False, ("授权日", "授权公告日")),
                Field("status", "text", False, ("法律状态",), max_length=32),
                Field("ipc", "text", False, ("IPC", "分类号", "主分类号"), max_length=300),
                Field("forward_citations", "int", False, ("被引次数",)),
                Field("backward_citations", "int", False, ("引用次数",)),
                Field("claims", "int", False, ("权利要求数",)),
                AS_OF,
            ),
            ("number",),
            coded=False,
        ),
        Source(
            "credit_register",
            "征信",
            (
                USCC,
                Field("lender", "text", True, ("授信机构", "贷款机构")),
                Field("loan_ref", "text", True, ("业务编号", "借据号"), max_length=64),
                Field("balance", "money", True, ("余额", "贷款余额")),
                Field("classification", "enum", True, ("五级分类",), CLASSES, CLASS_ALIASES),
                Field("overdue_days", "int", False, ("逾期天数",)),
                Field("opened_on", "date", False, ("发放日期",)),
                Field("matures_on", "date", False, ("到期日期",), future=True),
                AS_OF,
            ),
            ("uscc", "lender", "loan_ref"),
        ),
        Source(
            "court",
            "司法",
            (
                USCC,
                Field(
                    "kind",
                    "enum",
                    True,
                    ("类型",),
                    ("enforcement", "dishonest"),
                    {"被执行人": "enforcement", "失信被执行人": "dishonest"},
                ),
                Field("case_no", "text", True, ("案号",), max_length=64),
                Field("court", "text", False, ("执行法院", "法院")),
                Field("filed_on", "date", True, ("立案日期",)),
                Field("amount", "money", False, ("执行标的", "金额")),
                Field("status", "text", False, ("状态",), max_length=32),
                AS_OF,
            ),
            ("uscc", "case_no", "kind"),
        ),
        Source(
            "tech_transfer",
            "科技成果转化",
            (
                Field("project_id", "text", True, ("项目编号", "合同登记号"), max_length=64),
                Field("title", "text", True, ("项目名称",)),
                Field("seller_name", "text", True, ("卖方", "转让方")),
                Field("buyer_name", "text", True, ("买方", "受让方")),
                Field("amount", "money", False, ("合同金额", "成交金额")),
                Field("signed_on", "date", True, ("签订日期",)),
                AS_OF,
            ),
            ("project_id",),
            coded=False,
        ),
        Source(
            "funding",
            "股权融资",
            (
                Field("investee_name", "text", True, ("融资企业", "企业名称")),
                Field("uscc", "uscc", False, ("统一社会信用代码",)),
                Field(
                    "stage",
                    "enum",
                    True,
                    ("轮次",),
                    ("angel", "pre_a", "a", "b", "c", "d_plus", "strategic", "other"),
                    {
                        "天使轮": "angel",
                        "pre-a": "pre_a",
                        "a轮": "a",
                        "b轮": "b",
                        "c轮": "c",
                        "战略投资": "strategic",
                    },
                ),
                Field("closed_on", "date", True, ("融资日期", "披露日期")),
                Field("amount", "money", True, ("融资金额", "融资金额(元)")),
                Field("post_money", "money", False, ("投后估值",)),
                Field("lead_investor", "text", False, ("领投方", "投资方")),
                AS_OF,
            ),
            ("investee_name", "stage", "closed_on"),
            coded=False,
        ),
        Source(
            "shareholders",
            "股东",
            (
                USCC,
                Field("shareholder_name", "text", True, ("股东名称", "股东")),
                Field("shareholder_uscc", "uscc", False, ("股东统一社会信用代码",)),
                Field("share", "share", True, ("持股比例", "出资比例")),
                AS_OF,
            ),
            ("uscc", "shareholder_name"),
        ),
        Source(
            "titles",
            "资质称号",
            (
                USCC,
                Field("title", "enum", True, ("称号", "资质"), TITLES, TITLE_ALIASES),
                Field("certificate_no", "text", True, ("证书编号", "编号"), max_length=64),
                Field("issuer", "text", True, ("认定机构", "发证机关")),
                Field("valid_from", "date", True, ("发证日期", "有效期起")),
                Field("valid_to", "date", True, ("有效期至", "有效期止"), future=True),
                AS_OF,
            ),
            ("uscc", "title", "certificate_no"),
        ),
    )
}


@dataclass
class RowResult:
    record: dict[str, Any] | None
    reasons: list[str]
    normalisations: list[str]


_EMPTY = ("", "-", "—", "null", "none", "n/a")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _EMPTY)


def _number_text(value: Any) -> tuple[str, list[str]]:
    notes: list[str] = []
    text = str(value).strip()
    folded = fold_text(text).replace(" ", "")
    if folded != text.replace(" ", ""):
        notes.append("full-width characters folded")
    if "," in folded:
        folded = folded.replace(",", "")
        notes.append("thousands separators removed")
    return folded, notes


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = fold_text(str(value)).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")


def _convert(f: Field, value: Any, today: dt.date) -> tuple[Any, list[str]]:
    """Convert one present value; raise ValueError with the reason."""
    notes: list[str] = []
    if f.kind == "uscc":
        check = uscc_codes.validate(str(value))
        if not check.valid:
            raise ValueError("; ".join(check.errors))
        return check.normalised, list(check.normalisations)
    if f.kind == "patent":
        check = patent_codes.validate(str(value))
        if not check.valid:
            raise ValueError("; ".join(check.errors))
        return check.normalised, list(check.normalisations)
    if f.kind == "industry":
        check = industry_codes.validate(str(value))
        if not check.valid:
            raise ValueError("; ".join(check.errors))
        return check.normalised, list(check.normalisations)
    if f.kind == "text":
        text = str(value).strip()
        folded = (
            fold_text(text)
            if text.isascii() is False and any(0xFF01 <= ord(c) <= 0xFF5E for c in text)
            else text
        )
        if len(folded) > f.max_length:
            raise ValueError(f"longer than {f.max_length} characters")
        return folded, notes
    if f.kind == "list":
        parts = [p.strip() for p in re.split(r"[;；、|]", str(value)) if p.strip()]
        if not parts:
            raise ValueError("empty list")
        return parts, notes
    if f.kind == "int":
        text, notes = _number_text(value)
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not a whole number: {value!r}") from exc
        if number != number.to_integral_value():
            raise ValueError(f"not a whole number: {value!r}")
        if number < 0:
            raise ValueError("must not be negative")
        return int(number), notes
    if f.kind in ("money", "money_wan"):
        text, notes = _number_text(value)
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {value!r}") from exc
        if not amount.is_finite():
            raise ValueError(f"not an amount: {value!r}")
        if amount < 0 and not f.signed:
            raise ValueError("must not be negative")
        if f.kind == "money_wan":
            amount = amount * WAN
            notes.append("万元 converted to yuan")
        rounded = cents(amount)
        if rounded != amount:
            raise ValueError(f"more than two decimal places of yuan: {value!r}")
        return rounded, notes
    if f.kind == "share":
        text, notes = _number_text(value)
        percent = text.endswith("%")
        try:
            share = Decimal(text.rstrip("%"))
        except InvalidOperation as exc:
            raise ValueError(f"not a share: {value!r} (use 0.35 or 35%)") from exc
        if percent or share > 1:
            share = share / 100
            notes.append("percent read as a fraction")
        if not Decimal(0) < share <= Decimal(1):
            raise ValueError(f"a share is more than 0 and at most 100 %, got {value!r}")
        return share, notes
    if f.kind == "date":
        day = _parse_date(value)
        if day > today and not f.future:
            raise ValueError(f"{day} is in the future")
        return day, notes
    if f.kind == "quarter":
        match = QUARTER.match(fold_text(str(value)).strip())
        if not match:
            raise ValueError(f"not a quarter: {value!r} (use 2025Q3)")
        year, quarter = int(match.group(1)), int(match.group(2))
        if dt.date(year, 3 * quarter - 2, 1) > today:
            raise ValueError(f"{year}Q{quarter} has not begun")
        return f"{year}Q{quarter}", notes
    if f.kind == "enum":
        text = str(value).strip()
        if text in f.choices:
            return text, notes
        alias = f.choice_aliases.get(text) or f.choice_aliases.get(text.lower())
        if alias:
            return alias, [f"{text!r} read as {alias!r}"]
        lowered = (
            fold_text(text).lower() if f.choices and f.choices[0].islower() else fold_text(text)
        )
        if lowered in f.choices:
            return lowered, [f"{text!r} read as {lowered!r}"]
        raise ValueError(f"must be one of {', '.join(f.choices)}; got {text!r}")
    raise AssertionError(f"unknown field kind {f.kind}")


def validate_row(source: Source, raw: Mapping[str, Any], today: dt.date) -> RowResult:
    """Validate one raw row (keys already mapped to field names)."""
    reasons: list[str] = []
    notes: list[str] = []
    record: dict[str, Any] = {}
    for f in source.fields:
        value = raw.get(f.name)
        if _blank(value):
            if f.required:
                reasons.append(f"{f.name}: required")
            record[f.name] = None
            continue
        try:
            converted, changed = _convert(f, value, today)
        except ValueError as exc:
            reasons.append(f"{f.name}: {exc}")
            continue
        record[f.name] = converted
        notes.extend(f"{f.name}: {n}" for n in changed)
    if "registered_capital_wan" in record:
        wan = record.pop("registered_capital_wan")
        if record.get("registered_capital") is None and wan is not None:
            record["registered_capital"] = wan
    as_of = record.get("as_of")
    if isinstance(as_of, dt.date):
        for f in source.fields:
            value = record.get(f.name)
            later_allowed = f.name in ("as_of", "matures_on", "valid_to")
            if (
                f.kind == "date"
                and not later_allowed
                and isinstance(value, dt.date)
                and value > as_of
            ):
                reasons.append(f"{f.name}: {value} is after the record's as_of {as_of}")
    if source.name == "financials" and not reasons:
        year, as_of_day = record["year"], record["as_of"]
        if year < 1949 or dt.date(year, 12, 31) > as_of_day:
            reasons.append(f"year: {year} has not closed by the record's as_of {as_of_day}")
        elif record["rd_domestic"] is not None and record["rd_domestic"] > record["rd_expense"]:
            reasons.append("rd_domestic: more than rd_expense")
    if source.name == "titles" and not reasons and record["valid_to"] <= record["valid_from"]:
        reasons.append("valid_to: must be after valid_from")
    if source.name == "titles" and not reasons:
        term = TITLE_TERM_YEARS[record["title"]]
        if record["valid_to"] > _plus_years(record["valid_from"], term):
            reasons.append(
                f"valid_to: a {record['title']} title lasts at most {term} year(s) "
                f"from {record['valid_from']}"
            )
    if source.name == "patents" and not reasons:
        granted = record.get("granted_on")
        if granted is not None and granted < record["filed_on"]:
            reasons.append("granted_on: before filed_on")
    return RowResult(None if reasons else record, reasons, notes)


def natural_key(source: Source, record: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(record[k] for k in source.key)


def get(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; one of {', '.join(SOURCES)}") from None
