"""Post-loan monitoring on the platform (issue 9 items 3, 4, 6): the day-end steps (positions
and accrual, classification floors with downgrade/upgrade and judgement-due notices, early
warnings with tasks and the watch list), co-investor information pushed by investors under the
enterprise's consent or an NDA on file, milestone progress, tasks, the watch list and periodic
review reports. Every command is audited.

Day-end reads the hub's shared data about a borrower (social insurance, tax, power, customs,
court and credit-register records) only while the borrower has a live `post_loan_monitoring`
consent to the bank; without it those rules are reported as not evaluated. The loan's
use-of-funds evidence (origination's `orig_fund_use_evidence`) is the bank's own record: it is
compared with the loan's purpose (`credit.fund_use`) at every day-end, consent or not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.credit import fund_use
from techfin.credit import warnings as ew
from techfin.credit.classification import RiskClass
from techfin.services import audit
from techfin.services.authz import owned, require_role
from techfin.services.consent import Purpose, live_consent, system_read
from techfin.services.context import Actor, InstitutionKind, Role
from techfin.services.eod import step
from techfin.services.errors import Conflict, ConsentRequired, Forbidden, NotFound, ValidationFailed
from techfin.services.servicing import (
    JUDGEMENT_MAX_AGE_DAYS,
    READERS,
    _loan,
    _reason,
    business_date,
    floor_of,
    latest_judgement,
    position,
    sync_status,
)
from techfin.store.db import Database
from techfin.store.tables import (
    CourtRecord,
    CreditRegisterLoan,
    CustomsRecord,
    Enterprise,
    Institution,
    SocialSecurityRecord,
    TaxRecord,
    User,
    UtilityRecord,
)
from techfin.store.tables_ip import IpAlert, IpPledge
from techfin.store.tables_origination import Application, FundUseEvidence, Loan
from techfin.store.tables_servicing import (
    SvcFundUseReview,
    SvcInvestorInfo,
    SvcMilestoneProgress,
    SvcNda,
    SvcNotice,
    SvcPosition,
    SvcReview,
    SvcSchedule,
    SvcTask,
    SvcWarning,
    SvcWatch,
)

INVESTOR_KINDS = ("follow_on_round", "down_round", "investor_exit", "valuation")
MILESTONE_MAP = {
    "revenue": "revenue_target",
    "funding_round": "next_round",
    "product_launch": "product_launch",
}
IP_ALERT_EVENTS = {
    "lapsed": "ip_lapse",
    "right_ended": "ip_lapse",
    "invalidation": "ip_invalidation",
    "transfer": "ip_pledge_transfer",
}
WATCH_LEVELS = ("orange", "red")
MONITORS = [Role.RISK_MANAGER, Role.ACCOUNT_MANAGER]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _active_loans(session: Session, institution_id: int, date: dt.date) -> list[Loan]:
    return list(
        session.scalars(
            select(Loan)
            .where(
                Loan.institution_id == institution_id,
                Loan.start_date <= date,
                Loan.status.in_(("active", "settled")),
            )
            .order_by(Loan.id)
        )
    )


# --------------------------------------------------------------------------------------------
# Day-end steps


@step("servicing.positions", order=400)
def day_end_positions(session: Session, institution: Institution, date: dt.date) -> dict[str, Any]:
    """Interest accrual and days past due: replay every loan to the day and keep the result
    (one row per loan and date; a rerun rewrites the same figures)."""
    count = past_due = 0
    accrued = Decimal("0.00")
    for loan in _active_loans(session, institution.id, date):
        pos = position(session, loan, date)
        floor = floor_of(session, loan, pos)
        row = session.scalar(
            select(SvcPosition).where(SvcPosition.loan_id == loan.id, SvcPosition.as_of == date)
        )
        if row is None:
            row = SvcPosition(institution_id=institution.id, loan_id=loan.id, as_of=date)
            session.add(row)
        row.balances = pos.balances()
        row.days_past_due = pos.state.days_past_due
        row.principal_outstanding = pos.state.principal_outstanding
        row.interest_accrued = pos.state.interest_accrued
        row.floor = floor.value.value
        row.floor_reasons = floor.to_dict()["reasons"]
        row.rule_version = floor.rule_version
        sync_status(loan, pos)
        count += 1
        past_due += pos.state.days_past_due > 0
        accrued += pos.state.interest_accrued
    session.flush()
    return {"loans": count, "past_due": past_due, "interest_accrued": str(accrued)}


def _notice(
    session: Session, loan: Loan, date: dt.date, kind: str, text: str, detail: dict[str, Any]
) -> bool:
    exists = session.scalar(
        select(SvcNotice.id).where(
            SvcNotice.loan_id == loan.id, SvcNotice.kind == kind, SvcNotice.business_date == date
        )
    )
    if exists is not None:
        return False
    session.add(
        SvcNotice(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            business_date=date,
            kind=kind,
            text=text[:500],
            detail=detail,
        )
    )
    return True


@step("servicing.classification", order=410)
def day_end_classification(
    session: Session, institution: Institution, date: dt.date
) -> dict[str, Any]:
    """Classification floors: a downgrade or upgrade notice when the floor moves, a notice
    when the judged class is below the floor or older than a quarter (or missing)."""
    counts = {"downgrade": 0, "upgrade": 0, "judgement_due": 0, "below_floor": 0}
    rows = session.scalars(
        select(SvcPosition).where(
            SvcPosition.institution_id == institution.id, SvcPosition.as_of == date
        )
    )
    for row in list(rows):
        loan = session.get(Loan, row.loan_id)
        assert loan is not None and row.floor is not None
        if loan.status != "active":
            continue
        floor = RiskClass(row.floor)
        prev = session.scalar(
            select(SvcPosition)
            .where(SvcPosition.loan_id == loan.id, SvcPosition.as_of < date)
            .order_by(SvcPosition.as_of.desc())
        )
        before = RiskClass(prev.floor) if prev is not None and prev.floor else RiskClass.NORMAL
        why = "; ".join(r["text"] for r in row.floor_reasons if r.get("floor") != "normal")
        if floor.rank > before.rank:
            counts["downgrade"] += _notice(
                session,
                loan,
                date,
                "downgrade",
                f"classification floor raised from {before.value} to {floor.value}: {why}",
                {
                    "from": before.value,
                    "to": floor.value,
                    "reasons": [r["code"] for r in row.floor_reasons if r.get("floor") != "normal"],
                    "days_past_due": row.days_past_due,
                },
            )
        elif floor.rank < before.rank:
            counts["upgrade"] += _notice(
                session,
                loan,
                date,
                "upgrade",
                f"classification floor lowered from {before.value} to {floor.value}",
                {"from": before.value, "to": floor.value},
            )
        last = latest_judgement(session, loan.id)
        if last is None:
            if (date - loan.start_date).days >= JUDGEMENT_MAX_AGE_DAYS:
                counts["judgement_due"] += _notice(
                    session,
                    loan,
                    date,
                    "judgement_due",
                    "no judged class recorded yet: review and sign off at least quarterly",
                    {"last": None},
                )
        else:
            judged_on = last.reviewed_at.date() if last.reviewed_at else last.as_of
            if (date - judged_on).days > JUDGEMENT_MAX_AGE_DAYS:
                counts["judgement_due"] += _notice(
                    session,
                    loan,
                    date,
                    "judgement_due",
                    f"last judged class ({last.judged_class}) signed off on {judged_on}, "
                    "more than a quarter ago",
                    {
                        "last": last.id,
                        "judged": last.judged_class,
                        "judged_on": judged_on.isoformat(),
                    },
                )
            if RiskClass(last.judged_class).rank < floor.rank:
                counts["below_floor"] += _notice(
                    session,
                    loan,
                    date,
                    "below_floor",
                    f"judged class {last.judged_class} is better than the floor {floor.value}: "
                    "re-judge",
                    {"judged": last.judged_class, "floor": floor.value},
                )
    return counts


def _quarter(date: dt.date) -> str:
    return f"{date.year}Q{(date.month - 1) // 3 + 1}"


def _shift(quarter: str, back: int) -> str:
    year, q = int(quarter[:4]), int(quarter[5])
    n = year * 4 + (q - 1) - back
    return f"{n // 4}Q{n % 4 + 1}"


#: The latest reading must be for one of this many complete quarters before the day-end's
#: quarter (a quarter's figures reach the hub about a month after it closes); an older one is
#: stale and its drop rules are listed as not evaluated (house rule, unconfirmed).
FRESH_QUARTERS = 2


def _reading(series: dict[str, Decimal], date: dt.date) -> ew.MetricReading | None:
    """The latest complete quarter before `date` against the quarter before and a year before."""
    known = sorted(q for q in series if q < _quarter(date))
    if not known:
        return None
    current = known[-1]
    return ew.MetricReading(
        current=series[current],
        previous_quarter=series.get(_shift(current, 1)),
        previous_year=series.get(_shift(current, 4)),
        period=current,
        stale=current < _shift(_quarter(date), FRESH_QUARTERS),
    )


def signals_for(session: Session, loan: Loan, date: dt.date, dpd: int) -> ew.SignalsInput:
    """Everything known about the borrower: hub data (under consent), IP alerts, co-investor
    information, milestones and progress, the loan's own days past due."""
    eid = loan.enterprise_id
    consented = (
        system_read(
            session,
            institution_id=loan.institution_id,
            enterprise_id=eid,
            purpose=Purpose.POST_LOAN_MONITORING,
            what="post-loan monitoring",
            on=date,
            job="eod",
        )
        is not None
    )
    metrics: dict[str, ew.MetricReading] = {}
    events: list[ew.SignalEvent] = []
    if consented:
        series: dict[str, dict[str, Decimal]] = {
            "headcount": {},
            "revenue": {},
            "tax_paid": {},
            "power_use": {},
            "customs_value": {},
        }
        for s in session.scalars(
            select(SocialSecurityRecord).where(
                SocialSecurityRecord.enterprise_id == eid, SocialSecurityRecord.as_of <= date
            )
        ):
            series["headcount"][s.quarter] = Decimal(s.insured_staff)
        for t in session.scalars(
            select(TaxRecord).where(TaxRecord.enterprise_id == eid, TaxRecord.as_of <= date)
        ):
            if t.declared_revenue is not None:
                series["revenue"][t.quarter] = Decimal(t.declared_revenue)
            if t.vat is not None or t.cit is not None:
                series["tax_paid"][t.quarter] = Decimal(t.vat or 0) + Decimal(t.cit or 0)
        for u in session.scalars(
            select(UtilityRecord).where(
                UtilityRecord.enterprise_id == eid, UtilityRecord.as_of <= date
            )
        ):
            series["power_use"][u.quarter] = Decimal(u.power_kwh)
        for c in session.scalars(
            select(CustomsRecord).where(
                CustomsRecord.enterprise_id == eid, CustomsRecord.as_of <= date
            )
        ):
            series["customs_value"][c.quarter] = Decimal(c.exports) + Decimal(c.imports or 0)
        for name, values in series.items():
            reading = _reading(values, date)
            if reading is not None:
                metrics[name] = reading
        for cr in session.scalars(
            select(CourtRecord).where(CourtRecord.enterprise_id == eid, CourtRecord.as_of <= date)
        ):
            if cr.kind in ("dishonest", "enforcement") and cr.status not in ("closed", "removed"):
                events.append(
                    ew.SignalEvent(
                        "dishonest_debtor" if cr.kind == "dishonest" else "enforcement",
                        min(cr.filed_on, date),
                        f"{cr.court} {cr.case_no}",
                        "hub: court records",
                    )
                )
        for other in session.scalars(
            select(CreditRegisterLoan).where(
                CreditRegisterLoan.enterprise_id == eid, CreditRegisterLoan.as_of <= date
            )
        ):
            if other.classification in ("substandard", "doubtful", "loss"):
                events.append(
                    ew.SignalEvent(
                        "npl_other_bank",
                        other.as_of,
                        f"{other.lender}: {other.classification}",
                        "hub: credit register",
                    )
                )
            elif other.overdue_days:
                events.append(
                    ew.SignalEvent(
                        "overdue_other_bank",
                        other.as_of,
                        f"{other.lender}: {other.overdue_days} days overdue",
                        "hub: credit register",
                    )
                )
    for alert in session.scalars(
        select(IpAlert)
        .join(IpPledge, IpPledge.id == IpAlert.pledge_id)
        .where(
            IpPledge.pledgor_enterprise_id == eid,
            IpAlert.institution_id == loan.institution_id,
            IpAlert.raised_on <= date,
        )
    ):
        kind = IP_ALERT_EVENTS.get(alert.kind)
        if kind:
            events.append(ew.SignalEvent(kind, alert.since, alert.detail[:200], "IP monitoring"))
    for info in session.scalars(
        select(SvcInvestorInfo).where(
            SvcInvestorInfo.enterprise_id == eid, SvcInvestorInfo.on <= date
        )
    ):
        if info.kind in ("follow_on_round", "down_round", "investor_exit"):
            investor = session.get(Institution, info.investor_institution_id)
            events.append(
                ew.SignalEvent(
                    info.kind, info.on, info.detail[:200], investor.name if investor else ""
                )
            )
    events.extend(fund_use_events(session, loan, date))
    return ew.SignalsInput(
        subject_id=str(loan.id),
        as_of=date,
        metrics=metrics,
        events=events,
        milestones=_milestones(session, loan),
        days_past_due=dpd,
    )


