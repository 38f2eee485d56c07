"""Load scenario for the origination and servicing APIs (issue 9 item 9) against PostgreSQL.

    .venv/bin/python bench/servicing_load.py [--clients 50] [--seconds 60] [--json out.json]

A fresh PostgreSQL database (created here, dropped at the end) is migrated and given origination's
test world (tests/origination/orig_world.py: bank BANKA with head office → branch → tech
sub-branch, the staff of each role, experts, two enterprises). A real server process
(`techfin serve`, one worker) is started. `--warmup-loans` loans are originated through the API
before the clock starts (so that repayments have loans from the first second), ~70 % of them on
past business dates up to ~13 months back, so that the book has loans of every age with dues
billed and overdue amounts accruing penalty and compound interest: origination value-dates a
drawdown on the bank's business date and refuses backdating (decision 1057), so the bench sets
the bank's business date (`eod.set_business_date`, audited) to each warm-up day in turn, the
loans of that day are originated on it — value date = that business date, sent explicitly —
and then the business date is set to today, the run's date. Then `--clients` concurrent API
clients work for `--seconds`, each one choosing its next operation at random:

- with probability `--origination-share`: originate a loan through the origination API —
  create → file → submit → review (→ expert draw and opinions when the policy asks) → decision by
  the approver whose delegated authority covers the exposure → contract → conditions met →
  disbursement request (Idempotency-Key) → independent disbursement check; makers and checkers
  are distinct users as the approval policy requires. For ~30 % of the loans an interest-subsidy
  agreement (贴息: a share of the interest or points of the rate, sometimes until a date) is
  then requested by the account manager and approved by an approver. Products, amounts, terms
  and repayment methods vary; the drawdown is sent without a value date and is value-dated the
  business date (today);
- otherwise a money event on a random loan: repayment (65 %), prepayment (20 %, re-amortise or
  reduce term), subsidy receipt (7.5 %) or fee (7.5 %), value-dated on the business date or
  backdated, each with a fresh Idempotency-Key. About one in three is sent again with the same
  key and body (a lost response; one in eight of those while the first is still in flight),
  which must return the first result; about one in 25 is then sent with the same key and another
  body, which must be 409.

It reports throughput and p50/p95/p99 latency per operation kind and overall, the loans
originated during the minute, retries, 409s and errors (any 5xx is a failure, as is any other
unexpected status). Then it reconciles independently (bench/_load_reconcile.py): the API's
loan views are read for the business date, the day-end is run through the CLI
(`techfin eod run`) and the stored `svc_positions` are read with SQL; each loan's state is
replayed by the pure domain replay from what the clients themselves recorded and compared to
the cent with both, and a second check without any replay reads the events, loans and audit
entries with SQL and checks that money is conserved. Every mismatch is printed; the exit status
is 1 if there is any.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from _load_reconcile import (
    Book,
    EventRecord,
    LoanRecord,
    expected_state,
    fetch_views,
    read_positions,
    replay_check,
    sql_check,
)

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "TECHFIN_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct-horse-1"
BANK = "BANKA"
#: The approver whose delegated authority the application's route names (orig_world's staff).
APPROVER_BY_BRANCH = {
    "中关村科技支行": "a_approver",
    "北京分行": "a_bj_approver",
    "总行": "a_ho_approver",
}
MAKERS = ("a_am", "a_am2")
REVIEWERS = ("a_reviewer", "a_reviewer2")
CHECKER = "a_risk"
SUBSIDY_CHECKER = "a_approver"
SUBSIDY_SHARE = 0.3
PAYMENT_MIX = (
    ("repayment", 0.65),
    ("prepayment", 0.20),
    ("subsidy_receipt", 0.075),
    ("fee", 0.075),
)
RETRY_SHARE = 1 / 3
PARALLEL_SHARE_OF_RETRIES = 1 / 8
CONFLICT_SHARE = 1 / 25
IP = [{"kind": "ip", "ip_type": "invention", "appraised_value": "8000000", "patent": "ZL1"}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_world(url: str, today: dt.date) -> int:
    """The origination engineers' test world with the bank's business date `today` (its tech
    title in force from 300 days before it). Returns the bank's institution id."""
    os.environ.setdefault("TECHFIN_FAST_PASSWORD_HASH", "1")
    sys.path.insert(0, str(ROOT / "tests" / "origination"))
    from orig_world import build_orig_world

    from techfin.store.db import Database
    from techfin.store.migrate import upgrade
    from techfin.store.tables import Institution

    db = Database(url)
    upgrade(db.engine)
    build_orig_world(db, business_date=today)
    with db.read() as s:
        bank_id = int(s.query(Institution).filter_by(code=BANK).one().id)
    db.dispose()
    return bank_id


