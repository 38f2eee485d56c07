"""The platform's command line: migrations, refusal on an unmigrated or unreachable database,
audit verification, day-end, users — each bad input a non-zero exit and one stderr line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from techfin.cli import app


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHFIN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None):
        return runner.invoke(app, list(args), env=env)

    return run


def test_migrate_and_report(cli):
    assert "not migrated" in cli("db", "current").output
    assert cli("db", "upgrade").exit_code == 0
    report = json.loads(cli("db", "current", "--json").output)
    assert report["at_head"] is True and report["current"] == report["head"]


def test_serve_refuses_an_unmigrated_database(cli):
    result = cli("serve", "--port", "8999")
    assert result.exit_code == 2
    assert "run `techfin db upgrade` first" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_database_that_does_not_answer(cli):
    result = cli(
        "db", "current", env={"TECHFIN_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nothing"}
    )
    assert result.exit_code == 2
    assert "does not answer" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_users_institutions_audit_and_day_end(cli):
    cli("db", "upgrade")
    assert (
        cli(
            "institutions", "add", "--code", "BANKA", "--name", "甲银行", "--kind", "bank"
        ).exit_code
        == 0
    )
    bad_kind = cli("institutions", "add", "--code", "X", "--name", "x", "--kind", "casino")
    assert bad_kind.exit_code == 2 and "kind must be one of" in bad_kind.stderr
    env = {"TECHFIN_NEW_PASSWORD": "long-enough-1"}
    ok = cli(
        "users",
        "add",
        "--username",
        "amy",
        "--role",
        "approver",
        "--institution",
        "BANKA",
        "--json",
        env=env,
    )
    assert ok.exit_code == 0 and json.loads(ok.output)["role"] == "approver"
    bad_role = cli(
        "users", "add", "--username", "bob", "--role", "boss", "--institution", "BANKA", env=env
    )
    assert bad_role.exit_code == 2 and bad_role.stderr.startswith(
        "error: role: role must be one of"
    )
    short = cli(
        "users",
        "add",
        "--username",
        "bob",
        "--role",
        "reviewer",
        "--institution",
        "BANKA",
        env={"TECHFIN_NEW_PASSWORD": "short"},
    )
    assert short.exit_code == 2 and "password" in short.stderr

    bad_date = cli("eod", "run", "--date", "2026-13-01")
    assert bad_date.exit_code == 2 and "--date" in bad_date.stderr
    cli("institutions", "add", "--code", "BANKB", "--name", "乙银行", "--kind", "bank")
    first = json.loads(cli("eod", "run", "--date", "2026-11-27", "--json").output)
    assert [(o["institution"], o["status"]) for o in first] == [
        ("BANKA", "completed"),
        ("BANKB", "completed"),
    ]  # every institution when none is named
    again = json.loads(cli("eod", "run", "--date", "2026-11-27", "--json").output)
    assert again[0]["status"] == "already_completed"
    unknown = cli("eod", "run", "--date", "2026-11-28", "--institution", "NOPE")
    assert unknown.exit_code == 2 and "NOPE" in unknown.stderr

    verified = json.loads(cli("audit", "verify", "--json").output)
    assert verified["intact"] is True and verified["entries"] >= 4


def test_audit_verify_exits_non_zero_on_a_tampered_row(cli, tmp_path):
    import sqlite3

    cli("db", "upgrade")
    cli("institutions", "add", "--code", "BANKA", "--name", "甲银行", "--kind", "bank")
    cli("institutions", "add", "--code", "BANKB", "--name", "乙银行", "--kind", "bank")
    connection = sqlite3.connect(tmp_path / "cli.sqlite3")
    connection.execute("UPDATE audit_log SET target = 'institution:EVIL' WHERE seq = 1")
    connection.commit()
    connection.close()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == "error: audit entry 1 is broken: entry content does not match its hash (edited)"
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", "is not a usable database URL"),
        ("bogus://x", "is not a usable database URL"),
        ("mysql://root@127.0.0.1/test", "needs a driver techfin does not ship"),
    ],
)
def test_a_malformed_database_url_is_one_clear_line(cli, url, words):
    result = cli("db", "current", env={"TECHFIN_DATABASE_URL": url})
    assert result.exit_code == 2
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