@cache
def _evidence_window_days() -> int:
    from techfin.services.origination_policy import load_policy

    return int(load_policy().raw["disbursement"]["use_of_funds_evidence_days"])


def _opens_a_task(session: Session, loan_id: int, task: str, date: dt.date) -> bool:
    """Whether the day-end's request for `task` opens a new one: not while one is open, and not
    when the last one was done during the same episode — the warnings asked for this task at every
    day-end since that task was opened. A cause that goes away and comes back opens a new task;
    one that merely persists does not reopen a task staff have closed."""
    last = session.scalars(
        select(SvcTask)
        .where(SvcTask.loan_id == loan_id, SvcTask.task == task, SvcTask.source.like("warning:%"))
        .order_by(SvcTask.id.desc())
        .limit(1)
    ).first()
    open_ = session.scalar(
        select(SvcTask.id).where(
            SvcTask.loan_id == loan_id, SvcTask.task == task, SvcTask.status == "open"
        )
    )
    if open_ is not None:
        return False
    if last is None:
        return True
    between = session.scalars(
        select(SvcWarning.tasks).where(
            SvcWarning.loan_id == loan_id,
            SvcWarning.as_of >= last.created_on,
            SvcWarning.as_of < date,
        )
    ).all()
    return any(task not in {x.get("task") for x in (tasks or [])} for tasks in between)