def set_business_date(url: str, day: dt.date) -> None:
    """Set the bank's business date (营业日) as an operator would (audited)."""
    from techfin.services import eod
    from techfin.services.context import Actor
    from techfin.store.db import Database

    db = Database(url)
    try:
        eod.set_business_date(db, Actor.system("load-bench"), BANK, day)
    finally:
        db.dispose()


def warmup_days(warmup: int, today: dt.date, past_days: int = 16) -> list[dt.date]:
    """The business day each warm-up loan is originated on: ~30 % today, the rest on one of
    `past_days` business days up to 399 days back (a few loans a day, so that a day's loans
    are originated concurrently; deterministic)."""
    rng = random.Random(20_261_127)
    past = sorted({today - dt.timedelta(days=rng.randrange(1, 400)) for _ in range(past_days)})
    return [today if rng.random() < 0.3 else rng.choice(past) for _ in range(warmup)]


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


# ------------------------------------------------------------------------------------------------
# Measuring


class Stats:
    """Latencies per operation kind, statuses, counters and problems (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.counters: dict[str, int] = defaultdict(int)
        self.problems: list[str] = []
        self.flows: list[float] = []  # whole origination flows, ms
        #: money events refused unexpectedly: (loan, body, events acknowledged before it)
        self.refused: list[tuple[LoanRecord, dict[str, Any], int]] = []

    def record(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(ms)
            self.statuses[status] += 1

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counters[name] += n

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


class Unexpected(Exception):
    pass


class Abandoned(Exception):
    """The clock ran out in the middle of an origination (the application stays where it is)."""


class Api:
    """One client's HTTP session; every call is timed under an operation kind."""

    def __init__(self, base: str, stats: Stats, tokens: Tokens) -> None:
        self.http = httpx.Client(base_url=base, timeout=120)
        self.base = base
        self.stats = stats
        self.tokens = tokens

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        user: str,
        body: Any = None,
        expect: int = 200,
        key: str | None = None,
        http: httpx.Client | None = None,
    ) -> dict[str, Any]:
        headers = dict(self.tokens.get(self.http, user))
        if key is not None:
            headers["Idempotency-Key"] = key
        t0 = time.perf_counter()
        r = (http or self.http).request(method, path, headers=headers, json=body)
        self.stats.record(kind, (time.perf_counter() - t0) * 1000, r.status_code)
        if r.status_code != expect:
            what = "SERVER ERROR" if r.status_code >= 500 else "unexpected status"
            text = (
                f"{what}: {method} {path} as {user} body {body} -> {r.status_code} {r.text[:300]}"
            )
            self.stats.problem(text)
            raise Unexpected(text)
        data: dict[str, Any] = r.json()
        return data

    def close(self) -> None:
        self.http.close()


class Tokens:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, dict[str, str]] = {}

    def get(self, http: httpx.Client, username: str) -> dict[str, str]:
        with self.lock:
            if username not in self.tokens:
                r = http.post("/api/token", json={"username": username, "password": PASSWORD})
                r.raise_for_status()
                self.tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            return self.tokens[username]


# ------------------------------------------------------------------------------------------------
# Origination


