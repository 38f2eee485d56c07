"""Load scenario for the servicing API (issue 9 item 9) against PostgreSQL.

    .venv/bin/python bench/servicing_load.py [--clients 50] [--seconds 60] [--loans 200]

A fresh PostgreSQL database (created here, dropped at the end) is migrated and given origination's
test world (tests/origination/orig_world.py); a real server process (`techfin serve`) is
started; then `--clients` concurrent API clients each create, review, approve, contract and
disburse one application through the origination API and post repayments for `--seconds`
(`--direct` instead writes `--loans` loans straight into origination's tables), each with a fresh
`Idempotency-Key`, and about one in three is retried with the same key and body (a lost
response), which must return the first result. It reports throughput and p50/p95/p99 latency,
then checks that no event was lost or duplicated (the events in the database are exactly the
acknowledged first results, one per key) and that every loan's balances reconcile to the cent
(total paid = Σ acknowledged amounts; principal repaid + principal outstanding = disbursed;
the allocations of the payments add up to what was paid).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "TECHFIN_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct-horse-1"
START = dt.date(2026, 1, 15)
BUSINESS_DATE = dt.date(2026, 6, 30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_world(url: str, loans: int) -> list[int]:
    os.environ.setdefault("TECHFIN_FAST_PASSWORD_HASH", "1")
    from techfin.credit.schedule import Terms, build
    from techfin.services import users
    from techfin.services.context import Actor
    from techfin.store.db import Database
    from techfin.store.migrate import upgrade
    from techfin.store.tables import BusinessDate, Enterprise
    from techfin.store.tables_origination import Application, Contract, Loan, LoanScheduleRow

    db = Database(url)
    upgrade(db.engine)
    system = Actor.system("bench")
    ids: list[int] = []
    with db.transaction() as s:
        bank = users.add_institution(s, system, code="LOADBANK", name="压测银行", kind="bank")
        am = users.add_user(
            s,
            system,
            username="load_am",
            password=PASSWORD,
            role="account_manager",
            institution_code="LOADBANK",
            display_name="load_am",
        )
        s.add(BusinessDate(institution_id=bank.id, business_date=BUSINESS_DATE))
        rng = random.Random(7)
        for i in range(loans):
            e = Enterprise(
                uscc=f"9111000000000{i:05d}",
                name=f"压测科技{i}有限公司",
                industry_code="6513",
                province="北京",
                area_code="110000",
                registered_on=dt.date(2015, 3, 1),
                registered_capital=Decimal("5000000.00"),
                as_of=START,
            )
            s.add(e)
            s.flush()
            principal = Decimal(rng.randrange(100, 5000) * 1000)
            months = rng.choice((12, 24, 36))
            terms = Terms(
                principal=principal, annual_rate=Decimal("0.045"), start=START, installments=months
            )
            schedule = build(terms)
            app = Application(
                institution_id=bank.id,
                enterprise_id=e.id,
                product_code="tech-credit",
                amount=principal,
                term_months=months,
                method="annuity",
                exposure=principal,
                status="disbursed",
                prepared_by=am.id,
            )
            s.add(app)
            s.flush()
            contract = Contract(
                institution_id=bank.id,
                application_id=app.id,
                number=f"LOAD-{app.id:06d}",
                enterprise_id=e.id,
                product_code="tech-credit",
                amount=principal,
                annual_rate=Decimal("0.045"),
                term_months=months,
                method="annuity",
                made_by=am.id,
            )
            s.add(contract)
            s.flush()
            loan = Loan(
                institution_id=bank.id,
                enterprise_id=e.id,
                contract_id=contract.id,
                application_id=app.id,
                product_code="tech-credit",
                channel="tech",
                principal=principal,
                annual_rate=Decimal("0.045"),
                method="annuity",
                interest_basis=str(terms.interest_basis),
                installments=months,
                start_date=START,
                maturity_date=schedule.rows[-1].due_date,
                terms={
                    "principal": str(principal),
                    "annual_rate": "0.045",
                    "start": START.isoformat(),
                    "installments": months,
                    "method": "annuity",
                    "interest_basis": str(terms.interest_basis),
                },
                conventions_version=schedule.conventions_version,
            )
            s.add(loan)
            s.flush()
            for r in schedule.rows:
                s.add(
                    LoanScheduleRow(
                        loan_id=loan.id,
                        n=r.n,
                        due_date=r.due_date,
                        days=r.days,
                        principal=r.principal,
                        interest=r.interest,
                        payment=r.payment,
                        balance=r.balance,
                    )
                )
            ids.append(loan.id)
    db.dispose()
    return ids


def build_orig(url: str) -> None:
    """The origination engineers' test world (bank BANKA with branches and delegated limits,
    staff of each role, experts, two enterprises that consented to credit assessment)."""
    os.environ.setdefault("TECHFIN_FAST_PASSWORD_HASH", "1")
    sys.path.insert(0, str(ROOT / "tests" / "origination"))
    from orig_world import build_orig_world  # type: ignore[import-not-found]

    from techfin.store.db import Database
    from techfin.store.migrate import upgrade

    db = Database(url)
    upgrade(db.engine)
    build_orig_world(db)
    db.dispose()


IP = [{"kind": "ip", "ip_type": "invention", "appraised_value": "8000000", "patent": "ZL1"}]


class Originator:
    """Creates, reviews, approves, contracts and disburses one application through the
    origination API (the path of tests/origination/test_orig_api.py)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.tokens: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    def auth(self, http: httpx.Client, username: str) -> dict[str, str]:
        with self.lock:
            if username not in self.tokens:
                r = http.post("/api/token", json={"username": username, "password": PASSWORD})
                r.raise_for_status()
                self.tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            return self.tokens[username]

    def originate(self, http: httpx.Client, n: int, timed) -> int:
        am = self.auth(http, "a_am")
        rev = self.auth(http, "a_reviewer")
        appr = self.auth(http, "a_approver")
        risk = self.auth(http, "a_risk")
        body = {
            "enterprise_id": 1 + n % 2,
            "product_code": "ip_pledge_loan",
            "amount": "100000",
            "term_months": 12,
            "method": "annuity",
            "guarantee": ["pledge"],
            "collateral": IP,
        }
        app = timed("POST", "/api/origination/applications", am, body, 201)
        aid = app["id"]
        file = {
            "investigation_report": "site visit",
            "milestones": [{"kind": "funding_round", "text": "Series B", "due": "2027-06-30"}],
        }
        timed("POST", f"/api/origination/applications/{aid}/file", am, file, 200)
        timed("POST", f"/api/origination/applications/{aid}/submit", am, None, 200)
        r = timed(
            "POST", f"/api/origination/applications/{aid}/review", rev, {"opinion": "ok"}, 200
        )
        if r["status"] == "experts":
            r = timed("POST", f"/api/origination/applications/{aid}/experts", rev, {"seed": n}, 200)
            for e in r["experts"]:
                timed(
                    "POST",
                    f"/api/origination/applications/{aid}/opinion",
                    self.auth(http, e["expert"]),
                    {"score": 75, "support": True, "opinion": "ok"},
                    200,
                )
        timed(
            "POST",
            f"/api/origination/applications/{aid}/decision",
            appr,
            {"decision": "approve", "reason": "ok"},
            200,
        )
        ct = timed("POST", f"/api/origination/applications/{aid}/contract", am, None, 201)
        for cond in ct["contract"]["conditions"]:
            timed(
                "POST", f"/api/origination/conditions/{cond['id']}/met", am, {"evidence": "x"}, 200
            )
        d = timed(
            "POST",
            f"/api/origination/contracts/{ct['contract']['id']}/disbursements",
            {**am, "Idempotency-Key": f"draw-{aid}"},
            {},
            201,
        )
        chk = timed(
            "POST",
            f"/api/origination/disbursements/{d['id']}/check",
            risk,
            {"approve": True, "reason": "ok"},
            200,
        )
        return int(chk["loan_id"])


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "TECHFIN_DATABASE_URL": url, "TECHFIN_SECRET_KEY": "load-bench"}
    process = subprocess.Popen(
        [sys.executable, "-m", "techfin", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def run_load(
    base: str,
    loans: list[int],
    clients: int,
    seconds: float,
    username: str,
    originator: Originator | None = None,
) -> dict:
    token = httpx.post(
        base + "/api/token", json={"username": username, "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    orig_latencies: list[float] = []
    acked: dict[str, tuple[int, Decimal, str]] = {}  # key -> (loan, amount, event id)
    problems: list[str] = []
    statuses: dict[int, int] = defaultdict(int)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            if originator is not None:

                def timed(method, path, hdrs, body, expect):
                    t0 = time.perf_counter()
                    r = http.request(method, path, headers=hdrs, json=body)
                    with lock:
                        orig_latencies.append((time.perf_counter() - t0) * 1000)
                        statuses[r.status_code] += 1
                    if r.status_code != expect:
                        raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
                    return r.json()

                try:
                    loan_id = originator.originate(http, n, timed)
                except Exception as exc:
                    with lock:
                        problems.append(f"origination by client {n} failed: {exc}")
                    return
                with lock:
                    loans.append(loan_id)
            while time.monotonic() < deadline:
                with lock:
                    loan = rng.choice(loans)
                amount = Decimal(rng.randrange(100, 50000)) / 100
                key = uuid.uuid4().hex
                body = {"amount": str(amount)}
                tries = 2 if rng.random() < 0.33 else 1
                first_event = None
                for attempt in range(tries):
                    t0 = time.perf_counter()
                    r = http.post(
                        f"/api/loans/{loan}/repayments", json=body, headers={"Idempotency-Key": key}
                    )
                    ms = (time.perf_counter() - t0) * 1000
                    with lock:
                        latencies.append(ms)
                        statuses[r.status_code] += 1
                    if r.status_code != 201:
                        with lock:
                            problems.append(f"{r.status_code} {r.text[:200]}")
                        break
                    data = r.json()
                    if attempt == 0:
                        first_event = data["event"]["event_id"]
                        if data["idempotent_replay"]:
                            problems.append(f"first call for {key} reported a replay")
                        with lock:
                            acked[key] = (loan, amount, first_event)
                    elif data["event"]["event_id"] != first_event or not data["idempotent_replay"]:
                        with lock:
                            problems.append(f"retry of {key} did not return the first result")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "latencies": latencies,
        "orig_latencies": orig_latencies,
        "acked": acked,
        "problems": problems,
        "statuses": dict(statuses),
        "elapsed": elapsed,
        "headers": headers,
    }


def reconcile(url: str, base: str, load: dict, loans: list[int]) -> list[str]:
    errors: list[str] = []
    engine = sa.create_engine(url)
    by_key: dict[str, tuple[int, Decimal, str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("select loan_id, idempotency_key, amount, event_id from svc_events")
        ).all()
    engine.dispose()
    for loan_id, key, amount, event_id in rows:
        if key in by_key:
            errors.append(f"duplicate event for key {key}")
        by_key[key] = (loan_id, Decimal(amount), event_id)
    acked = load["acked"]
    for key, (loan, amount, event_id) in acked.items():
        got = by_key.get(key)
        if got is None:
            errors.append(f"acknowledged event {event_id} lost")
        elif got != (loan, amount, event_id):
            errors.append(f"event for {key} differs: {got} vs {(loan, amount, event_id)}")
    for key in set(by_key) - set(acked):
        errors.append(f"event {by_key[key][2]} in the database was never acknowledged")
    expected: dict[int, Decimal] = defaultdict(Decimal)
    for loan, amount, _e in acked.values():
        expected[loan] += amount
    with httpx.Client(base_url=base, headers=load["headers"], timeout=60) as http:
        for loan in loans:
            view = http.get(f"/api/loans/{loan}").json()
            b = view["balances"]
            paid = Decimal(b["total_paid"])
            if paid != expected[loan].quantize(Decimal("0.01")):
                errors.append(f"loan {loan}: total paid {paid} != acknowledged {expected[loan]}")
            allocated: dict[str, Decimal] = defaultdict(Decimal)
            for entry in view["ledger"]:
                if entry["kind"] in ("repayment", "prepayment"):
                    for bucket, amount in entry["allocations"]:
                        allocated[bucket] += Decimal(amount)
            if sum(allocated.values(), Decimal(0)) != paid:
                errors.append(f"loan {loan}: allocations {dict(allocated)} do not add up to {paid}")
            principal_paid = sum(
                (
                    Decimal(a)
                    for e in view["ledger"]
                    if e["kind"] in ("repayment", "prepayment", "suspense_applied")
                    for bucket, a in e["allocations"]
                    if bucket == "principal"
                ),
                Decimal(0),
            )
            if principal_paid + Decimal(b["principal_outstanding"]) != Decimal(b["disbursed"]):
                errors.append(
                    f"loan {loan}: principal repaid {principal_paid} + outstanding "
                    f"{b['principal_outstanding']} != disbursed {b['disbursed']}"
                )
    return errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--loans", type=int, default=200)
    parser.add_argument(
        "--direct",
        action="store_true",
        help="write --loans loans straight into the tables instead of originating one per "
        "client through the origination API during the run",
    )
    args = parser.parse_args()
    name = f"techfin_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    process = None
    try:
        t0 = time.perf_counter()
        if args.direct:
            loans = build_world(url, args.loans)
            username, originator = "load_am", None
            print(
                f"setup: {len(loans)} loans written directly, fresh database, "
                f"{time.perf_counter() - t0:.1f} s"
            )
        else:
            build_orig(url)
            loans, username = [], "a_am"
            print(f"setup: origination world in a fresh database, {time.perf_counter() - t0:.1f} s")
        process, base = start_server(url)
        if not args.direct:
            originator = Originator(base)
        load = run_load(base, loans, args.clients, args.seconds, username, originator)
        lat = sorted(load["latencies"])
        if not lat:
            print(f"FAILED: no repayment was posted; problems: {load['problems'][:5]}")
            sys.exit(1)
        q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [lat[0]] * 99
        requests = len(lat)
        print(
            f"clients {args.clients}, {load['elapsed']:.1f} s, requests {requests} "
            f"({requests / load['elapsed']:.1f}/s), new events {len(load['acked'])} "
            f"({len(load['acked']) / load['elapsed']:.1f}/s), statuses {load['statuses']}"
        )
        print(
            f"repayment latency ms: p50 {q[49]:.1f}  p95 {q[94]:.1f}  p99 {q[98]:.1f}  "
            f"max {lat[-1]:.1f}"
        )
        olat = sorted(load["orig_latencies"])
        if len(olat) >= 2:
            oq = statistics.quantiles(olat, n=100)
            print(
                f"origination: {len(loans)} loans created, approved and disbursed over the API "
                f"({len(olat)} calls); latency ms p50 {oq[49]:.1f}  p95 {oq[94]:.1f}  "
                f"p99 {oq[98]:.1f}"
            )
        errors = load["problems"] + reconcile(url, base, load, loans)
        if errors:
            print(f"FAILED: {len(errors)} problems; first: {errors[:5]}")
            sys.exit(1)
        print(
            f"reconciled: {len(load['acked'])} events, one per key, none lost or duplicated; "
            f"{len(loans)} loans balance to the cent"
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