def fund_use_assessment(
    session: Session, loan: Loan, date: dt.date, *, reviewed: bool = True
) -> fund_use.Assessment | None:
    """The loan's use-of-funds evidence recorded up to `date` against its purpose
    (`fund_use.assess`), with staff reviews of suspected uses applied (`fund_use.apply_reviews`)
    unless `reviewed` is false; None before any use-of-funds rule version is in force. The
    evidence is the bank's own record, read without the borrower's consent."""
    try:
        rules = fund_use.load_rules(date)
    except ValueError:
        return None
    evidence = [
        fund_use.Evidence(
            ref=f"#{e.id}",
            amount=Decimal(e.amount),
            description=e.description,
            recorded_on=e.recorded_on,
            payee=e.payee_name,
            category=e.category,
        )
        for e in session.scalars(
            select(FundUseEvidence)
            .where(FundUseEvidence.loan_id == loan.id, FundUseEvidence.recorded_on <= date)
            .order_by(FundUseEvidence.id)
        )
    ]
    renewed = session.scalar(
        select(SvcSchedule.id).where(SvcSchedule.loan_id == loan.id, SvcSchedule.kind == "renewal")
    )
    assessment = fund_use.assess(
        loan_kind=rules.loan_kind(loan.product_code),
        principal=Decimal(loan.principal),
        disbursed_on=loan.start_date,
        as_of=date,
        evidence=evidence,
        window_days=_evidence_window_days(),
        renewal=renewed is not None,
        rules=rules,
    )
    if not reviewed:
        return assessment
    return fund_use.apply_reviews(assessment, _fund_use_reviews(session, loan.id, date))