def originate(
    api: Api,
    rng: random.Random,
    n: int,
    prefix: str,
    deadline: float = float("inf"),
    value_date: dt.date | None = None,
) -> LoanRecord:
    """One application from creation to disbursed loan through the origination API, on the
    bank's business date: the drawdown carries `value_date` when given (it must be the business
    date), else none (the server value-dates it the business date). Past the `deadline` the flow
    stops before its next call (`Abandoned`)."""
    am, rev = MAKERS[n % 2], REVIEWERS[n % 2]
    if rng.random() < 0.7:
        body: dict[str, Any] = {
            "enterprise_id": 1 + n % 2,
            "product_code": "ip_pledge_loan",
            "amount": str(rng.randrange(1, 21) * 100_000),
            "guarantee": ["pledge"],
            "collateral": IP,
        }
    else:
        body = {
            "enterprise_id": 1,
            "product_code": "working_capital_loan",
            "amount": str(rng.randrange(1, 11) * 100_000),
            "guarantee": ["credit"],
        }
    body["term_months"] = rng.choice((6, 12, 12, 24, 36))
    body["method"] = rng.choice(
        ("annuity", "annuity", "equal-principal", "interest-only", "bullet")
    )

    def step(kind: str, method: str, path: str, user: str, **kw: Any) -> dict[str, Any]:
        if time.monotonic() >= deadline:
            raise Abandoned
        return api.call(f"{prefix}{kind}", method, path, user, **kw)

    app = step("create", "POST", "/api/origination/applications", am, body=body, expect=201)
    aid = app["id"]
    file = {
        "investigation_report": "site visit: orders booked",
        "milestones": [{"kind": "funding_round", "text": "Series B", "due": "2027-06-30"}],
    }
    step("file", "POST", f"/api/origination/applications/{aid}/file", am, body=file)
    step("submit", "POST", f"/api/origination/applications/{aid}/submit", am)
    r = step(
        "review", "POST", f"/api/origination/applications/{aid}/review", rev, body={"opinion": "ok"}
    )
    if r["status"] == "experts":
        r = step(
            "experts", "POST", f"/api/origination/applications/{aid}/experts", rev, body={"seed": n}
        )
        for e in r["experts"]:
            step(
                "opinion",
                "POST",
                f"/api/origination/applications/{aid}/opinion",
                e["expert"],
                body={"score": 75, "support": True, "opinion": "sound"},
            )
    route = r.get("route") or {}
    approver = APPROVER_BY_BRANCH.get(route.get("branch_name", ""))
    if route.get("decider") != "approver" or approver is None:
        raise Unexpected(f"application {aid}: route {route} has no approver in this world")
    step(
        "decision",
        "POST",
        f"/api/origination/applications/{aid}/decision",
        approver,
        body={"decision": "approve", "reason": "within authority"},
    )
    ct = step("contract", "POST", f"/api/origination/applications/{aid}/contract", am, expect=201)
    contract = ct["contract"]
    for cond in contract["conditions"]:
        step(
            "condition",
            "POST",
            f"/api/origination/conditions/{cond['id']}/met",
            am,
            body={"evidence": "registered"},
        )
    draw = {} if value_date is None else {"value_date": value_date.isoformat()}
    key = f"draw-{uuid.uuid4().hex}"
    path = f"/api/origination/contracts/{contract['id']}/disbursements"
    d = step("disbursement", "POST", path, am, body=draw, expect=201, key=key)
    if rng.random() < RETRY_SHARE:
        api.stats.count("retries")
        again = api.call(
            "retry (same key and body)", "POST", path, am, body=draw, expect=201, key=key
        )
        if again["id"] != d["id"]:
            api.stats.problem(f"disbursement retry with key {key} made another disbursement")
    chk = step(
        "check",
        "POST",
        f"/api/origination/disbursements/{d['id']}/check",
        CHECKER,
        body={"approve": True, "reason": "documents complete"},
    )
    if chk["status"] != "disbursed" or chk["loan_id"] is None:
        raise Unexpected(f"disbursement {d['id']}: {chk}")
    if d["value_date"] != chk["value_date"] or (
        value_date is not None and chk["value_date"] != value_date.isoformat()
    ):
        api.stats.problem(
            f"disbursement {d['id']}: requested for {d['value_date']}, paid out on "
            f"{chk['value_date']} (expected {value_date or 'the business date'})"
        )
    loan_id = int(chk["loan_id"])
    start = dt.date.fromisoformat(chk["value_date"])
    subsidy = None
    if rng.random() < SUBSIDY_SHARE:
        # An interest-subsidy agreement (贴息): the account manager records it, an approver
        # (another user) approves it; it governs the loan's interest from disbursement.
        share = rate = until = None
        if rng.random() < 0.5:
            share = rng.choice((Decimal("0.3"), Decimal("0.5"), Decimal("1")))
        else:
            rate = rng.choice((Decimal("0.01"), Decimal("0.015")))
        if rng.random() < 0.3:
            until = start + dt.timedelta(days=rng.randrange(30, 400))
        agreement = {
            "payer": "区科技局",
            "reference": f"KJ-{uuid.uuid4().hex[:8]}",
            "share": None if share is None else str(share),
            "rate": None if rate is None else str(rate),
            "until": None if until is None else until.isoformat(),
        }
        subsidy = _agree_subsidy(api, loan_id, am, agreement, (share, rate, until))
    return LoanRecord(
        loan_id=loan_id,
        application_id=aid,
        product_code=body["product_code"],
        amount=Decimal(chk["amount"]),
        value_date=start,
        annual_rate=Decimal(contract["annual_rate"]),
        term_months=int(contract["term_months"]),
        method=contract["method"],
        subsidy=subsidy,
    )


