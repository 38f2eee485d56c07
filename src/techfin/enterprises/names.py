"""Enterprise name normalisation for entity resolution (guidance art. 16, shared data hub).

Records that carry no unified social credit code — patent applicants and owners, investors'
funding records, tech-transfer contracts — name an enterprise the way a clerk typed it:
full-width letters, 有限公司 for 有限责任公司, a branch (北京分公司) after the company, the
place in brackets (华为技术(深圳)有限公司), an English name on a foreign family member, or
several co-applicants in one field joined by ；/;/、. This module turns such a string into
comparable parts (`ParsedName`) so that `techfin.enterprises.resolution` can compare like with
like. Everything here is pure string work: no I/O, no database.

What is exact: width folding (Unicode NFKC), punctuation, the legal-form table (Company Law
terms: 有限责任公司 and 有限公司 are the same form; 股份有限公司 is a joint-stock company),
the province / city prefix table (GB/T 2260 names of provinces and the larger prefecture-level
cities, with their pinyin for English names). What is judged: where a branch suffix begins and
how a co-applicant field is split (see `split_applicants`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "LEGAL_FORMS",
    "ParsedName",
    "fold_width",
    "normalize",
    "parse_name",
    "pinyin_key",
    "place_of_address",
    "split_applicants",
]

# --- places -------------------------------------------------------------------------------
# Province-level divisions: (full name, short name, pinyin).
_PROVINCES: tuple[tuple[str, str, str], ...] = (
    ("北京市", "北京", "beijing"),
    ("天津市", "天津", "tianjin"),
    ("河北省", "河北", "hebei"),
    ("山西省", "山西", "shanxi"),
    ("内蒙古自治区", "内蒙古", "inner mongolia"),
    ("辽宁省", "辽宁", "liaoning"),
    ("吉林省", "吉林", "jilin"),
    ("黑龙江省", "黑龙江", "heilongjiang"),
    ("上海市", "上海", "shanghai"),
    ("江苏省", "江苏", "jiangsu"),
    ("浙江省", "浙江", "zhejiang"),
    ("安徽省", "安徽", "anhui"),
    ("福建省", "福建", "fujian"),
    ("江西省", "江西", "jiangxi"),
    ("山东省", "山东", "shandong"),
    ("河南省", "河南", "henan"),
    ("湖北省", "湖北", "hubei"),
    ("湖南省", "湖南", "hunan"),
    ("广东省", "广东", "guangdong"),
    ("广西壮族自治区", "广西", "guangxi"),
    ("海南省", "海南", "hainan"),
    ("重庆市", "重庆", "chongqing"),
    ("四川省", "四川", "sichuan"),
    ("贵州省", "贵州", "guizhou"),
    ("云南省", "云南", "yunnan"),
    ("西藏自治区", "西藏", "tibet"),
    ("陕西省", "陕西", "shaanxi"),
    ("甘肃省", "甘肃", "gansu"),
    ("青海省", "青海", "qinghai"),
    ("宁夏回族自治区", "宁夏", "ningxia"),
    ("新疆维吾尔自治区", "新疆", "xinjiang"),
    ("香港特别行政区", "香港", "hong kong"),
    ("澳门特别行政区", "澳门", "macau"),
    ("台湾省", "台湾", "taiwan"),
)
# Prefecture-level cities (short name, pinyin): provincial capitals, sub-provincial cities and
# the larger cities where tech enterprises concentrate. Municipalities are provinces above.
_CITIES: tuple[tuple[str, str], ...] = (
    ("石家庄", "shijiazhuang"),
    ("唐山", "tangshan"),
    ("保定", "baoding"),
    ("廊坊", "langfang"),
    ("太原", "taiyuan"),
    ("呼和浩特", "hohhot"),
    ("包头", "baotou"),
    ("沈阳", "shenyang"),
    ("大连", "dalian"),
    ("鞍山", "anshan"),
    ("长春", "changchun"),
    ("吉林", "jilin"),
    ("哈尔滨", "harbin"),
    ("大庆", "daqing"),
    ("南京", "nanjing"),
    ("苏州", "suzhou"),
    ("无锡", "wuxi"),
    ("常州", "changzhou"),
    ("南通", "nantong"),
    ("扬州", "yangzhou"),
    ("镇江", "zhenjiang"),
    ("徐州", "xuzhou"),
    ("泰州", "taizhou"),
    ("盐城", "yancheng"),
    ("杭州", "hangzhou"),
    ("宁波", "ningbo"),
    ("温州", "wenzhou"),
    ("嘉兴", "jiaxing"),
    ("绍兴", "shaoxing"),
    ("金华", "jinhua"),
    ("湖州", "huzhou"),
    ("台州", "taizhou"),
    ("合肥", "hefei"),
    ("芜湖", "wuhu"),
    ("蚌埠", "bengbu"),
    ("福州", "fuzhou"),
    ("厦门", "xiamen"),
    ("泉州", "quanzhou"),
    ("南昌", "nanchang"),
    ("赣州", "ganzhou"),
    ("济南", "jinan"),
    ("青岛", "qingdao"),
    ("烟台", "yantai"),
    ("潍坊", "weifang"),
    ("淄博", "zibo"),
    ("威海", "weihai"),
    ("郑州", "zhengzhou"),
    ("洛阳", "luoyang"),
    ("新乡", "xinxiang"),
    ("武汉", "wuhan"),
    ("襄阳", "xiangyang"),
    ("宜昌", "yichang"),
    ("长沙", "changsha"),
    ("株洲", "zhuzhou"),
    ("湘潭", "xiangtan"),
    ("广州", "guangzhou"),
    ("深圳", "shenzhen"),
    ("珠海", "zhuhai"),
    ("佛山", "foshan"),
    ("东莞", "dongguan"),
    ("中山", "zhongshan"),
    ("惠州", "huizhou"),
    ("江门", "jiangmen"),
    ("汕头", "shantou"),
    ("南宁", "nanning"),
    ("柳州", "liuzhou"),
    ("桂林", "guilin"),
    ("海口", "haikou"),
    ("三亚", "sanya"),
    ("成都", "chengdu"),
    ("绵阳", "mianyang"),
    ("德阳", "deyang"),
    ("宜宾", "yibin"),
    ("贵阳", "guiyang"),
    ("遵义", "zunyi"),
    ("昆明", "kunming"),
    ("拉萨", "lhasa"),
    ("西安", "xi'an"),
    ("宝鸡", "baoji"),
    ("咸阳", "xianyang"),
    ("兰州", "lanzhou"),
    ("西宁", "xining"),
    ("银川", "yinchuan"),
    ("乌鲁木齐", "urumqi"),
)

_SHORT_BY_FULL: dict[str, str] = {full: short for full, short, _ in _PROVINCES}
_PROVINCE_SHORT: frozenset[str] = frozenset(short for _, short, _ in _PROVINCES)
_MUNICIPALITIES: frozenset[str] = frozenset({"北京", "天津", "上海", "重庆", "香港", "澳门"})
_CITY_SHORT: frozenset[str] = frozenset(c for c, _ in _CITIES) | _MUNICIPALITIES
_CITIES_LONGEST_FIRST: tuple[str, ...] = tuple(sorted(_CITY_SHORT, key=lambda c: (-len(c), c)))
# Every written form of a place that can open a name → its short name.
_PROVINCE_FORMS: dict[str, str] = {}
for _full, _short, _ in _PROVINCES:
    for _form in (_full, _short + "省", _short + "市", _short):
        _PROVINCE_FORMS.setdefault(_form, _short)
_CITY_FORMS: dict[str, str] = {}
for _city in _CITIES_LONGEST_FIRST:
    for _form in (_city + "市", _city):
        _CITY_FORMS.setdefault(_form, _city)
_PROVINCE_LENGTHS = tuple(sorted({len(f) for f in _PROVINCE_FORMS}, reverse=True))
_CITY_LENGTHS = tuple(sorted({len(f) for f in _CITY_FORMS}, reverse=True))
_PINYIN_PLACE: dict[str, str] = {py: short for _, short, py in _PROVINCES} | {
    py.replace("'", ""): c for c, py in _CITIES
}
_PINYIN_PLACE.update({py: c for c, py in _CITIES})

# --- legal forms ----------------------------------------------------------------------------
#: Chinese legal-form suffixes → canonical form, longest first so that 股份有限公司 wins over
#: 有限公司. 有限责任公司 and 有限公司 are the same form under the Company Law.
LEGAL_FORMS: tuple[tuple[str, str], ...] = (
    ("集团股份有限公司", "joint_stock"),
    ("股份有限公司", "joint_stock"),
    ("集团有限责任公司", "limited_liability"),
    ("集团有限公司", "limited_liability"),
    ("有限责任公司", "limited_liability"),
    ("有限公司", "limited_liability"),
    ("股份公司", "joint_stock"),
    ("(特殊普通合伙)", "partnership"),
    ("(普通合伙)", "partnership"),
    ("(有限合伙)", "partnership"),
    ("合伙企业", "partnership"),
    ("集团公司", "company"),
    ("公司", "company"),
)
# Institutions that are not companies but do apply for patents and sign transfer contracts.
_INSTITUTION_WORDS: tuple[str, ...] = (
    "大学",
    "学院",
    "研究院",
    "研究所",
    "研究中心",
    "实验室",
    "医院",
    "科学院",
    "学校",
)
_BRANCH_WORDS: tuple[str, ...] = (
    "分公司",
    "分厂",
    "分店",
    "办事处",
    "代表处",
    "营业部",
    "分部",
    "分所",
    "研发中心",
)
# English legal-form and generic words, stripped from the end of an English name.
_EN_LEGAL: dict[str, str] = {
    "co ltd": "limited_liability",
    "company limited": "limited_liability",
    "co limited": "limited_liability",
    "limited": "limited_liability",
    "ltd": "limited_liability",
    "llc": "limited_liability",
    "gmbh": "limited_liability",
    "corporation": "company",
    "corp": "company",
    "incorporated": "company",
    "inc": "company",
    "company": "company",
    "co": "company",
    "plc": "joint_stock",
    "ag": "joint_stock",
    "sa": "joint_stock",
}
_EN_GENERIC_TAIL: frozenset[str] = frozenset(
    {"technology", "technologies", "tech", "science", "sci", "and", "group", "holdings"}
)
# Generic words at the end of a Chinese core that name no one (kept in `core`, dropped in `stem`).
_ZH_GENERIC_TAIL: tuple[str, ...] = ("科技", "技术", "实业", "发展", "集团", "控股", "国际")
_BRACKET_GENERIC: frozenset[str] = frozenset({"中国", "集团", "控股"})

_CJK = re.compile(r"[\u3400-\u9fff]")
_SPACE = re.compile(r"\s+")
_SPACE_NEAR_CJK = re.compile(r"\s+(?=[\u3400-\u9fff()])|(?<=[\u3400-\u9fff()])\s+")
# Punctuation dropped everywhere (quotes, dots, middle dots, dashes, book-title marks).
_DROP = re.compile(r"[\"'`“”‘’《》〈〉<>·・•\-_—–~!?#*+=|\\/^$@%]")
_OPEN = "([{【〔〖［｛"
_CLOSE = ")]}】〕〗］｝"
_BRACKETS = str.maketrans({**{c: "(" for c in _OPEN}, **{c: ")" for c in _CLOSE}})
_SEPARATORS = re.compile(r"[;、\n]+")


def fold_width(text: str) -> str:
    """Full-width letters, digits, punctuation and the ideographic space folded to ASCII."""
    return unicodedata.normalize("NFKC", text)


def normalize(text: str) -> str:
    """One canonical spelling of a name: NFKC width folding, ASCII lowercase, one kind of
    bracket, quotes and dashes removed, no spaces next to Chinese characters, single spaces
    between Latin words. Idempotent.
    """
    s = fold_width(text).translate(_BRACKETS)
    s = _DROP.sub(" ", s)
    s = s.replace(",", " ").replace(".", " ").replace("&", " and ").lower()
    s = _SPACE.sub(" ", s).strip()
    if _CJK.search(s):
        # drop spaces that touch a CJK character or a bracket; keep them between Latin words
        s = _SPACE_NEAR_CJK.sub("", s)
    s = s.replace("()", "")
    return s


@dataclass(frozen=True, slots=True)
class ParsedName:
    """The comparable parts of one enterprise name.

    - `normalized`: `normalize(raw)`;
    - `script`: "zh" when the name holds Chinese characters, else "en";
    - `kind`: "company", "institution" (university, institute, hospital) or "person";
    - `legal_form`: limited_liability / joint_stock / partnership / company / None;
    - `province`, `city`: short Chinese names (北京, 深圳) from the name's prefix or a place in
      brackets, or from the leading pinyin of an English name; None when the name has none;
    - `branch`: the branch suffix (北京分公司) when the name is a branch, else None;
      `branch_place` its place (北京) when it begins with one;
    - `core`: the name without place prefix, legal form and branch — the part that identifies;
    - `stem`: `core` without trailing generic words (科技, 技术, technology…);
    - `brand`: the first two characters of a Chinese core (the usual 字号 length), the first
      word of an English core;
    - `core_py`, `brand_py`: `pinyin_key` of core and brand — equal for homophones typed
      through a pinyin input method (睿/瑞), and comparable with an English name's pinyin.
    """

    raw: str
    normalized: str
    script: str
    kind: str
    legal_form: str | None
    province: str | None
    city: str | None
    branch: str | None
    branch_place: str | None
    core: str
    stem: str
    brand: str
    core_py: str
    brand_py: str


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[int, str | None]:
    """str.translate table: code point → toneless first reading; whitespace → removed."""
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[int, str | None] = {}
    for code, readings in pinyin_dict.items():
        first = unicodedata.normalize("NFD", readings.split(",")[0])
        table[code] = "".join(c for c in first if not unicodedata.combining(c))
    for ws in " \t\n\r\u3000":
        table[ord(ws)] = None
    return table


def pinyin_key(text: str) -> str:
    """Toneless pinyin of each Chinese character (its first reading), other characters kept,
    spaces dropped: 新弘信息 → "xinhongxinxi". A key for homophones, not a transliteration.
    """
    return text.translate(_pinyin_table())


def _longest_prefix(s: str, table: dict[str, str], lengths: tuple[int, ...]) -> str | None:
    """The table key that is the longest proper prefix of `s`, if any."""
    for k in lengths:
        if len(s) > k:
            hit = s[:k]
            if hit in table:
                return hit
    return None


def _strip_prefix_place(s: str) -> tuple[str, str | None, str | None]:
    """Remove a leading province and/or city; return (rest, province, city)."""
    province: str | None = None
    city: str | None = None
    form = _longest_prefix(s, _PROVINCE_FORMS, _PROVINCE_LENGTHS)
    if form is not None:
        province, s = _PROVINCE_FORMS[form], s[len(form) :]
    if province in _MUNICIPALITIES:
        city = province
    else:
        form = _longest_prefix(s, _CITY_FORMS, _CITY_LENGTHS)
        if form is not None:
            city, s = _CITY_FORMS[form], s[len(form) :]
    # A lone "市"/"省" left by a place not in the table is kept in the core, not guessed at.
    return s, province, city


def _place_of(text: str) -> str | None:
    """The short place name when `text` is exactly a province or city name."""
    t = text.removesuffix("市").removesuffix("省")
    if text in _SHORT_BY_FULL:
        return _SHORT_BY_FULL[text]
    if t in _PROVINCE_SHORT or t in _CITY_SHORT:
        return t
    return None


def _parse_zh(s: str) -> tuple[str, str | None, str | None, str | None, str | None, str | None]:
    """(core, legal_form, province, city, branch, branch_place) of a normalised Chinese name."""
    branch: str | None = None
    branch_place: str | None = None
    # A branch suffix follows the parent's legal form: "…有限公司北京分公司".
    for word in _BRANCH_WORDS:
        if s.endswith(word):
            cut = s.rfind("公司", 0, len(s) - len(word))
            if cut >= 0:
                head, tail = s[: cut + 2], s[cut + 2 :]
            else:
                head, tail = s[: len(s) - len(word)], word
            if head:
                branch, s = tail, head
                inner = tail[: len(tail) - len(word)].strip("()")
                branch_place = _place_of(inner) if inner else None
            break
    legal_form: str | None = None
    for suffix, form in LEGAL_FORMS:
        if s.endswith(suffix) and len(s) > len(suffix):
            legal_form, s = form, s[: -len(suffix)]
            break
    # Places or generic words in brackets: "华为技术(深圳)有限公司", "某某(中国)有限公司".
    bracket_place: str | None = None

    def _bracket(m: re.Match[str]) -> str:
        nonlocal bracket_place
        inner = m.group(1)
        place = _place_of(inner)
        if place is not None:
            bracket_place = bracket_place or place
            return ""
        return "" if inner in _BRACKET_GENERIC else inner

    s = re.sub(r"\(([^()]*)\)", _bracket, s)
    s, province, city = _strip_prefix_place(s)
    if bracket_place is not None and city is None:
        if bracket_place in _CITY_SHORT:
            city = bracket_place
            if bracket_place in _MUNICIPALITIES:
                province = province or bracket_place
        else:
            province = province or bracket_place
    return s, legal_form, province, city, branch, branch_place


def _parse_en(s: str) -> tuple[str, str | None, str | None, str | None, str | None]:
    """(core, legal_form, province, city, branch) of a normalised English name."""
    s = s.replace("(", " ").replace(")", " ")
    words = s.split()
    branch: str | None = None
    if len(words) >= 2 and words[-1] == "branch":
        # "… co ltd beijing branch"
        j = len(words) - 1
        while j > 0 and words[j - 1] not in _EN_LEGAL:
            j -= 1
        if j > 0:
            branch = " ".join(words[j:])
            words = words[:j]
    legal_form: str | None = None
    changed = True
    while changed and len(words) > 1:
        changed = False
        for n in (2, 1):
            tail = " ".join(words[-n:])
            if len(words) > n and tail in _EN_LEGAL:
                legal_form = legal_form or _EN_LEGAL[tail]
                words = words[:-n]
                changed = True
                break
    province: str | None = None
    city: str | None = None
    for n in (2, 1):
        head = " ".join(words[:n])
        if len(words) > n and head in _PINYIN_PLACE:
            place = _PINYIN_PLACE[head]
            if place in _CITY_SHORT:
                city = place
                if place in _MUNICIPALITIES:
                    province = place
            else:
                province = place
            words = words[n:]
            break
    return " ".join(words), legal_form, province, city, branch


def place_of_address(address: str) -> tuple[str | None, str | None]:
    """(province, city) short names from the start of an address (广东省深圳市南山区… →
    (广东, 深圳)); (None, None) when it begins with no known place.
    """
    _, province, city = _strip_prefix_place(normalize(address))
    if city is not None and province is None and city in _MUNICIPALITIES:
        province = city
    return province, city


def _zh_stem(core: str) -> str:
    stem = core
    changed = True
    while changed:
        changed = False
        for word in _ZH_GENERIC_TAIL:
            if stem.endswith(word) and len(stem) > len(word) + 1:
                stem = stem[: -len(word)]
                changed = True
    return stem


def _looks_like_person(s: str) -> bool:
    """A 2–4 character Chinese string with no organisation word: an inventor, not a firm."""
    return 2 <= len(s) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in s)


@lru_cache(maxsize=262_144)
def parse_name(raw: str) -> ParsedName:
    """Split one enterprise name into comparable parts (see `ParsedName`)."""
    s = normalize(raw)
    if _CJK.search(s):
        core, legal_form, province, city, branch, branch_place = _parse_zh(s)
        kind = "company"
        if legal_form is None and any(w in core for w in _INSTITUTION_WORDS):
            kind = "institution"
        elif legal_form is None and branch is None and _looks_like_person(s):
            kind = "person"
        stem = _zh_stem(core)
        brand = core[:2]
        script = "zh"
    else:
        core, legal_form, province, city, branch = _parse_en(s)
        branch_place = _PINYIN_PLACE.get(branch.removesuffix(" branch")) if branch else None
        words = core.split()
        while len(words) > 1 and words[-1] in _EN_GENERIC_TAIL:
            words = words[:-1]
        stem = " ".join(words)
        brand = words[0] if words else ""
        kind = "company"
        if legal_form is None and re.search(r"\b(university|institute|academy|hospital)\b", s):
            kind = "institution"
        script = "en"
    if not core:
        core = stem = s
        brand = s[:2]
    return ParsedName(
        core_py=pinyin_key(core),
        brand_py=pinyin_key(brand),
        raw=raw,
        normalized=s,
        script=script,
        kind=kind,
        legal_form=legal_form,
        province=province,
        city=city,
        branch=branch,
        branch_place=branch_place,
        core=core,
        stem=stem,
        brand=brand,
    )


_ORG_END = tuple(f for f, _ in LEGAL_FORMS) + _INSTITUTION_WORDS + _BRANCH_WORDS


def split_applicants(text: str) -> list[str]:
    """Split a co-applicant field into one string per applicant, in order.

    Always splits on ；/; and 、 (full- or half-width) and on line breaks. A comma (，/,) splits
    only a field with Chinese in it, and not between two Latin characters (English names hold
    commas: "Co., Ltd.") unless it follows an organisation ending (…公司, …大学, …分公司).
    Empty parts are dropped; parts are stripped but otherwise returned as written.
    """
    folded = fold_width(text)
    parts: list[str] = []
    for piece in _SEPARATORS.split(folded):
        piece = piece.strip()
        if not piece:
            continue
        if _CJK.search(piece) and "," in piece:
            # Chinese names hold no comma: split at every comma not inside Latin text.
            start = 0
            for m in re.finditer(",", piece):
                before = piece[start : m.start()].rstrip()
                after = piece[m.end() :].lstrip()
                latin = bool(before) and before[-1].isascii() and bool(after) and after[0].isascii()
                if not latin or before.endswith(_ORG_END):
                    parts.append(before)
                    start = m.end()
            rest = piece[start:].strip()
            if rest:
                parts.append(rest)
        else:
            parts.append(piece)
    return [p for p in parts if p]