def _fund_use_reviews(session: Session, loan_id: int, date: dt.date) -> list[fund_use.Review]:
    rows = session.scalars(
        select(SvcFundUseReview)
        .where(SvcFundUseReview.loan_id == loan_id, SvcFundUseReview.reviewed_on <= date)
        .order_by(SvcFundUseReview.id)
    )
    return [
        fund_use.Review(
            evidence=f"#{r.evidence_id}",
            outcome=r.outcome,
            on=r.reviewed_on,
            by=_username(session, r.reviewed_by),
            note=r.note,
        )
        for r in rows
    ]


def _username(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.username if user is not None else "?"


def review_fund_use(
    db: Database, actor: Actor, loan_id: int, evidence_id: int, *, outcome: str, note: str
) -> dict[str, Any]:
    """A risk manager's conclusion on a suspected use of funds after checking the voucher:
    `cleared` (within purpose: the suspicion stops counting from today's day-end) or
    `confirmed` (an unapproved change of use: a special-mention floor and the warning stay).
    Not by the person who recorded the evidence. Audited; the review is kept, a later one of the
    same item supersedes it."""
    require_role(actor, [Role.RISK_MANAGER], "reviewing a use of funds")
    if outcome not in fund_use.REVIEW_OUTCOMES:
        raise ValidationFailed(
            f"outcome: one of {', '.join(fund_use.REVIEW_OUTCOMES)}", field="outcome"
        )
    why = _reason(note, "note")
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id)
        evidence = session.get(FundUseEvidence, evidence_id)
        if evidence is None or evidence.loan_id != loan.id:
            raise NotFound("use-of-funds evidence not found on this loan")
        if evidence.recorded_by == actor.user_id:
            raise Forbidden("the person who recorded the evidence cannot also review it")
        today = business_date(session, loan.institution_id)
        raw = fund_use_assessment(session, loan, today, reviewed=False)
        if raw is None or not any(
            f.evidence == f"#{evidence.id}" and f.kind == "suspected" for f in raw.findings
        ):
            raise Conflict(
                "evidence: nothing to review — only a suspected use (a keyword hit) is reviewed; "
                "a use recorded in a prohibited category is a fact",
                field="evidence",
            )
        review = SvcFundUseReview(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            evidence_id=evidence.id,
            outcome=outcome,
            note=why,
            reviewed_on=today,
            reviewed_by=actor.user_id,
        )
        session.add(review)
        session.flush()
        audit.record(
            session,
            actor,
            "servicing.fund_use_review",
            f"loan:{loan.id}",
            reason=why,
            after={"evidence": evidence.id, "outcome": outcome},
        )
        return _fund_use_view(session, loan, today)


def _fund_use_view(session: Session, loan: Loan, when: dt.date) -> dict[str, Any]:
    """The use-of-funds assessment on `when` (reviews applied) and every review made."""
    assessment = fund_use_assessment(session, loan, when)
    reviews = session.scalars(
        select(SvcFundUseReview)
        .where(SvcFundUseReview.loan_id == loan.id)
        .order_by(SvcFundUseReview.id.desc())
    )
    return {
        "assessment": assessment.to_dict() if assessment is not None else None,
        "reviews": [
            {
                "id": r.id,
                "evidence_id": r.evidence_id,
                "outcome": r.outcome,
                "note": r.note,
                "reviewed_on": r.reviewed_on.isoformat(),
                "reviewed_by": _username(session, r.reviewed_by),
            }
            for r in reviews
        ],
    }