def _agree_subsidy(
    api: Api,
    loan_id: int,
    am: str,
    agreement: dict[str, Any],
    terms: tuple[Decimal | None, Decimal | None, dt.date | None],
) -> tuple[str, Decimal | None, Decimal | None, dt.date | None] | None:
    """Request and approve the agreement; None (the failure already recorded) if it fails."""
    try:
        a = api.call(
            "subsidy agreement: request",
            "POST",
            f"/api/loans/{loan_id}/subsidies",
            am,
            body=agreement,
            expect=201,
        )
        done = api.call(
            "subsidy agreement: decision",
            "POST",
            f"/api/subsidies/{a['id']}/decision",
            SUBSIDY_CHECKER,
            body={"approve": True, "note": "agreement on file"},
        )
    except Unexpected:
        return None
    if done["status"] != "approved":
        api.stats.problem(f"subsidy agreement {a['id']} not approved: {done}")
        return None
    return (agreement["payer"], *terms)


# ------------------------------------------------------------------------------------------------
# Money events


def _payment_body(rng: random.Random, loan: LoanRecord, today: dt.date) -> dict[str, Any]:
    roll, kind = rng.random(), "repayment"
    for name, share in PAYMENT_MIX:
        if roll < share:
            kind = name
            break
        roll -= share
    installment = max(Decimal(100), loan.amount / loan.term_months * Decimal("1.05"))
    if kind == "repayment":
        amount = Decimal(rng.randrange(100, int(installment * 100))) / 100
    elif kind == "prepayment":
        amount = Decimal(rng.randrange(100, int(loan.amount * 10))) / 100  # up to 10 %
    elif kind == "fee":
        amount = Decimal(rng.randrange(5_000, 200_000)) / 100
    else:
        amount = Decimal(rng.randrange(10_000, 500_000)) / 100
    days = (today - loan.value_date).days
    back = 0 if rng.random() < 0.6 or days <= 0 else rng.randrange(0, days + 1)
    body: dict[str, Any] = {
        "amount": str(amount),
        "kind": kind,
        "value_date": (today - dt.timedelta(days=back)).isoformat(),
    }
    if kind == "prepayment":
        body["mode"] = rng.choice(("reamortise", "reduce-term"))
    if kind == "subsidy_receipt":
        # the agreement's payer (the server refuses another); on a loan without one the money
        # is held as unapplied, to return to the payer
        body["payer"] = loan.subsidy[0] if loan.subsidy is not None else "区科技局"
    if kind == "fee":
        body["description"] = "appraisal fee"
    return body


