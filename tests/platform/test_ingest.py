"""Ingest into the hub: good rows kept, bad rows quarantined with precise reasons, unambiguous
input normalised and reported, the same file twice changes nothing, a crash leaves nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from techfin.app import create_app
from techfin.codes.uscc import build
from techfin.services import ingest
from techfin.services.context import Actor
from techfin.services.errors import ValidationFailed
from techfin.store.tables import (
    Enterprise,
    LoadBatch,
    QuarantinedRow,
    SocialSecurityRecord,
)

SYSTEM = Actor.system("test")
TODAY = dt.date(2026, 11, 27)
A = build("9", "1", "110108", "MA01AB2C")
B = build("9", "1", "310115", "MA1FL3D4")
C = build("9", "1", "440300", "MA5G7K8E")

REGISTRY_HEADER = "统一社会信用代码,企业名称,行业代码,成立日期,注册资本(万元),数据日期\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def count(db, model):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def load_registry(db, tmp_path):
    text = REGISTRY_HEADER + "".join(
        f"{code},{name},6513,2015-03-0{i + 1},500,2026-10-31\n"
        for i, (code, name) in enumerate(
            ((A, "北京甲科技有限公司"), (B, "上海乙智能有限公司"), (C, "深圳丙"))
        )
    )
    return ingest.ingest_file(db, SYSTEM, "registry", write(tmp_path, "reg.csv", text), today=TODAY)


def test_registry_in_gbk_with_chinese_headers_is_decoded_and_reported(db, tmp_path):
    text = REGISTRY_HEADER + f"{A},北京甲科技有限公司,6513,2015-03-01,500,2026-10-31\n"
    report = ingest.ingest_file(
        db, SYSTEM, "registry", write(tmp_path, "r.csv", text, "gbk"), today=TODAY
    )
    assert (report.read, report.loaded, report.quarantined) == (1, 1, 0)
    assert "decoded as GBK/GB18030 and stored as UTF-8" in report.file_notes
    with db.read() as s:
        e = s.scalar(select(Enterprise))
        assert e.name == "北京甲科技有限公司" and e.registered_capital == 5000000  # 万元 → yuan
    assert report.normalisations["registered_capital_wan: 万元 converted to yuan"] == 1


def test_bad_codes_get_precise_reasons_and_unambiguous_ones_are_normalised(db, tmp_path):
    wrong_check = A[:-1] + ("0" if A[-1] != "0" else "1")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in B)
    rows = [
        (wrong_check, "check"),
        (A[:17], "short"),
        (A + "1", "long"),
        (C.lower(), "lower"),
        (fullwidth, "fullwidth"),
        (A[:8] + "I" + A[9:], "letter I"),
        (A, "future"),
    ]
    text = REGISTRY_HEADER + "".join(
        f"{code},{name},6513,{'2027-01-01' if name == 'future' else '2015-03-01'},500,2026-10-31\n"
        for code, name in rows
    )
    report = ingest.ingest_file(db, SYSTEM, "registry", write(tmp_path, "r.csv", text), today=TODAY)
    assert report.read == 7 and report.loaded == 2 and report.quarantined == 5
    assert count(db, QuarantinedRow) == 5
    with db.read() as s:
        codes = set(s.scalars(select(Enterprise.uscc)))
        quarantined = {q.row_number: q.reasons for q in s.scalars(select(QuarantinedRow))}
    assert codes == {C, B}  # lowercase and full-width normalised, then loaded
    assert any("check" in r for r in quarantined[2])
    assert any("18" in r for r in quarantined[3]) and any("18" in r for r in quarantined[4])
    assert any("I" in r for r in quarantined[7])
    assert quarantined[8] == ["registered_on: 2027-01-01 is in the future"]
    assert any(k.startswith("uscc:") for k in report.normalisations)


def test_duplicates_truncated_rows_and_unknown_enterprises(db, tmp_path):
    load_registry(db, tmp_path)
    text = (
        "uscc,quarter,insured_staff,as_of\n"
        f"{A},2026Q2,120,2026-07-31\n"
        f"{A},2026Q2,120,2026-07-31\n"  # exact duplicate
        f"{A},2026Q2,121,2026-07-31\n"  # same key, other value
        f"{build('9', '1', '110108', 'MA9X8Y7W')},2026Q2,5,2026-07-31\n"  # not in registry
        f"{B},2026Q9,5,2026-07-31\n"  # no such quarter
        f"{B},2026Q2,-3,2026-07-31\n"  # negative
        f"{C},2026Q2,4"  # cut off mid-row
    )
    report = ingest.ingest_file(
        db, SYSTEM, "social_security", write(tmp_path, "ss.csv", text), today=TODAY
    )
    assert (report.read, report.loaded, report.duplicates, report.quarantined) == (7, 1, 1, 5)
    with db.read() as s:
        reasons = {q.row_number: q.reasons for q in s.scalars(select(QuarantinedRow))}
    assert reasons[4] == ["same key as row 2 of this file with different values"]
    assert "no registry record" in reasons[5][0]
    assert reasons[6][0].startswith("quarter: not a quarter")
    assert reasons[7] == ["insured_staff: must not be negative"]
    assert reasons[8][0].startswith("row cut off: expected 4 fields, got 3")


def test_reloading_the_same_file_changes_nothing(db, tmp_path):
    first = load_registry(db, tmp_path)
    again = load_registry(db, tmp_path)
    assert again.repeat and again.batch == first.batch and again.loaded == first.loaded
    assert count(db, LoadBatch) == 1 and count(db, Enterprise) == 3


def test_newer_record_replaces_older_and_older_is_refused(db, tmp_path):
    load_registry(db, tmp_path)
    header = "uscc,quarter,insured_staff,as_of\n"
    ingest.ingest_file(
        db,
        SYSTEM,
        "social_security",
        write(tmp_path, "a.csv", header + f"{A},2026Q2,100,2026-07-31\n"),
        today=TODAY,
    )
    newer = ingest.ingest_file(
        db,
        SYSTEM,
        "social_security",
        write(tmp_path, "b.csv", header + f"{A},2026Q2,104,2026-08-31\n"),
        today=TODAY,
    )
    older = ingest.ingest_file(
        db,
        SYSTEM,
        "social_security",
        write(tmp_path, "c.csv", header + f"{A},2026Q2,99,2026-06-30\n"),
        today=TODAY,
    )
    assert newer.updated == 1 and older.quarantined == 1
    with db.read() as s:
        assert s.scalar(select(SocialSecurityRecord.insured_staff)) == 104


def test_xlsx_with_merged_header_cells_is_rejected_with_the_reason(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业信息", None, "数据日期"])
    ws.merge_cells("B1:C1")
    ws.append([A, "北京甲", "6513", "2026-10-31"])
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    report = ingest.ingest_file(db, SYSTEM, "registry", path, today=TODAY)
    assert report.rejected == "header cells B1:C1 are merged: give each column its own header cell"
    assert report.loaded == 0 and count(db, Enterprise) == 0


def test_xlsx_with_dates_as_cells_loads(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "行业代码", "成立日期", "数据日期"])
    ws.append([A, "北京甲", "6513", dt.datetime(2015, 3, 1), dt.datetime(2026, 10, 31)])
    path = tmp_path / "ok.xlsx"
    wb.save(path)
    report = ingest.ingest_file(db, SYSTEM, "registry", path, today=TODAY)
    assert report.loaded == 1 and report.rejected is None


def test_jsonl_with_a_broken_line(db, tmp_path):
    load_registry(db, tmp_path)
    lines = [
        json.dumps(
            {
                "uscc": A,
                "year": 2025,
                "revenue": "32,000,000.00",
                "cost_of_sales": 2e7,
                "net_profit": "-150000",
                "total_assets": 45000000,
                "total_liabilities": 18000000,
                "rd_expense": 2600000,
                "employees": 85,
                "as_of": "2026-05-31",
            }
        ),
        "{not json",
        json.dumps(
            {
                "uscc": B,
                "year": 2026,
                "revenue": 1,
                "cost_of_sales": 1,
                "net_profit": 0,
                "total_assets": 1,
                "total_liabilities": 0,
                "rd_expense": 0,
                "employees": 1,
                "as_of": "2026-05-31",
            }
        ),
    ]
    report = ingest.ingest_file(
        db, SYSTEM, "financials", write(tmp_path, "fin.jsonl", "\n".join(lines) + "\n"), today=TODAY
    )
    assert (report.loaded, report.quarantined) == (1, 2)
    assert report.normalisations["revenue: thousands separators removed"] == 1
    assert any(k.startswith("not valid JSON") for k in report.reasons)
    assert any(k.startswith("year:") for k in report.reasons)


def test_missing_required_column_rejects_the_file(db, tmp_path):
    report = ingest.ingest_file(
        db, SYSTEM, "registry", write(tmp_path, "r.csv", "企业名称\n北京甲\n"), today=TODAY
    )
    assert report.rejected.startswith("missing required column(s): uscc (统一社会信用代码)")


def test_a_crash_mid_load_leaves_nothing(db, tmp_path, monkeypatch):
    def boom(self):
        raise RuntimeError("power cut")

    monkeypatch.setattr(ingest._BatchLoader, "finish", boom)
    with pytest.raises(RuntimeError):
        load_registry(db, tmp_path)
    assert count(db, LoadBatch) == 0 and count(db, Enterprise) == 0


def test_only_hub_admins_load(db, tmp_path):
    from techfin.services import users

    with db.transaction() as s:
        users.add_institution(s, SYSTEM, code="BANKA", name="甲银行", kind="bank")
        users.add_user(
            s,
            SYSTEM,
            username="a_admin",
            password="long-enough-1",
            role="admin",
            institution_code="BANKA",
        )
    bank_admin = users.authenticate(db, "a_admin", "long-enough-1")
    with pytest.raises(ValidationFailed):
        ingest.ingest_records(db, bank_admin, "registry", [{"uscc": A}])


def test_api_push_and_report(db, tmp_path):
    from techfin.services import users

    with db.transaction() as s:
        users.add_institution(s, SYSTEM, code="HUB", name="平台", kind="platform")
        users.add_user(
            s,
            SYSTEM,
            username="hub_admin",
            password="long-enough-1",
            role="admin",
            institution_code="HUB",
        )
    client = TestClient(create_app(db, secret_key="t"))
    token = client.post("/api/token", json={"username": "hub_admin", "password": "long-enough-1"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    records = [
        {
            "uscc": A,
            "name": "北京甲",
            "industry_code": "6513",
            "registered_on": "2015-03-01",
            "as_of": "2026-10-31",
        },
        {
            "uscc": "not a code",
            "name": "x",
            "industry_code": "6513",
            "registered_on": "2015-03-01",
            "as_of": "2026-10-31",
        },
    ]
    pushed = client.post("/api/hub/registry", headers=headers, json={"records": records})
    assert pushed.status_code == 201
    body = pushed.json()
    assert set(body) >= {"batch", "read", "loaded", "quarantined", "duplicates", "reasons"}
    assert (body["read"], body["loaded"], body["quarantined"]) == (2, 1, 1)
    again = client.post("/api/hub/registry", headers=headers, json={"records": records}).json()
    assert again["repeat"] is True and again["batch"] == body["batch"]
    unknown = client.post("/api/hub/wiretap", headers=headers, json={"records": records})
    assert unknown.status_code == 422 and unknown.json()["field"] == "source"
    detail = client.get(f"/api/hub/batches/{body['batch']}", headers=headers).json()
    assert detail["quarantine"][0]["row"] == 2


def test_cli_ingest_prints_the_report_and_refuses_bad_input(db, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from techfin.cli import app

    monkeypatch.setenv("TECHFIN_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    path = write(
        tmp_path,
        "reg.csv",
        REGISTRY_HEADER
        + f"{A},北京甲,6513,2015-03-01,500,2026-10-31\n"
        + f"{A[:17]},坏码,6513,2015-03-01,500,2026-10-31\n",
    )
    result = CliRunner().invoke(app, ["ingest", "registry", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"batch", "read", "loaded", "quarantined", "duplicates", "reasons"} <= set(report)
    assert (report["read"], report["loaded"], report["quarantined"]) == (2, 1, 1)
    unknown = CliRunner().invoke(app, ["ingest", "payroll", str(path)])
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error: source: unknown")
    missing = CliRunner().invoke(app, ["ingest", "registry", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_patents_keep_co_applicants_ipc_classes_and_citations(db, tmp_path):
    from techfin.codes.patent import check_digit
    from techfin.store.tables import Patent

    number = "202110123456." + check_digit("202110123456")
    text = (
        "申请号,申请人,分类号,申请日,授权日,被引次数,引用次数,数据日期\n"
        f"CN{number},北京甲科技有限公司；清华大学,H01M 10/05; H01M 4/36,"
        "2021-03-01,2023-05-09,4,12,2026-10-31\n"
        f"{number},北京甲科技有限公司,H01M 10/05,2021-03-01,2020-01-01,0,0,2026-10-31\n"
    )
    report = ingest.ingest_file(db, SYSTEM, "patents", write(tmp_path, "p.csv", text), today=TODAY)
    assert (report.loaded, report.quarantined) == (1, 1)  # the second: granted before filed
    with db.read() as s:
        patent = s.scalar(select(Patent))
        assert patent.applicants == ["北京甲科技有限公司", "清华大学"]
        assert patent.ipc == "H01M 10/05; H01M 4/36"
        assert (patent.forward_citations, patent.backward_citations) == (4, 12)
        assert patent.kind == "invention" and patent.enterprise_id is None  # resolved later


def test_granted_titles_load_with_their_official_terms(db, tmp_path):
    load_registry(db, tmp_path)
    text = (
        "统一社会信用代码,称号,证书编号,认定机构,发证日期,有效期至,数据日期\n"
        f"{A},高新技术企业,GR202411000123,北京市科学技术委员会,2024-12-01,2027-11-30,2026-10-31\n"
        f"{B},科技型中小企业,2026110108A00123,北京市科学技术委员会,2026-03-01,2027-02-28,2026-10-31\n"
        f"{C},高企,GR202444000999,广东省科学技术厅,2024-12-01,2028-12-01,2026-10-31\n"
        f"{B},小巨人,LG2025-0042,工业和信息化部,2025-07-01,2028-06-30,2026-10-31\n"
    )
    report = ingest.ingest_file(db, SYSTEM, "titles", write(tmp_path, "t.csv", text), today=TODAY)
    assert (report.loaded, report.quarantined) == (3, 1)
    with db.read() as s:
        reasons = [q.reasons for q in s.scalars(select(QuarantinedRow))]
    assert reasons == [["valid_to: a hnte title lasts at most 3 year(s) from 2024-12-01"]]
    assert report.normalisations["title: … read as …"] == 3  # 高新技术企业, 科技型中小企业, 小巨人


def test_registry_shareholders_make_groups_of_related_enterprises(db, tmp_path):
    """工商股东: a corporate shareholder in the registry links two enterprises into one group
    for credit limits (origination's group of related enterprises)."""
    from techfin.services.origination import _group
    from techfin.store.tables import Shareholder

    load_registry(db, tmp_path)
    text = (
        "统一社会信用代码,股东名称,股东统一社会信用代码,持股比例,数据日期\n"
        f"{B},北京甲科技有限公司,{A},60%,2026-10-31\n"
        f"{B},张三,,40%,2026-10-31\n"
        f"{C},李四,,0,2026-10-31\n"
    )
    report = ingest.ingest_file(
        db, SYSTEM, "shareholders", write(tmp_path, "s.csv", text), today=TODAY
    )
    assert (report.loaded, report.quarantined) == (2, 1)
    with db.read() as s:
        ids = dict(s.execute(select(Enterprise.uscc, Enterprise.id)).all())
        rows = {r.shareholder_name: r for r in s.scalars(select(Shareholder))}
        assert rows["北京甲科技有限公司"].shareholder_enterprise_id == ids[A]
        assert rows["北京甲科技有限公司"].share == Decimal("0.6")
        assert rows["张三"].shareholder_enterprise_id is None
        assert _group(s, 0, ids[B]) == {ids[A], ids[B]}
        assert _group(s, 0, ids[A]) == {ids[A], ids[B]}
        assert _group(s, 0, ids[C]) == {ids[C]}