FUND_USE_EVENTS = {
    "prohibited": "funds_off_purpose",
    "suspected": "funds_off_purpose",
    "unevidenced": "funds_unevidenced",
}


def fund_use_events(session: Session, loan: Loan, date: dt.date) -> list[ew.SignalEvent]:
    """Findings on the use of funds as warning events: a prohibited category or a keyword hit
    → `funds_off_purpose`, principal unevidenced after the window → `funds_unevidenced` (only
    under a rule version that has that rule). Each event's detail names the evidence item."""
    assessment = fund_use_assessment(session, loan, date)
    if assessment is None:
        return []
    known = {r.event for r in ew.load_rules(date).rules if r.kind == "event"}
    out = []
    for f in assessment.findings:
        kind = FUND_USE_EVENTS[f.kind]
        if kind in known:
            source = f"use-of-funds evidence, {assessment.rule_version}"
            out.append(ew.SignalEvent(kind, f.on, f"{f.kind}: {f.reason}"[:400], source))
    return out


def _milestones(session: Session, loan: Loan) -> list[ew.Milestone]:
    app = session.get(Application, loan.application_id)
    out = []
    progress = _progress(session, loan.id)
    for i, m in enumerate((app.milestones if app else None) or []):
        kind = MILESTONE_MAP.get(str(m.get("kind")))
        if kind is None:
            continue
        p = progress.get(i)
        out.append(
            ew.Milestone(
                kind,
                dt.date.fromisoformat(str(m["due"])),
                str(m.get("text", "")),
                achieved_on=p.achieved_on if p else None,
                target=Decimal(p.target) if p and p.target is not None else None,
                actual=Decimal(p.actual) if p and p.actual is not None else None,
            )
        )
    return out


def _progress(session: Session, loan_id: int) -> dict[int, SvcMilestoneProgress]:
    out: dict[int, SvcMilestoneProgress] = {}
    for p in session.scalars(
        select(SvcMilestoneProgress)
        .where(SvcMilestoneProgress.loan_id == loan_id)
        .order_by(SvcMilestoneProgress.id)
    ):
        out[p.milestone_index] = p
    return out


def _on_watch(session: Session, institution_id: int, enterprise_id: int) -> SvcWatch | None:
    return session.scalar(
        select(SvcWatch).where(
            SvcWatch.institution_id == institution_id,
            SvcWatch.enterprise_id == enterprise_id,
            SvcWatch.removed_on.is_(None),
        )
    )


@step("servicing.early_warning", order=420)
def day_end_warnings(session: Session, institution: Institution, date: dt.date) -> dict[str, Any]:
    """Early warnings (`warnings.evaluate`) per loan; open tasks from them (one open task per
    loan and kind, not reopened while its cause persists: `_opens_a_task`) and the watch list at
    orange and red."""
    evaluated = tasks = watched = 0
    rows = session.scalars(
        select(SvcPosition).where(
            SvcPosition.institution_id == institution.id, SvcPosition.as_of == date
        )
    )
    for pos in list(rows):
        loan = session.get(Loan, pos.loan_id)
        assert loan is not None
        if loan.status != "active":
            continue
        warning = ew.evaluate(signals_for(session, loan, date, pos.days_past_due))
        row = session.scalar(
            select(SvcWarning).where(SvcWarning.loan_id == loan.id, SvcWarning.as_of == date)
        )
        if row is None:
            row = SvcWarning(
                institution_id=institution.id,
                loan_id=loan.id,
                enterprise_id=loan.enterprise_id,
                as_of=date,
            )
            session.add(row)
        data = warning.to_dict()
        row.score, row.level = warning.score, warning.level
        row.fired, row.tasks = data["fired"], data["tasks"]
        row.not_evaluated, row.rule_version = data["not_evaluated"], warning.rule_version
        evaluated += 1
        for t in warning.tasks:
            if not _opens_a_task(session, loan.id, t.task, date):
                continue
            session.add(
                SvcTask(
                    institution_id=institution.id,
                    loan_id=loan.id,
                    enterprise_id=loan.enterprise_id,
                    task=t.task,
                    text=t.text[:300],
                    due_on=t.due_on,
                    because=t.because[:200],
                    source=f"warning:{date.isoformat()}",
                    created_on=date,
                )
            )
            tasks += 1
        if (
            warning.level in WATCH_LEVELS
            and _on_watch(session, institution.id, loan.enterprise_id) is None
        ):
            session.add(
                SvcWatch(
                    institution_id=institution.id,
                    enterprise_id=loan.enterprise_id,
                    loan_id=loan.id,
                    reason=f"early warning {warning.level} ({warning.score}) on {date}",
                    level=warning.level,
                    added_on=date,
                )
            )
            watched += 1
        session.flush()
    return {"evaluated": evaluated, "tasks_opened": tasks, "watch_list_added": watched}