def post_payment(
    api: Api,
    spare: httpx.Client,
    rng: random.Random,
    n: int,
    loan: LoanRecord,
    today: dt.date,
    book: Book,
) -> EventRecord | None:
    body = _payment_body(rng, loan, today)
    kind = body["kind"]
    key = uuid.uuid4().hex
    path = f"/api/loans/{loan.loan_id}/repayments"
    user = MAKERS[(n + 1) % 2]
    retry = rng.random() < RETRY_SHARE
    parallel = retry and rng.random() < PARALLEL_SHARE_OF_RETRIES
    if parallel:
        api.stats.count("retries")
        api.stats.count("parallel retries")
        results: list[dict[str, Any] | None] = [None, None]

        def second() -> None:
            with contextlib.suppress(Unexpected):
                results[1] = api.call(
                    "retry (same key and body)", "POST", path, user, body, 201, key, http=spare
                )

        t = threading.Thread(target=second)
        t.start()
        try:
            results[0] = api.call(kind, "POST", path, user, body, 201, key)
        except Unexpected:
            with api.stats.lock:
                api.stats.refused.append((loan, body, len(book.events)))
            raise
        finally:
            t.join()
        first, other = results
        if first is None or other is None:
            return None
        fresh = [x for x in (first, other) if not x["idempotent_replay"]]
        if len(fresh) != 1 or first["event"]["event_id"] != other["event"]["event_id"]:
            api.stats.problem(f"key {key}: two requests in flight did not yield exactly one event")
            return None
        data = fresh[0]
    else:
        try:
            data = api.call(kind, "POST", path, user, body, 201, key)
        except Unexpected:
            with api.stats.lock:
                api.stats.refused.append((loan, body, len(book.events)))
            raise
        if data["idempotent_replay"]:
            api.stats.problem(f"key {key}: the first request reported a replay")
        if retry:
            api.stats.count("retries")
            again = api.call("retry (same key and body)", "POST", path, user, body, 201, key)
            if not again["idempotent_replay"] or again["event"] != data["event"]:
                api.stats.problem(f"key {key}: the retry did not return the first result")
    event = data["event"]
    record = EventRecord(
        loan_id=loan.loan_id,
        key=key,
        event_id=event["event_id"],
        kind=kind,
        amount=Decimal(body["amount"]),
        value_date=dt.date.fromisoformat(body["value_date"]),
        mode=body.get("mode", ""),
        payer=body.get("payer", ""),
        description=body.get("description", ""),
    )
    if rng.random() < CONFLICT_SHARE:
        other_body = {**body, "amount": str(Decimal(body["amount"]) + Decimal("0.01"))}
        api.stats.count("409 expected")
        problem = api.call(
            "conflict (same key, other body)", "POST", path, user, other_body, 409, key
        )
        if problem.get("field") != "Idempotency-Key":
            api.stats.problem(f"key {key}: 409 does not name the Idempotency-Key: {problem}")
    return record


# ------------------------------------------------------------------------------------------------
# The run


def run_load(
    base: str,
    url: str,
    book: Book,
    clients: int,
    seconds: float,
    warmup: int,
    share: float,
    today: dt.date,
    stats: Stats,
) -> dict[str, Any]:
    tokens = Tokens()
    lock = threading.Lock()
    loan_ids: list[int] = []

    def add_loan(rec: LoanRecord) -> None:
        with lock:
            book.loans[rec.loan_id] = rec
            loan_ids.append(rec.loan_id)

    # Warm-up: loans to repay from the first second (not measured), each originated on its
    # business day — the bank's business date set to each day in turn, oldest first — then the
    # business date is set to today for the run.
    warm_stats = Stats()
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for i, day in enumerate(warmup_days(warmup, today)):
        by_day[day].append(i)

    def warm(day: dt.date, counter: Any) -> None:
        api = Api(base, warm_stats, tokens)
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                with contextlib.suppress(Unexpected):
                    rng = random.Random(10_000 + i)
                    add_loan(originate(api, rng, i, "warm-up ", value_date=day))
        finally:
            api.close()

    t0 = time.monotonic()
    for day in sorted(by_day):
        set_business_date(url, day)
        counter = iter(by_day[day])
        threads = [
            threading.Thread(target=warm, args=(day, counter))
            for _ in range(min(10, len(by_day[day])))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    set_business_date(url, today)
    warm_s = time.monotonic() - t0
    print(f"warm-up business days: {len(by_day)}, the oldest {min(by_day, default=today)}")
    for p in warm_stats.problems:
        stats.problem(f"warm-up: {p}")
    warm_loans = len(loan_ids)
    print(f"warm-up: {warm_loans} loans originated through the API in {warm_s:.1f} s")

    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        api = Api(base, stats, tokens)
        spare = httpx.Client(base_url=base, timeout=120)
        try:
            while time.monotonic() < deadline:
                with lock:
                    known = len(loan_ids)
                try:
                    if known == 0 or rng.random() < share:
                        f0 = time.perf_counter()
                        rec = originate(api, rng, n, "orig: ", deadline)
                        with stats.lock:
                            stats.flows.append((time.perf_counter() - f0) * 1000)
                        add_loan(rec)
                        stats.count("loans originated in the run")
                    else:
                        with lock:
                            loan = book.loans[rng.choice(loan_ids)]
                        event = post_payment(api, spare, rng, n, loan, today, book)
                        if event is not None:
                            with lock:
                                book.events[event.key] = event
                except Unexpected:
                    continue
                except Abandoned:
                    stats.count("originations cut at the deadline")
                    continue
                except httpx.HTTPError as exc:
                    stats.problem(f"client {n}: transport error {exc!r}")
        finally:
            api.close()
            spare.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"elapsed": time.monotonic() - started, "warm_loans": warm_loans, "warm_s": warm_s}


def _q(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        v = values[0] if values else float("nan")
        return v, v, v
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94], q[98]


def report(stats: Stats, elapsed: float) -> dict[str, Any]:
    rows = []
    everything: list[float] = []
    for kind in sorted(stats.latencies):
        lat = stats.latencies[kind]
        everything += lat
        p50, p95, p99 = _q(lat)
        rows.append(
            {
                "kind": kind,
                "n": len(lat),
                "per_s": len(lat) / elapsed,
                "p50": p50,
                "p95": p95,
                "p99": p99,
                "max": max(lat),
            }
        )
    p50, p95, p99 = _q(everything)
    overall = {
        "kind": "ALL",
        "n": len(everything),
        "per_s": len(everything) / elapsed,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "max": max(everything) if everything else float("nan"),
    }
    print(f"{'operation':34} {'n':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for r in [*rows, overall]:
        print(
            f"{r['kind']:34} {r['n']:6d} {r['per_s']:7.1f} {r['p50']:8.0f} {r['p95']:8.0f} "
            f"{r['p99']:8.0f}"
        )
    fp50, fp95, fp99 = _q(stats.flows)
    print(
        f"origination flows completed in the run: {len(stats.flows)}, whole flow ms p50 "
        f"{fp50:.0f} p95 {fp95:.0f} p99 {fp99:.0f}"
    )
    server_errors = sum(n for s, n in stats.statuses.items() if s >= 500)
    print(
        f"statuses {dict(sorted(stats.statuses.items()))}; counters {dict(stats.counters)}; "
        f"5xx {server_errors}; problems {len(stats.problems)}"
    )
    return {
        "rows": rows,
        "overall": overall,
        "flows": {"n": len(stats.flows), "p50": fp50, "p95": fp95, "p99": fp99},
        "statuses": dict(stats.statuses),
        "counters": dict(stats.counters),
        "server_errors": server_errors,
    }


def diagnose_refusals(stats: Stats, book: Book, today: dt.date) -> list[str]:
    """For each money event the server refused unexpectedly: does the pure domain replay of the
    client's own records (the loan's events acknowledged before it, plus it) refuse it too?
    Then the fault is in the domain, not in the service or the API."""
    out = []
    events = list(book.events.values())
    for loan, body, before in stats.refused:
        prior = [e for e in events[:before] if e.loan_id == loan.loan_id]
        attempt = EventRecord(
            loan_id=loan.loan_id,
            key="refused",
            event_id="REFUSED-1",
            kind=body["kind"],
            amount=Decimal(body["amount"]),
            value_date=dt.date.fromisoformat(body["value_date"]),
            mode=body.get("mode", ""),
            payer=body.get("payer", ""),
            description=body.get("description", ""),
        )
        try:
            expected_state(loan, [*prior, attempt], today)
            verdict = "the domain replay of the client's records ACCEPTS it (service/API fault)"
        except ValueError as exc:
            verdict = f"the domain replay of the client's records refuses it too: {exc}"
        out.append(
            f"refused {body} on {loan}; prior events "
            f"{[(e.kind, str(e.amount), e.value_date.isoformat(), e.mode) for e in prior]}: "
            f"{verdict}"
        )
    return out


def run_day_end(url: str, day: dt.date) -> tuple[float, str | None]:
    env = {**os.environ, "TECHFIN_DATABASE_URL": url}
    # The working tree is shared: a migration added since the setup would make the CLI refuse
    # the database. Bring it to the code's head first (a no-op when nothing was added) and say so.
    before = subprocess.run(
        [sys.executable, "-m", "techfin", "db", "current"], env=env, capture_output=True, text=True
    ).stdout.strip()
    up = subprocess.run(
        [sys.executable, "-m", "techfin", "db", "upgrade"], env=env, capture_output=True, text=True
    )
    if up.returncode != 0:
        return 0.0, f"techfin db upgrade exited {up.returncode}: {up.stderr.strip()[:500]}"
    after = subprocess.run(
        [sys.executable, "-m", "techfin", "db", "current"], env=env, capture_output=True, text=True
    ).stdout.strip()
    if after != before:
        print(f"note: the code gained a migration during the run; database upgraded ({after})")
    t0 = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "techfin",
            "eod",
            "run",
            "--date",
            day.isoformat(),
            "--institution",
            BANK,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        return seconds, f"techfin eod run exited {done.returncode}: {done.stderr.strip()[:500]}"
    print(f"day-end: {done.stdout.strip()} ({seconds:.1f} s)")
    return seconds, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--warmup-loans",
        type=int,
        default=60,
        help="loans originated before the clock starts, ~70 %% of them on past business dates "
        "(the only loans with an age: those of the run start on the business date)",
    )
    parser.add_argument(
        "--origination-share",
        type=float,
        default=0.08,
        help="share of a client's operations that originate a whole loan (the rest are money "
        "events)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument(
        "--inject-fault",
        action="store_true",
        help="before reconciling, add one fen to one stored event with SQL (the checks must "
        "then fail: shows they can)",
    )
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or not 0 <= args.origination_share <= 1:
        parser.error("--clients ≥ 1, --seconds > 0, 0 ≤ --origination-share ≤ 1")
    today = dt.date.today()
    name = f"techfin_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        pg_version = str(conn.execute(sa.text("show server_version")).scalar())
    machine = {
        "nproc": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "postgresql": pg_version,
    }
    print(
        f"machine: nproc {machine['nproc']}, load average {machine['load_before']}, "
        f"PostgreSQL {pg_version}"
    )
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    process: subprocess.Popen[bytes] | None = None
    failures: list[str] = []
    try:
        t0 = time.perf_counter()
        bank_id = build_world(url, today)
        print(f"setup: origination world in a fresh database, {time.perf_counter() - t0:.1f} s")
        process, base = start_server(url)
        book, stats = Book(), Stats()
        run = run_load(
            base,
            url,
            book,
            args.clients,
            args.seconds,
            args.warmup_loans,
            args.origination_share,
            today,
            stats,
        )
        elapsed = run["elapsed"]
        print(
            f"clients {args.clients}, {elapsed:.1f} s; loans {len(book.loans)} "
            f"({run['warm_loans']} warm-up), money events acknowledged {len(book.events)}"
        )
        machine["load_after_run"] = [round(x, 2) for x in os.getloadavg()]
        print(f"load average at the end of the run: {machine['load_after_run']}")
        figures = report(stats, elapsed)
        failures += stats.problems

        # Independent reconciliation.
        t1 = time.perf_counter()
        if args.inject_fault and book.events:
            victim = next(iter(book.events.values()))
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(
                    sa.text("update svc_events set amount = amount + 0.01 where event_id = :e"),
                    {"e": victim.event_id},
                )
            engine.dispose()
            print(f"fault injected: event {victim.event_id} of loan {victim.loan_id} + 0.01")
        headers = Tokens().get(httpx.Client(base_url=base), MAKERS[0])
        views, errors = fetch_views(base, headers, sorted(book.loans), today)
        failures += errors
        process.terminate()
        process.wait(timeout=30)
        process = None
        eod_s, eod_error = run_day_end(url, today)
        if eod_error:
            failures.append(eod_error)
        engine = sa.create_engine(url)
        positions = read_positions(engine, today)
        replay_errors = replay_check(book, views, positions, today)
        sql_errors = sql_check(engine, book, bank_id, views, positions)
        engine.dispose()
        failures += replay_errors + sql_errors
        failures += diagnose_refusals(stats, book, today)
        print(
            f"reconciliation ({time.perf_counter() - t1:.1f} s): {len(book.loans)} loans, "
            f"{len(book.events)} events; domain replay vs API view and svc_positions: "
            f"{len(replay_errors)} mismatches; SQL (no replay): {len(sql_errors)} mismatches"
        )
        if args.json:
            figures.update(
                clients=args.clients,
                elapsed=elapsed,
                loans=len(book.loans),
                warm_loans=run["warm_loans"],
                events=len(book.events),
                eod_seconds=eod_s,
                failures=len(failures),
                machine=machine,
                reconcile_seconds=time.perf_counter() - t1,
            )
            args.json.write_text(json.dumps(figures, indent=2, default=str))
        for f in failures:
            print(f"MISMATCH: {f}")
        if failures:
            print(f"FAILED: {len(failures)} problems")
            sys.exit(1)
        print(
            f"reconciled: {len(book.events)} events, one per key, none lost or duplicated; "
            f"{len(book.loans)} loans agree to the cent (domain replay = API view = day-end "
            "svc_positions; money conserved)"
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