# --------------------------------------------------------------------------------------------
# Loan page data


def _task_dict(t: SvcTask) -> dict[str, Any]:
    return {
        "id": t.id,
        "loan_id": t.loan_id,
        "enterprise_id": t.enterprise_id,
        "task": t.task,
        "text": t.text,
        "due_on": t.due_on.isoformat(),
        "because": t.because,
        "source": t.source,
        "status": t.status,
        "created_on": t.created_on.isoformat(),
        "note": t.note,
    }


def loan_monitoring(session: Session, loan: Loan, when: dt.date) -> dict[str, Any]:
    notices = session.scalars(
        select(SvcNotice).where(SvcNotice.loan_id == loan.id).order_by(SvcNotice.id.desc())
    )
    warns = session.scalars(
        select(SvcWarning)
        .where(SvcWarning.loan_id == loan.id)
        .order_by(SvcWarning.as_of.desc())
        .limit(30)
    )
    tasks = session.scalars(
        select(SvcTask).where(SvcTask.loan_id == loan.id).order_by(SvcTask.id.desc())
    )
    reviews = session.scalars(
        select(SvcReview).where(SvcReview.loan_id == loan.id).order_by(SvcReview.id.desc())
    )
    positions = session.scalars(
        select(SvcPosition)
        .where(SvcPosition.loan_id == loan.id)
        .order_by(SvcPosition.as_of.desc())
        .limit(90)
    )
    app = session.get(Application, loan.application_id)
    progress = _progress(session, loan.id)
    milestones = []
    for i, m in enumerate((app.milestones if app else None) or []):
        p = progress.get(i)
        milestones.append(
            {
                "index": i,
                "kind": m.get("kind"),
                "text": m.get("text"),
                "due": m.get("due"),
                "achieved_on": p.achieved_on.isoformat() if p and p.achieved_on else None,
                "target": str(p.target) if p and p.target is not None else None,
                "actual": str(p.actual) if p and p.actual is not None else None,
                "note": p.note if p else "",
                "overdue": (p is None or p.achieved_on is None)
                and dt.date.fromisoformat(str(m.get("due"))) < when,
            }
        )
    return {
        "notices": [
            {
                "id": n.id,
                "business_date": n.business_date.isoformat(),
                "kind": n.kind,
                "text": n.text,
                "detail": dict(n.detail or {}),
            }
            for n in notices
        ],
        "warnings": [
            {
                "as_of": w.as_of.isoformat(),
                "score": w.score,
                "level": w.level,
                "fired": w.fired,
                "tasks": w.tasks,
                "not_evaluated": w.not_evaluated,
                "rule_version": w.rule_version,
            }
            for w in warns
        ],
        "tasks": [_task_dict(t) for t in tasks],
        "milestones": milestones,
        "fund_use": _fund_use_view(session, loan, when),
        "reviews": [
            {
                "id": r.id,
                "period": r.period,
                "as_of": r.as_of.isoformat(),
                "conclusion": r.conclusion,
                "text": r.text,
            }
            for r in reviews
        ],
        "positions": [
            {
                "as_of": p.as_of.isoformat(),
                "days_past_due": p.days_past_due,
                "principal_outstanding": str(p.principal_outstanding),
                "interest_accrued": str(p.interest_accrued),
                "floor": p.floor,
            }
            for p in positions
        ],
        "on_watch_list": _on_watch(session, loan.institution_id, loan.enterprise_id) is not None,
    }


# --------------------------------------------------------------------------------------------
# Tasks, watch list


def tasks(db: Database, actor: Actor, status: str = "open") -> list[dict[str, Any]]:
    require_role(actor, READERS, "listing tasks")
    with db.read() as session:
        query = select(SvcTask).where(SvcTask.institution_id == actor.institution_id)
        if status != "all":
            query = query.where(SvcTask.status == status)
        return [_task_dict(t) for t in session.scalars(query.order_by(SvcTask.due_on, SvcTask.id))]


def add_task(
    db: Database,
    actor: Actor,
    loan_id: int,
    *,
    task: str,
    text: str,
    due_on: dt.date,
) -> dict[str, Any]:
    require_role(actor, MONITORS, "adding a task")
    if not task.strip() or not text.strip():
        raise ValidationFailed("name the task and describe it", field="task")
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id)
        today = business_date(session, loan.institution_id)
        row = SvcTask(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            enterprise_id=loan.enterprise_id,
            task=task.strip()[:40],
            text=text.strip()[:300],
            due_on=due_on,
            source="manual",
            created_on=today,
            created_by=actor.user_id or None,
        )
        session.add(row)
        session.flush()
        audit.record(session, actor, "servicing.task_added", f"loan:{loan.id}", reason=text)
        return _task_dict(row)


def complete_task(db: Database, actor: Actor, task_id: int, note: str) -> dict[str, Any]:
    require_role(actor, MONITORS, "completing a task")
    why = _reason(note, "note")
    with db.transaction() as session:
        row = owned(session, actor, SvcTask, task_id, "task")
        if row.status != "open":
            raise Conflict(f"task is {row.status}", field="status")
        row.status, row.note = "done", why
        row.done_by, row.done_at = actor.user_id or None, _now()
        audit.record(session, actor, "servicing.task_done", f"task:{row.id}", reason=why)
        return _task_dict(row)


def _watch_dict(session: Session, w: SvcWatch) -> dict[str, Any]:
    enterprise = session.get(Enterprise, w.enterprise_id)
    latest = session.scalar(
        select(SvcWarning)
        .where(
            SvcWarning.enterprise_id == w.enterprise_id,
            SvcWarning.institution_id == w.institution_id,
        )
        .order_by(SvcWarning.as_of.desc())
    )
    return {
        "id": w.id,
        "enterprise_id": w.enterprise_id,
        "enterprise": enterprise.name if enterprise else "",
        "loan_id": w.loan_id,
        "reason": w.reason,
        "level": w.level,
        "added_on": w.added_on.isoformat(),
        "removed_on": w.removed_on.isoformat() if w.removed_on else None,
        "latest_score": latest.score if latest else None,
        "latest_level": latest.level if latest else None,
        "open_tasks": len(
            list(
                session.scalars(
                    select(SvcTask.id).where(
                        SvcTask.enterprise_id == w.enterprise_id,
                        SvcTask.institution_id == w.institution_id,
                        SvcTask.status == "open",
                    )
                )
            )
        ),
    }


def watch_list(db: Database, actor: Actor, include_removed: bool = False) -> list[dict[str, Any]]:
    require_role(actor, READERS, "reading the watch list")
    with db.read() as session:
        query = select(SvcWatch).where(SvcWatch.institution_id == actor.institution_id)
        if not include_removed:
            query = query.where(SvcWatch.removed_on.is_(None))
        return [_watch_dict(session, w) for w in session.scalars(query.order_by(SvcWatch.id))]


def add_to_watch(db: Database, actor: Actor, loan_id: int, *, reason: str) -> dict[str, Any]:
    require_role(actor, [Role.RISK_MANAGER], "adding to the watch list")
    why = _reason(reason)
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id)
        if _on_watch(session, loan.institution_id, loan.enterprise_id) is not None:
            raise Conflict("the borrower is already on the watch list", field="loan_id")
        row = SvcWatch(
            institution_id=loan.institution_id,
            enterprise_id=loan.enterprise_id,
            loan_id=loan.id,
            reason=why[:500],
            level="manual",
            added_on=business_date(session, loan.institution_id),
            added_by=actor.user_id or None,
        )
        session.add(row)
        session.flush()
        audit.record(session, actor, "servicing.watch_add", f"loan:{loan.id}", reason=why)
        return _watch_dict(session, row)


def remove_from_watch(db: Database, actor: Actor, watch_id: int, *, reason: str) -> dict[str, Any]:
    require_role(actor, [Role.RISK_MANAGER], "removing from the watch list")
    why = _reason(reason)
    with db.transaction() as session:
        row = owned(session, actor, SvcWatch, watch_id, "watch-list entry")
        if row.removed_on is not None:
            raise Conflict("already removed", field="status")
        row.removed_on = business_date(session, row.institution_id)
        row.removed_by, row.remove_reason = actor.user_id or None, why
        audit.record(session, actor, "servicing.watch_remove", f"watch:{row.id}", reason=why)
        return _watch_dict(session, row)


# --------------------------------------------------------------------------------------------
# Co-investor information, NDAs


def record_nda(
    db: Database,
    actor: Actor,
    enterprise_id: int,
    *,
    investor_code: str,
    reference: str,
    signed_on: dt.date,
    valid_to: dt.date,
) -> dict[str, Any]:
    """The enterprise records an NDA with an investor on file (the other basis, besides an
    `investment` consent, for the investor to push information about it)."""
    if not actor.is_system and (
        actor.role is not Role.ENTERPRISE or actor.enterprise_id != enterprise_id
    ):
        raise Forbidden("only the enterprise itself records an NDA on file")
    if valid_to <= signed_on:
        raise ValidationFailed("valid_to must be after signed_on", field="valid_to")
    if not reference.strip():
        raise ValidationFailed("give the NDA's reference", field="reference")
    with db.transaction() as session:
        if session.get(Enterprise, enterprise_id) is None:
            raise NotFound("enterprise not found")
        investor = session.scalar(select(Institution).where(Institution.code == investor_code))
        if investor is None or investor.kind != InstitutionKind.INVESTOR.value:
            raise ValidationFailed(f"no investor {investor_code}", field="investor")
        row = SvcNda(
            enterprise_id=enterprise_id,
            investor_institution_id=investor.id,
            reference=reference.strip()[:100],
            signed_on=signed_on,
            valid_to=valid_to,
            recorded_by=actor.user_id or None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "servicing.nda_recorded",
            f"enterprise:{enterprise_id}",
            after={"investor": investor_code, "reference": row.reference, "until": valid_to},
        )
        return {"id": row.id, "investor": investor_code, "valid_to": valid_to.isoformat()}


def push_investor_info(
    db: Database,
    actor: Actor,
    enterprise_id: int,
    *,
    kind: str,
    on: dt.date,
    detail: str = "",
    amount: Decimal | None = None,
    valuation: Decimal | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """An investor (institution kind `investor`) pushes what it knows about an enterprise it
    co-invests in: a follow-on round, a valuation, a down round, an exit. Needs the
    enterprise's live consent to the investor for `investment`, or an NDA recorded on file."""
    if kind not in INVESTOR_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(INVESTOR_KINDS)}", field="kind")
    day = today or dt.date.today()
    with db.transaction() as session:
        institution = (
            session.get(Institution, actor.institution_id) if actor.institution_id else None
        )
        if institution is None or institution.kind != InstitutionKind.INVESTOR.value:
            raise Forbidden("only an investor institution pushes co-investor information")
        if session.get(Enterprise, enterprise_id) is None:
            raise NotFound("enterprise not found")
        basis, consent_id, nda_id = "consent", None, None
        try:
            consent_id = live_consent(session, actor, enterprise_id, Purpose.INVESTMENT, day).id
        except ConsentRequired:
            nda = session.scalar(
                select(SvcNda).where(
                    SvcNda.enterprise_id == enterprise_id,
                    SvcNda.investor_institution_id == institution.id,
                    SvcNda.signed_on <= day,
                    SvcNda.valid_to >= day,
                )
            )
            if nda is None:
                raise ConsentRequired(
                    f"no live consent for investment from enterprise {enterprise_id} to "
                    f"{institution.code} and no NDA on file",
                    field="enterprise_id",
                ) from None
            basis, nda_id = "nda", nda.id
        row = SvcInvestorInfo(
            investor_institution_id=institution.id,
            enterprise_id=enterprise_id,
            kind=kind,
            on=on,
            detail=detail[:2000],
            amount=amount,
            valuation=valuation,
            basis=basis,
            consent_id=consent_id,
            nda_id=nda_id,
            submitted_by=actor.user_id or None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "servicing.investor_info",
            f"enterprise:{enterprise_id}",
            reason=kind,
            after={"kind": kind, "on": on, "basis": basis},
        )
        return {"id": row.id, "kind": kind, "on": on.isoformat(), "basis": basis}


# --------------------------------------------------------------------------------------------
# Milestones, reviews


def record_milestone(
    db: Database,
    actor: Actor,
    loan_id: int,
    index: int,
    *,
    achieved_on: dt.date | None = None,
    target: Decimal | None = None,
    actual: Decimal | None = None,
    note: str = "",
) -> dict[str, Any]:
    require_role(actor, MONITORS, "recording milestone progress")
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id)
        app = session.get(Application, loan.application_id)
        milestones = (app.milestones if app else None) or []
        if not 0 <= index < len(milestones):
            raise NotFound(f"milestone {index} not found", field="index")
        row = SvcMilestoneProgress(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            milestone_index=index,
            achieved_on=achieved_on,
            target=target,
            actual=actual,
            note=note[:2000],
            recorded_by=actor.user_id or None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "servicing.milestone",
            f"loan:{loan.id}",
            reason=note,
            after={"index": index, "achieved_on": achieved_on, "actual": actual},
        )
        return {"id": row.id, "index": index}


REVIEW_CONCLUSIONS = ("no_change", "watch", "downgrade", "upgrade", "exit")


def write_review(
    db: Database, actor: Actor, loan_id: int, *, period: str, conclusion: str, text: str
) -> dict[str, Any]:
    """A periodic post-loan review report, with a snapshot of the loan's position and the
    latest early warning."""
    require_role(actor, MONITORS, "writing a review report")
    if conclusion not in REVIEW_CONCLUSIONS:
        raise ValidationFailed(
            f"conclusion must be one of {', '.join(REVIEW_CONCLUSIONS)}", field="conclusion"
        )
    body = _reason(text, "text")
    if not period.strip():
        raise ValidationFailed("name the period (e.g. 2026Q3)", field="period")
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id)
        today = business_date(session, loan.institution_id)
        pos = position(session, loan, today)
        latest = session.scalar(
            select(SvcWarning)
            .where(SvcWarning.loan_id == loan.id)
            .order_by(SvcWarning.as_of.desc())
        )
        row = SvcReview(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            period=period.strip()[:16],
            as_of=today,
            conclusion=conclusion,
            text=body,
            snapshot={
                "balances": pos.balances(),
                "warning": None
                if latest is None
                else {"score": latest.score, "level": latest.level},
            },
            written_by=actor.user_id or None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor, "servicing.review", f"loan:{loan.id}", reason=conclusion, after=body
        )
        return {"id": row.id, "period": row.period, "conclusion": conclusion}
