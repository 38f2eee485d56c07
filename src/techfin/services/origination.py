"""Origination (issue 8; guidance art. 9, 11, 13): from an application to money paid out.

One function per use case; each checks the role and the tenant, runs in one transaction and
appends its audit entry there. The path:

    open_application (account manager, consent checked; the file is assembled)
    → update_file (investigation report, milestones, collateral) → submit (complete file only)
    → review (a dedicated reviewer; not the maker)
    → [draw_experts → submit_opinion …]   when policy asks for the expert committee
    → decide (an approver within delegated authority; not maker or reviewer)
      or committee_vote … (贷审会: quorum, majority, the chair's veto)
    → make_contract (conditions precedent) → meet_condition …
    → request_disbursement (受托/自主支付 by threshold) → check_disbursement (放款审核, independent)
    → the LOAN with its schedule; quota and credit-line usage updated
    → record_fund_use (use-of-funds evidence).

Statuses: draft, submitted, experts, decision, committee, approved, rejected, returned,
contracted, disbursed. Every transition is an `ApplicationEvent`, from which the elapsed time
per step is measured for the tech channel beside the ordinary one.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from techfin.money import ZERO, to_decimal
from techfin.services import audit, floating, market
from techfin.services import experts as expert_registry
from techfin.services.authz import owned, require_institution, require_role
from techfin.services.consent import Purpose, checked_read
from techfin.services.context import Actor, Role
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.services.origination_file import MILESTONE_KINDS, _json, assemble
from techfin.services.origination_policy import (
    Level,
    Opinion,
    Vote,
    advice,
    authority,
    expert_triggers,
    exposure,
    group_of,
    load_policy,
    payment_mode,
    route,
    tally,
)
from techfin.services.servicing import business_date
from techfin.store.db import Database
from techfin.store.tables import (
    AnnualFinancials,
    Branch,
    Enterprise,
    Expert,
    User,
    utcnow,
)
from techfin.store.tables_origination import (
    Application,
    ApplicationEvent,
    ChannelStaff,
    CommitteeVote,
    Contract,
    ContractCondition,
    CreditLine,
    Disbursement,
    ExpertOpinion,
    FundUseEvidence,
    GroupLink,
    Loan,
    LoanScheduleRow,
    TechQuota,
    TechQuotaUse,
)

BANK_STAFF = (Role.ACCOUNT_MANAGER, Role.REVIEWER, Role.APPROVER, Role.RISK_MANAGER, Role.ADMIN)
DECISIONS = ("approve", "reduce", "reject", "return")
CONDITION_KINDS = (
    "pledge_registered",
    "mortgage_registered",
    "guarantee_signed",
    "insurance_in_force",
    "other",
)
GUARANTEE_CONDITIONS = {
    "pledge": ("pledge_registered", "Pledge registered with the registry office"),
    "mortgage": ("mortgage_registered", "Mortgage registered"),
    "guarantee": ("guarantee_signed", "Guarantee contract signed"),
}


def _business_day(session: Session, institution_id: int) -> dt.date:
    """The institution's business date (营业日), the one clock of every business fact origination
    records — the credit file's date, a line's start, an approval's indicative LPR, a contract's
    signing, a disbursement's value date, use-of-funds evidence — as servicing and day-end use
    it (`servicing.business_date`: the wall clock only while the institution has none yet).
    The wall clock stays for audit timestamps (`created_at`, `…_at`)."""
    return business_date(session, institution_id)


def _app(session: Session, actor: Actor, application_id: int) -> Application:
    app = owned(session, actor, Application, application_id, "application")
    return app


def _event(
    session: Session, app: Application, actor: Actor, action: str, to: str, reason: str = ""
) -> None:
    session.add(
        ApplicationEvent(
            application_id=app.id,
            institution_id=app.institution_id,
            channel=app.channel,
            action=action,
            from_status=app.status,
            to_status=to,
            user_id=actor.user_id or None,
            reason=reason,
        )
    )
    app.status = to


def _require_status(app: Application, *allowed: str) -> None:
    if app.status not in allowed:
        raise Conflict(
            f"application {app.id} is {app.status}; this needs {' or '.join(allowed)}",
            field="status",
        )


def _not_party(app: Application, actor: Actor, what: str) -> None:
    """Maker-checker: nobody approves what they prepared or reviewed."""
    if actor.is_system:
        return
    if actor.user_id == app.prepared_by:
        raise Forbidden(f"maker-checker: you prepared application {app.id} and cannot {what} it")
    if actor.user_id == app.reviewed_by:
        raise Forbidden(f"maker-checker: you reviewed application {app.id} and cannot {what} it")


def _money(value: Any, field: str) -> Decimal:
    """Yuan to the fen: more than two decimals is refused, not rounded."""
    try:
        d = to_decimal(value, field)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field=field) from exc
    if d != d.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{field} has more than two decimals", field=field)
    return d.quantize(Decimal("0.01"))


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ValidationFailed("a reason is required", field="reason")
    return reason.strip()


# --- group links and credit lines ---------------------------------------------------------------


def add_group_link(
    db: Database,
    actor: Actor,
    *,
    owner_enterprise_id: int,
    owned_enterprise_id: int,
    share: Decimal | None = None,
    source: str = "kyc",
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Record a shareholder link (the registry has no shareholders yet: the bank's own KYC)."""
    require_role(
        actor, [Role.ACCOUNT_MANAGER, Role.RISK_MANAGER, Role.ADMIN], "recording a group link"
    )
    if owner_enterprise_id == owned_enterprise_id:
        raise ValidationFailed("an enterprise cannot own itself", field="owned_enterprise_id")
    if actor.institution_id is None:
        raise ValidationFailed("a group link belongs to an institution", field="institution")
    with db.transaction() as session:
        for eid, name in ((owner_enterprise_id, "owner"), (owned_enterprise_id, "owned")):
            if session.get(Enterprise, eid) is None:
                raise ValidationFailed(f"no enterprise {eid}", field=f"{name}_enterprise_id")
        link = GroupLink(
            institution_id=actor.institution_id,
            owner_enterprise_id=owner_enterprise_id,
            owned_enterprise_id=owned_enterprise_id,
            share=share,
            source=source,
            as_of=as_of or _business_day(session, actor.institution_id),
        )
        session.add(link)
        session.flush()
        audit.record(
            session,
            actor,
            "origination.group_link",
            f"enterprise:{owned_enterprise_id}",
            after={"owner": owner_enterprise_id, "share": share, "source": source},
        )
        return {"id": link.id, "owner": owner_enterprise_id, "owned": owned_enterprise_id}


def _group(session: Session, institution_id: int, enterprise_id: int) -> set[int]:
    """Related enterprises: corporate shareholders in the registry (工商股东, loaded through the
    hub) and the links the bank recorded itself (KYC), either way round."""
    from techfin.store.tables import Shareholder

    links = session.execute(
        select(GroupLink.owner_enterprise_id, GroupLink.owned_enterprise_id).where(
            GroupLink.institution_id == institution_id
        )
    ).all()
    registry = session.execute(
        select(Shareholder.shareholder_enterprise_id, Shareholder.enterprise_id).where(
            Shareholder.shareholder_enterprise_id.is_not(None)
        )
    ).all()
    pairs = [(int(a), int(b)) for a, b in [*links, *registry] if a is not None]
    return group_of(enterprise_id, pairs)


def set_credit_line(
    db: Database,
    actor: Actor,
    *,
    enterprise_id: int,
    scope: str,
    limit_amount: Decimal,
    sublimits: dict[str, Any] | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> dict[str, Any]:
    """Set a credit limit (授信) for an enterprise or its group, with sub-limits by product.

    A new line of the same scope replaces the active one (the old one is closed)."""
    require_role(actor, [Role.APPROVER, Role.RISK_MANAGER, Role.ADMIN], "setting a credit line")
    if scope not in ("customer", "group"):
        raise ValidationFailed("scope must be customer or group", field="scope")
    limit = _money(limit_amount, "limit_amount")
    if limit <= 0:
        raise ValidationFailed("limit must be positive", field="limit_amount")
    subs = {str(k): str(_money(v, "sublimits")) for k, v in (sublimits or {}).items()}
    if any(Decimal(v) > limit or Decimal(v) < 0 for v in subs.values()):
        raise ValidationFailed("a sub-limit lies between 0 and the limit", field="sublimits")
    if actor.institution_id is None:
        raise ValidationFailed("a credit line belongs to an institution", field="institution")
    with db.transaction() as session:
        start = valid_from or _business_day(session, actor.institution_id)
        end = valid_to or _add_year(start)
        if end <= start:
            raise ValidationFailed("valid_to must be after valid_from", field="valid_to")
        if session.get(Enterprise, enterprise_id) is None:
            raise NotFound("enterprise not found")
        old = session.scalars(
            select(CreditLine).where(
                CreditLine.institution_id == actor.institution_id,
                CreditLine.enterprise_id == enterprise_id,
                CreditLine.scope == scope,
                CreditLine.status == "active",
            )
        ).all()
        for o in old:
            o.status = "replaced"
        line = CreditLine(
            institution_id=actor.institution_id,
            enterprise_id=enterprise_id,
            scope=scope,
            limit_amount=limit,
            sublimits=subs,
            valid_from=start,
            valid_to=end,
            set_by=actor.user_id or None,
        )
        session.add(line)
        session.flush()
        audit.record(
            session,
            actor,
            "origination.credit_line",
            f"enterprise:{enterprise_id}",
            before=[str(o.limit_amount) for o in old],
            after={"scope": scope, "limit": str(limit), "sublimits": subs},
        )
        return _line_view(session, line)


def _add_year(day: dt.date) -> dt.date:
    """The same day a year later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _outstanding(
    session: Session, institution_id: int, enterprise_ids: set[int]
) -> dict[str, Decimal]:
    """Usage of a line by product: the disbursed principal of the institution's active loans
    (servicing will lower it by repayments once it records them on its own tables)."""
    out: dict[str, Decimal] = {}
    rows = session.execute(
        select(Loan.product_code, func.sum(Loan.principal))
        .where(
            Loan.institution_id == institution_id,
            Loan.enterprise_id.in_(enterprise_ids),
            Loan.status == "active",
        )
        .group_by(Loan.product_code)
    ).all()
    for code, total in rows:
        out[str(code)] = Decimal(total or 0)
    return out


def _line_view(session: Session, line: CreditLine) -> dict[str, Any]:
    members = (
        {line.enterprise_id}
        if line.scope == "customer"
        else _group(session, line.institution_id, line.enterprise_id)
    )
    used = _outstanding(session, line.institution_id, members)
    total = sum(used.values(), ZERO)
    return {
        "id": line.id,
        "enterprise_id": line.enterprise_id,
        "scope": line.scope,
        "members": sorted(members),
        "limit": str(line.limit_amount),
        "used": str(total),
        "available": str(Decimal(line.limit_amount) - total),
        "sublimits": {
            k: {
                "limit": v,
                "used": str(used.get(k, ZERO)),
                "available": str(Decimal(v) - used.get(k, ZERO)),
            }
            for k, v in line.sublimits.items()
        },
        "valid_from": line.valid_from.isoformat(),
        "valid_to": line.valid_to.isoformat(),
        "status": line.status,
    }


def _lines_for(session: Session, institution_id: int, enterprise_id: int) -> list[CreditLine]:
    """Active lines that cover the enterprise: its own, and its group's (any member's line)."""
    group = _group(session, institution_id, enterprise_id)
    return list(
        session.scalars(
            select(CreditLine)
            .where(
                CreditLine.institution_id == institution_id,
                CreditLine.status == "active",
                (CreditLine.enterprise_id == enterprise_id)
                | ((CreditLine.scope == "group") & CreditLine.enterprise_id.in_(group)),
            )
            .order_by(CreditLine.id)
        )
    )


def credit_lines(db: Database, actor: Actor, enterprise_id: int) -> list[dict[str, Any]]:
    require_role(actor, BANK_STAFF, "reading credit lines")
    with db.read() as session:
        if actor.institution_id is None:
            return []
        return [
            _line_view(session, x) for x in _lines_for(session, actor.institution_id, enterprise_id)
        ]


def line_problems(
    session: Session,
    institution_id: int,
    enterprise_id: int,
    product: str,
    amount: Decimal,
    on: dt.date,
) -> list[str]:
    """Why a drawdown of `amount` does not fit the lines covering the enterprise (empty: fits)."""
    problems = []
    for line in _lines_for(session, institution_id, enterprise_id):
        view = _line_view(session, line)
        label = f"{line.scope} line {line.id}"
        if not line.valid_from <= on <= line.valid_to:
            problems.append(f"{label} is not valid on {on.isoformat()}")
            continue
        if amount > Decimal(view["available"]):
            problems.append(
                f"{label}: {amount:,.2f} exceeds the available {Decimal(view['available']):,.2f}"
            )
        sub = view["sublimits"].get(product)
        if sub is not None and amount > Decimal(sub["available"]):
            problems.append(
                f"{label}: {amount:,.2f} exceeds the {product} sub-limit's available "
                f"{Decimal(sub['available']):,.2f}"
            )
    return problems


# --- the application and its file ---------------------------------------------------------------


def _clean_collateral(collateral: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(collateral or []):
        kind = str(c.get("kind", "")).strip()
        if not kind:
            raise ValidationFailed(f"collateral {i + 1}: kind is required", field="collateral")
        item = {k: v for k, v in c.items() if v not in (None, "")}
        for key in ("value", "appraised_value"):
            if key in item:
                v = to_decimal(item[key], key)
                if v < 0:
                    raise ValidationFailed(
                        f"collateral {i + 1}: {key} is negative", field="collateral"
                    )
                item[key] = str(v)
        out.append(item)
    return out


def _clean_milestones(milestones: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for i, m in enumerate(milestones or []):
        kind = str(m.get("kind", ""))
        if kind not in MILESTONE_KINDS:
            raise ValidationFailed(
                f"milestone {i + 1}: kind must be one of {', '.join(MILESTONE_KINDS)}",
                field="milestones",
            )
        text = str(m.get("text", "")).strip()
        due = str(m.get("due", "")).strip()
        if not text:
            raise ValidationFailed(f"milestone {i + 1}: describe it", field="milestones")
        try:
            dt.date.fromisoformat(due)
        except ValueError as exc:
            raise ValidationFailed(
                f"milestone {i + 1}: due must be a date", field="milestones"
            ) from exc
        out.append({"kind": kind, "text": text, "due": due})
    return out


def _financial_rows(session: Session, actor: Actor, enterprise_id: int) -> list[dict[str, Any]]:
    checked_read(session, actor, enterprise_id, Purpose.CREDIT_ASSESSMENT, "financial balances")
    rows = session.scalars(
        select(AnnualFinancials)
        .where(AnnualFinancials.enterprise_id == enterprise_id)
        .order_by(AnnualFinancials.year)
    )
    fields = [
        "year",
        "revenue",
        "cost_of_sales",
        "net_profit",
        "total_assets",
        "total_liabilities",
        "inventory",
        "receivables",
        "payables",
        "prepayments",
        "advance_receipts",
    ]
    return [{f: getattr(r, f) for f in fields} for r in rows]


def _profile(db: Database, actor: Actor, enterprise_id: int) -> dict[str, Any]:
    """The consented hub profile: its own logged transaction (the enterprise sees the read),
    taken before the command's transaction opens (SQLite has one writer at a time)."""
    from techfin.services.enterprises import shared_profile

    return shared_profile(db, actor, enterprise_id)


def _enterprise_of(db: Database, actor: Actor, application_id: int) -> int:
    with db.read() as session:
        return _app(session, actor, application_id).enterprise_id


def _assemble(
    db: Database, actor: Actor, app: Application, session: Session, profile: dict[str, Any]
) -> None:
    financials = _financial_rows(session, actor, app.enterprise_id)
    policy = load_policy()
    app.file = assemble(
        profile=profile,
        financials=financials,
        product_code=app.product_code,
        amount=Decimal(app.amount),
        term_months=app.term_months,
        method=app.method,
        guarantee=list(app.guarantee),
        collateral=list(app.collateral),
        investigation_report=app.investigation_report,
        milestones=list(app.milestones),
        exposure=Decimal(app.exposure),
        today=_business_day(session, app.institution_id),
        policy=policy,
        lpr_table=market.lpr_table(session),
    )
    app.grade = app.file["rating"].get("grade")
    app.channel = "tech" if app.file["channel"]["tech"] else "ordinary"
    app.channel_reason = app.file["channel"]["reason"]
    app.policy_version = policy.version


def open_application(
    db: Database,
    actor: Actor,
    *,
    enterprise_id: int,
    product_code: str,
    amount: Decimal,
    term_months: int,
    method: str = "annuity",
    guarantee: list[str] | None = None,
    collateral: list[dict[str, Any]] | None = None,
    purpose: str = "",
    novel_technology: bool = False,
) -> dict[str, Any]:
    """An account manager opens an application (consent for credit assessment is checked)."""
    from techfin.credit.products import get_product

    require_role(actor, [Role.ACCOUNT_MANAGER], "opening an application")
    if actor.institution_id is None:
        raise ValidationFailed("an application belongs to a bank", field="institution")
    try:
        product = get_product(product_code)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="product_code") from exc
    value = _money(amount, "amount")
    if value <= 0:
        raise ValidationFailed("amount must be positive", field="amount")
    if term_months < 1:
        raise ValidationFailed("term must be at least one month", field="term_months")
    if method not in product.methods:
        raise ValidationFailed(
            f"method must be one of {', '.join(sorted(product.methods))}", field="method"
        )
    guarantees = sorted(set(guarantee or ["credit"]))
    items = _clean_collateral(collateral)
    policy = load_policy()
    profile = _profile(db, actor, enterprise_id)
    with db.transaction() as session:
        if session.get(Enterprise, enterprise_id) is None:
            raise NotFound("enterprise not found")
        checked_read(session, actor, enterprise_id, Purpose.CREDIT_ASSESSMENT, "application")
        app = Application(
            institution_id=actor.institution_id,
            branch_id=actor.branch_id,
            enterprise_id=enterprise_id,
            product_code=product.code,
            amount=value,
            term_months=term_months,
            method=method,
            guarantee=guarantees,
            collateral=items,
            exposure=exposure(value, items, policy),
            purpose=purpose.strip(),
            novel_technology=novel_technology,
            prepared_by=actor.user_id,
            status="draft",
        )
        session.add(app)
        session.flush()
        _assemble(db, actor, app, session, profile)
        _event(session, app, actor, "open", "draft")
        audit.record(
            session,
            actor,
            "origination.open",
            f"application:{app.id}",
            after={"enterprise": enterprise_id, "product": product.code, "amount": str(value)},
        )
        return _view(session, app)


def update_file(
    db: Database,
    actor: Actor,
    application_id: int,
    *,
    investigation_report: str | None = None,
    milestones: list[dict[str, Any]] | None = None,
    collateral: list[dict[str, Any]] | None = None,
    novel_technology: bool | None = None,
) -> dict[str, Any]:
    """The manager adds the investigation report, the post-loan milestones or collateral; the
    file is assembled again."""
    require_role(actor, [Role.ACCOUNT_MANAGER], "completing the pre-loan file")
    profile = _profile(db, actor, _enterprise_of(db, actor, application_id))
    with db.transaction() as session:
        app = _app(session, actor, application_id)
        _require_status(app, "draft", "returned")
        if actor.user_id != app.prepared_by:
            raise Forbidden("only the manager who prepared the application completes its file")
        before = {"report": bool(app.investigation_report), "milestones": len(app.milestones)}
        if investigation_report is not None:
            app.investigation_report = investigation_report.strip()
        if milestones is not None:
            app.milestones = _clean_milestones(milestones)
        if collateral is not None:
            app.collateral = _clean_collateral(collateral)
            app.exposure = exposure(Decimal(app.amount), app.collateral, load_policy())
        if novel_technology is not None:
            app.novel_technology = novel_technology
        _assemble(db, actor, app, session, profile)
        audit.record(
            session,
            actor,
            "origination.update_file",
            f"application:{app.id}",
            before=before,
            after={"report": bool(app.investigation_report), "milestones": len(app.milestones)},
        )
        return _view(session, app)


def _levels(session: Session, branch_id: int | None, institution_id: int) -> list[Level]:
    """The application's branch and its parents up to the head office."""
    levels: list[Level] = []
    seen: set[int] = set()
    b = session.get(Branch, branch_id) if branch_id else None
    while b is not None and b.id not in seen:
        seen.add(b.id)
        levels.append(Level(b.id, b.name, b.kind, dict(b.delegated_limits or {})))
        b = session.get(Branch, b.parent_id) if b.parent_id else None
    if not levels or levels[-1].kind != "head_office":
        head = session.scalar(
            select(Branch).where(
                Branch.institution_id == institution_id, Branch.kind == "head_office"
            )
        )
        if head is not None and head.id not in seen:
            levels.append(Level(head.id, head.name, head.kind, dict(head.delegated_limits or {})))
        elif head is None:
            levels.append(Level(None, "head office", "head_office", {}))
    return levels


def submit(db: Database, actor: Actor, application_id: int) -> dict[str, Any]:
    """Submit a complete file; an incomplete one is refused with the missing items listed.

    The channel (tech or ordinary), the approval route on exposure (delegated authority,
    escalation, credit committee) and whether the expert committee is required are fixed here.
    """
    require_role(actor, [Role.ACCOUNT_MANAGER], "submitting an application")
    profile = _profile(db, actor, _enterprise_of(db, actor, application_id))
    with db.transaction() as session:
        app = _app(session, actor, application_id)
        _require_status(app, "draft", "returned")
        if actor.user_id != app.prepared_by:
            raise Forbidden("only the manager who prepared the application submits it")
        _assemble(db, actor, app, session, profile)
        missing = list(app.file.get("missing", []))
        if missing:
            raise ValidationFailed("the file is incomplete: " + "; ".join(missing), field="file")
        policy = load_policy()
        app.route = route(
            Decimal(app.exposure),
            _levels(session, app.branch_id, app.institution_id),
            app.grade,
            app.product_code,
            policy,
        )
        app.expert_reasons = expert_triggers(
            Decimal(app.amount), app.grade, app.novel_technology, policy
        )
        app.expert_required = bool(app.expert_reasons)
        app.submitted_at = utcnow()
        _event(session, app, actor, "submit", "submitted", app.channel_reason)
        audit.record(
            session,
            actor,
            "origination.submit",
            f"application:{app.id}",
            after={
                "channel": app.channel,
                "route": app.route["decider"],
                "experts": app.expert_required,
            },
        )
        return _view(session, app)


def review(
    db: Database, actor: Actor, application_id: int, *, opinion: str, proceed: bool = True
) -> dict[str, Any]:
    """The (dedicated, in the tech channel) reviewer's opinion; `proceed=False` returns the file
    to the manager. Not the maker."""
    require_role(actor, [Role.REVIEWER], "reviewing an application")
    text = _reason(opinion)
    with db.transaction() as session:
        app = _app(session, actor, application_id)
        _require_status(app, "submitted")
        if actor.user_id == app.prepared_by:
            raise Forbidden("maker-checker: you prepared this application and cannot review it")
        _check_dedicated(session, app, actor, Role.REVIEWER)
        app.reviewed_by = actor.user_id
        app.review_opinion = text
        opinions = session.scalars(
            select(ExpertOpinion).where(ExpertOpinion.application_id == app.id)
        ).all()
        # A file returned and resubmitted keeps its experts' advice on the technology.
        advised = bool(opinions) and all(x.submitted_at is not None for x in opinions)
        if not proceed:
            nxt = "returned"
        elif app.expert_required and not advised:
            nxt = "experts"
        elif app.route.get("decider") == "committee":
            nxt = "committee"
        else:
            nxt = "decision"
        _event(session, app, actor, "review", nxt, text)
        audit.record(
            session, actor, "origination.review", f"application:{app.id}", reason=text, after=nxt
        )
        return _view(session, app)


# --- dedicated tech-channel staff ---------------------------------------------------------------


def designate_channel_staff(
    db: Database, actor: Actor, *, username: str, channel: str = "tech"
) -> dict[str, Any]:
    """An institution's admin dedicates a reviewer or approver to the tech channel."""
    require_role(actor, [Role.ADMIN], "designating tech-channel staff")
    if channel != "tech":
        raise ValidationFailed("only the tech channel has dedicated staff", field="channel")
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("user not found")
        require_institution(actor, user.institution_id, "user")
        if user.role not in (Role.REVIEWER.value, Role.APPROVER.value):
            raise ValidationFailed("dedicated staff are reviewers or approvers", field="username")
        assert user.institution_id is not None
        exists = session.scalar(
            select(ChannelStaff).where(
                ChannelStaff.institution_id == user.institution_id,
                ChannelStaff.user_id == user.id,
                ChannelStaff.channel == channel,
            )
        )
        if exists is None:
            session.add(
                ChannelStaff(
                    institution_id=user.institution_id,
                    user_id=user.id,
                    channel=channel,
                    role=user.role,
                    designated_by=actor.username,
                )
            )
            audit.record(
                session, actor, "origination.channel_staff", f"user:{username}", after=channel
            )
        return {"username": username, "role": user.role, "channel": channel}


def channel_staff(db: Database, actor: Actor) -> list[dict[str, Any]]:
    require_role(actor, BANK_STAFF, "reading tech-channel staff")
    with db.read() as session:
        rows = session.execute(
            select(ChannelStaff, User.username)
            .join(User, User.id == ChannelStaff.user_id)
            .where(ChannelStaff.institution_id == actor.institution_id)
            .order_by(ChannelStaff.id)
        ).all()
        return [{"username": u, "role": c.role, "channel": c.channel} for c, u in rows]


def _dedicated(session: Session, institution_id: int, role: Role) -> set[int]:
    return set(
        session.scalars(
            select(ChannelStaff.user_id).where(
                ChannelStaff.institution_id == institution_id,
                ChannelStaff.channel == "tech",
                ChannelStaff.role == role.value,
            )
        )
    )


def _check_dedicated(session: Session, app: Application, actor: Actor, role: Role) -> None:
    """In the tech channel, only the dedicated reviewers (approvers) act, once any are named."""
    if actor.is_system or app.channel != "tech":
        return
    staff = _dedicated(session, app.institution_id, role)
    if staff and actor.user_id not in staff:
        raise Forbidden(f"the tech channel has dedicated {role.value}s; you are not one of them")


# --- expert committee ---------------------------------------------------------------------------


def draw_experts(
    db: Database, actor: Actor, application_id: int, *, seed: int = 0, count: int | None = None
) -> dict[str, Any]:
    """Draw tech experts from the shared registry without conflicts of interest (with the
    enterprise or with this bank); by the enterprise's industry when enough experts list it."""
    require_role(actor, [Role.REVIEWER, Role.APPROVER], "drawing experts")
    policy = load_policy()
    n = count or policy.expert_count
    with db.read() as session:
        app = _app(session, actor, application_id)
        _require_status(app, "experts")
        enterprise = session.get(Enterprise, app.enterprise_id)
        assert enterprise is not None
        already = set(
            session.scalars(
                select(ExpertOpinion.expert_id).where(ExpertOpinion.application_id == app.id)
            )
        )
        field = enterprise.industry_code
        institution_id = app.institution_id
        enterprise_id = app.enterprise_id
    if already:
        raise Conflict("experts are already drawn for this application", field="experts")
    try:
        drawn = expert_registry.draw(
            db,
            kind="tech",
            field=field,
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            count=n,
            seed=seed,
        )
    except ValidationFailed:
        drawn = expert_registry.draw(
            db,
            kind="tech",
            field=None,
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            count=n,
            seed=seed,
        )
    with db.transaction() as session:
        app = _app(session, actor, application_id)
        for x in drawn:
            session.add(
                ExpertOpinion(
                    application_id=app.id, expert_id=x.id, drawn_by=actor.user_id or None, seed=seed
                )
            )
        session.flush()
        audit.record(
            session,
            actor,
            "origination.draw_experts",
            f"application:{app.id}",
            reason=f"seed {seed}",
            after=[x.id for x in drawn],
        )
        return _view(session, app)


def submit_opinion(
    db: Database,
    actor: Actor,
    application_id: int,
    *,
    score: int,
    support: bool,
    opinion: str,
) -> dict[str, Any]:
    """A drawn expert scores the technology (0–100) and writes an opinion; the fee is
    recorded. When every drawn expert has answered, the file goes on to the decision."""
    require_role(actor, [Role.EXPERT], "giving an expert opinion")
    text = _reason(opinion)
    if not 0 <= score <= 100:
        raise ValidationFailed("score must be between 0 and 100", field="score")
    policy = load_policy()
    with db.transaction() as session:
        app = session.get(Application, application_id)
        if app is None:
            raise NotFound("application not found")
        row = session.scalar(
            select(ExpertOpinion)
            .join(Expert, Expert.id == ExpertOpinion.expert_id)
            .where(ExpertOpinion.application_id == app.id, Expert.user_id == actor.user_id)
        )
        if row is None:
            raise NotFound("application not found")  # not drawn: nothing to see
        _require_status(app, "experts")
        if row.submitted_at is not None:
            raise Conflict("you have already given your opinion", field="opinion")
        row.score = score
        row.recommendation = "support" if support else "oppose"
        row.opinion = text
        row.fee = policy.dec("expert_committee", "fee_per_opinion")
        row.submitted_at = utcnow()
        session.flush()
        pending = session.scalar(
            select(func.count())
            .select_from(ExpertOpinion)
            .where(ExpertOpinion.application_id == app.id, ExpertOpinion.submitted_at.is_(None))
        )
        audit.record(
            session,
            actor,
            "origination.expert_opinion",
            f"application:{app.id}",
            reason=text,
            after={"score": score, "support": support},
        )
        if not pending:
            nxt = "committee" if app.route.get("decider") == "committee" else "decision"
            _event(session, app, actor, "expert_advice", nxt, "all opinions in")
        return _view(session, app, as_expert=True)


# --- decision -------------------------------------------------------------------------------------


def _conditions(app: Application, extra: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for g in app.guarantee:
        if g in GUARANTEE_CONDITIONS:
            kind, text = GUARANTEE_CONDITIONS[g]
            out.append({"kind": kind, "text": text})
    for i, c in enumerate(extra or []):
        kind = str(c.get("kind", "other"))
        if kind not in CONDITION_KINDS:
            raise ValidationFailed(
                f"condition {i + 1}: kind must be one of {', '.join(CONDITION_KINDS)}",
                field="conditions",
            )
        text = str(c.get("text", "")).strip() or kind.replace("_", " ")
        if not any(o["kind"] == kind and o["text"] == text for o in out):
            out.append({"kind": kind, "text": text})
    return out


def _actor_level(session: Session, actor: Actor, institution_id: int) -> Level:
    if actor.branch_id:
        b = session.get(Branch, actor.branch_id)
        if b is not None:
            return Level(b.id, b.name, b.kind, dict(b.delegated_limits or {}))
    return _levels(session, None, institution_id)[-1]


def _approved_terms(
    session: Session,
    app: Application,
    amount: Decimal | None,
    rate: Decimal | None,
    rate_terms: dict[str, Any] | None = None,
) -> tuple[Decimal, Decimal, dict[str, Any]]:
    """Amount, rate and rate terms an approval sets. A fixed rate is the approver's (or the
    file's proposed rate); a floating rate is LPR + `spread_bp`, whose rate here is indicative
    (the LPR in force today, the last fixing if the table lags) — the loan's own rate is set at
    disbursement from the LPR in force on its value date (decision 1140)."""
    terms = rate_terms or {"rate_type": "fixed"}
    value = Decimal(app.amount) if amount is None else _money(amount, "approved_amount")
    f = floating.floating_of(terms)
    if f is not None:
        if rate is not None:
            raise ValidationFailed(
                "a floating rate is LPR + spread_bp: leave approved_rate empty",
                field="approved_rate",
            )
        if app.method == "flat":
            raise ValidationFailed(
                "flat (add-on) interest is fixed at the start: a floating rate needs another "
                "repayment method",
                field="rate_type",
            )
        indicative, fixing = floating.rate_on(
            market.lpr_table(session),
            f,
            _business_day(session, app.institution_id),
            allow_stale=True,
        )
        floating.check_positive(indicative, f, fixing)
        if not indicative < Decimal("0.36"):
            raise ValidationFailed(
                f"spread_bp: gives a rate of {indicative}, above the 36 % sanity cap",
                field="spread_bp",
            )
        return value, indicative, {**terms, "indicative_fixing": floating.fixing_dict(fixing, f)}
    proposed = Decimal(app.file["pricing"]["proposed_rate"]) if app.file.get("pricing") else None
    r = rate if rate is not None else proposed
    if r is None:
        raise ValidationFailed("give the approved rate", field="approved_rate")
    r = to_decimal(r, "approved_rate")
    if not Decimal(0) < r < Decimal("0.36"):
        raise ValidationFailed("the rate is an annual fraction, e.g. 0.0365", field="approved_rate")
    return value, r, terms


def decide(
    db: Database,
    actor: Actor,
    application_id: int,
    *,
    decision: str,
    reason: str,
    approved_amount: Decimal | None = None,
    approved_rate: Decimal | None = None,
    conditions: list[dict[str, Any]] | None = None,
    rate_type: str | None = None,
    spread_bp: Decimal | str | None = None,
    lpr_tenor: str | None = None,
    repricing_months: int | str | None = None,
    repricing_rule: str | None = None,
) -> dict[str, Any]:
    """An approver decides within delegated authority: approve (with conditions), reduce,
    reject, or return for more information — each with a reason. Nobody decides what they
    prepared or reviewed; above the approver's authority the decision is refused (escalate).

    The rate is `fixed` (default: `approved_rate` or the file's proposed rate) or `floating`:
    LPR (`lpr_tenor` 1y | 5y+) + `spread_bp` (may be negative), repriced every
    `repricing_months` (default 12) or on the `january-1` `repricing_rule`."""
    require_role(actor, [Role.APPROVER], "deciding an application")
    if decision not in DECISIONS:
        raise ValidationFailed(f"decision must be one of {', '.join(DECISIONS)}", field="decision")
    why = _reason(reason)
    rate_terms = floating.parse_rate_terms(
        rate_type=rate_type,
        spread_bp=spread_bp,
        lpr_tenor=lpr_tenor,
        repricing_months=repricing_months,
        repricing_rule=repricing_rule,
    )
    policy = load_policy()
    with db.transaction() as session:
        app = _app(session, actor, application_id)
        _not_party(app, actor, "decide")
        _require_status(app, "decision")
        _check_dedicated(session, app, actor, Role.APPROVER)
        result: dict[str, Any] = {"decision": decision}
        if decision in ("approve", "reduce"):
            amount, rate, rate_terms = _approved_terms(
                session, app, approved_amount, approved_rate, rate_terms
            )
            if decision == "reduce" and not amount < Decimal(app.amount):
                raise ValidationFailed(
                    "a reduction approves less than requested", field="approved_amount"
                )
            if decision == "approve" and amount != Decimal(app.amount):
                raise ValidationFailed(
                    "approving another amount is a reduction", field="approved_amount"
                )
            exp = exposure(amount, app.collateral, policy)
            level = _actor_level(session, actor, app.institution_id)
            levels = _levels(session, app.branch_id, app.institution_id)
            if not actor.is_system and level.branch_id not in {x.branch_id for x in levels}:
                names = ", ".join(x.name for x in levels)
                raise Forbidden(
                    f"{level.name} is not in this application's approval line ({names})"
                )
            limit = authority(level, app.grade, app.product_code, policy)
            if exp > limit or app.route.get("decider") == "committee":
                raise Forbidden(
                    f"exposure {exp:,.2f} is above your delegated authority {limit:,.2f} at "
                    f"{level.name}: escalate to "
                    f"{app.route.get('branch_name') or 'the credit committee'}"
                )
            app.approved_amount, app.approved_rate = amount, rate
            app.approved_rate_terms = rate_terms
            app.approved_conditions = _conditions(app, conditions)
            nxt = "approved"
            result.update(
                amount=str(amount),
                rate=str(rate),
                rate_terms=rate_terms,
                conditions=app.approved_conditions,
            )
        elif decision == "reject":
            nxt = "rejected"
        else:
            nxt = "returned"
        app.decision, app.decision_reason = decision, why
        app.decided_by, app.decided_at = actor.user_id, utcnow()
        _event(session, app, actor, decision, nxt, why)
        audit.record(
            session,
            actor,
            f"origination.{decision}",
            f"application:{app.id}",
            reason=why,
            after=result,
        )
        return _view(session, app)


def refer_to_committee(
    db: Database, actor: Actor, application_id: int, *, reason: str
) -> dict[str, Any]:
    """An approver sends the application up to the credit committee (贷审会)."""
    require_role(actor, [Role.APPROVER], "referring to the credit committee")
    why = _reason(reason)
    with db.transaction() as session:
        app = _app(session, actor, application_id)
        _not_party(app, actor, "refer")
        _require_status(app, "decision")
        app.route = {**app.route, "decider": "committee", "escalated": True}
        _event(session, app, actor, "refer", "committee", why)
        audit.record(session, actor, "origination.refer", f"application:{app.id}", reason=why)
        return _view(session, app)


def committee_vote(
    db: Database,
    actor: Actor,
    application_id: int,
    *,
    approve: bool,
    reason: str,
    chair: bool = False,
    conditions: list[dict[str, Any]] | None = None,
    rate_type: str | None = None,
    spread_bp: Decimal | str | None = None,
    lpr_tenor: str | None = None,
    repricing_months: int | str | None = None,
    repricing_rule: str | None = None,
) -> dict[str, Any]:
    """A credit committee member votes. Policy: quorum (chair included), majority of votes
    cast; the chair's reject is a veto and the chair cannot approve alone. Members are the
    institution's approvers and risk managers, never the maker or the reviewer.

    The committee approves the file's proposed fixed rate unless the chair's vote sets the
    rate terms (`rate_type` floating with `spread_bp` …, as `decide`)."""
    require_role(actor, [Role.APPROVER, Role.RISK_MANAGER], "voting in the credit committee")
    why = _reason(reason)
    given = rate_type not in (None, "")
    rate_terms = floating.parse_rate_terms(
        rate_type=rate_type,
        spread_bp=spread_bp,
        lpr_tenor=lpr_tenor,
        repricing_months=repricing_months,
        repricing_rule=repricing_rule,
    )
    if given and not chair:
        raise ValidationFailed("the chair's vote sets the rate terms", field="rate_type")
    policy = load_policy()
    with db.transaction() as session:
        app = _app(session, actor, application_id)
        _not_party(app, actor, "vote on")
        _require_status(app, "committee")
        votes = session.scalars(
            select(CommitteeVote).where(CommitteeVote.application_id == app.id)
        ).all()
        if any(v.user_id == actor.user_id for v in votes):
            raise Conflict("you have already voted", field="vote")
        if chair and any(v.chair for v in votes):
            raise Conflict("the committee already has a chair", field="chair")
        if chair and actor.role is not Role.APPROVER:
            raise Forbidden("the chair is an approver")
        session.add(
            CommitteeVote(
                application_id=app.id,
                user_id=actor.user_id,
                chair=chair,
                vote="approve" if approve else "reject",
                reason=why,
            )
        )
        if chair and given:
            _approved_terms(session, app, None, None, rate_terms)  # refused now, not at the tally
            app.approved_rate_terms = rate_terms
        session.flush()
        all_votes = [
            Vote(v.user_id, v.vote == "approve", v.chair)
            for v in session.scalars(
                select(CommitteeVote).where(CommitteeVote.application_id == app.id)
            )
        ]
        outcome, explanation = tally(all_votes, policy)
        audit.record(
            session,
            actor,
            "origination.committee_vote",
            f"application:{app.id}",
            reason=why,
            after={
                "approve": approve,
                "chair": chair,
                "outcome": outcome,
                **({"rate_terms": rate_terms} if chair and given else {}),
            },
        )
        if outcome != "pending":
            app.decision = "approve" if outcome == "approved" else "reject"
            app.decision_reason = f"credit committee: {explanation}"
            app.decided_by, app.decided_at = actor.user_id, utcnow()
            if outcome == "approved":
                amount, rate, terms = _approved_terms(
                    session, app, None, None, app.approved_rate_terms
                )
                app.approved_amount, app.approved_rate = amount, rate
                app.approved_rate_terms = terms
                app.approved_conditions = _conditions(app, conditions)
            else:
                app.approved_rate_terms = None
            _event(session, app, actor, "committee", outcome, explanation)
        return _view(session, app)


# --- contract and conditions precedent ---------------------------------------------------------


def make_contract(db: Database, actor: Actor, application_id: int) -> dict[str, Any]:
    """The contract from the approved terms, with its conditions precedent."""
    require_role(actor, [Role.ACCOUNT_MANAGER], "making a contract")
    with db.transaction() as session:
        app = _app(session, actor, application_id)
        _require_status(app, "approved")
        assert app.approved_amount is not None and app.approved_rate is not None
        enterprise = session.get(Enterprise, app.enterprise_id)
        assert enterprise is not None
        contract = Contract(
            institution_id=app.institution_id,
            application_id=app.id,
            number=f"{actor.institution_code}-{app.id:06d}",
            enterprise_id=app.enterprise_id,
            product_code=app.product_code,
            amount=app.approved_amount,
            annual_rate=app.approved_rate,
            term_months=app.term_months,
            method=app.method,
            terms={
                "guarantee": app.guarantee,
                "collateral": app.collateral,
                "interest_basis": "act-360",
                "frequency": "monthly",
                "milestones": app.milestones,
                "decision": app.decision,
                "policy_version": app.policy_version,
                "rate": app.approved_rate_terms or {"rate_type": "fixed"},
                # the business date it was signed: no drawdown is value-dated before it
                "signed_on": _business_day(session, app.institution_id).isoformat(),
            },
            made_by=actor.user_id,
        )
        session.add(contract)
        session.flush()
        for c in app.approved_conditions:
            session.add(ContractCondition(contract_id=contract.id, kind=c["kind"], text=c["text"]))
        _event(session, app, actor, "contract", "contracted", contract.number)
        audit.record(
            session,
            actor,
            "origination.contract",
            f"contract:{contract.number}",
            after={
                "amount": str(contract.amount),
                "rate": str(contract.annual_rate),
                "rate_terms": contract.terms["rate"],
                "conditions": app.approved_conditions,
            },
        )
        return _view(session, app)


def _contract(session: Session, actor: Actor, contract_id: int) -> Contract:
    contract = owned(session, actor, Contract, contract_id, "contract")
    return contract


def meet_condition(
    db: Database, actor: Actor, condition_id: int, *, evidence: str
) -> dict[str, Any]:
    """Record that a condition precedent is met, with its evidence (e.g. the registration no.)."""
    require_role(actor, [Role.ACCOUNT_MANAGER, Role.RISK_MANAGER], "recording a condition met")
    proof = _reason(evidence)
    with db.transaction() as session:
        cond = session.get(ContractCondition, condition_id)
        if cond is None:
            raise NotFound("condition not found")
        contract = _contract(session, actor, cond.contract_id)
        if cond.status == "met":
            raise Conflict("the condition is already met", field="status")
        cond.status, cond.evidence, cond.met_by, cond.met_at = "met", proof, actor.user_id, utcnow()
        app = session.get(Application, contract.application_id)
        assert app is not None
        session.add(
            ApplicationEvent(
                application_id=app.id,
                institution_id=app.institution_id,
                channel=app.channel,
                action="condition_met",
                from_status=app.status,
                to_status=app.status,
                user_id=actor.user_id,
                reason=f"{cond.kind}: {proof}",
            )
        )
        audit.record(
            session,
            actor,
            "origination.condition_met",
            f"condition:{cond.id}",
            reason=proof,
            before="open",
            after="met",
        )
        return _view(session, app)


# --- disbursement ---------------------------------------------------------------------------------


def _open_conditions(session: Session, contract_id: int) -> list[ContractCondition]:
    return list(
        session.scalars(
            select(ContractCondition).where(
                ContractCondition.contract_id == contract_id, ContractCondition.status == "open"
            )
        )
    )


def _drawn(session: Session, contract_id: int) -> Decimal:
    total = session.scalar(
        select(func.sum(Disbursement.amount)).where(
            Disbursement.contract_id == contract_id,
            Disbursement.status.in_(("requested", "disbursed")),
        )
    )
    return Decimal(total or 0)


def signed_on(contract: Contract) -> dt.date:
    """The business date the contract was signed (`terms.signed_on`; a contract made before
    origination kept it: the day of its creation)."""
    raw = (contract.terms or {}).get("signed_on")
    return dt.date.fromisoformat(str(raw)) if raw else contract.created_at.date()


def _value_date(session: Session, contract: Contract, value_date: dt.date | None) -> dt.date:
    """A drawdown's value date: the institution's business date. An explicit `value_date` is
    accepted when it is that date; a later one (a loan no one could repay before it), one
    before the contract was signed, or any other past one (backdating: interest for days the
    borrower did not hold the money, past day-ends already closed) is refused naming
    `value_date` (decision 1057)."""
    today = _business_day(session, contract.institution_id)
    if value_date is None or value_date == today:
        if today < signed_on(contract):
            raise Conflict(
                f"value_date: the business date {today} is before the contract was signed "
                f"({signed_on(contract)})",
                field="value_date",
            )
        return today
    if value_date > today:
        raise ValidationFailed(
            f"value_date {value_date} is after the business date {today}: a drawdown is "
            "value-dated the day it is paid out, not in the future",
            field="value_date",
        )
    signed = signed_on(contract)
    if value_date < signed:
        raise ValidationFailed(
            f"value_date {value_date} is before the contract was signed ({signed})",
            field="value_date",
        )
    raise ValidationFailed(
        f"value_date {value_date} is before the business date {today}: a drawdown is "
        "value-dated the day it is paid out (no backdating)",
        field="value_date",
    )


def _check_line_validity(session: Session, contract: Contract, on: dt.date) -> None:
    """Every credit line covering the borrower must be in force on the value date."""
    for line in _lines_for(session, contract.institution_id, contract.enterprise_id):
        if not line.valid_from <= on <= line.valid_to:
            raise Conflict(
                f"value_date {on}: the {line.scope} credit line {line.id} is valid "
                f"{line.valid_from} to {line.valid_to}",
                field="value_date",
            )


def request_disbursement(
    db: Database,
    actor: Actor,
    contract_id: int,
    *,
    amount: Decimal | None = None,
    value_date: dt.date | None = None,
    payee_name: str = "",
    payee_account: str = "",
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """A drawdown (用信) against the contract. Blocked while a condition precedent is open or
    when a credit line would be exceeded. Above the policy threshold the bank pays the
    counterparty (受托支付: payee required), else the borrower pays (自主支付)."""
    require_role(actor, [Role.ACCOUNT_MANAGER], "requesting a disbursement")
    policy = load_policy()
    with db.transaction() as session:
        contract = _contract(session, actor, contract_id)
        if idempotency_key:
            seen = session.scalar(
                select(Disbursement).where(
                    Disbursement.institution_id == contract.institution_id,
                    Disbursement.idempotency_key == idempotency_key,
                )
            )
            if seen is not None:
                if seen.contract_id != contract.id:
                    raise Conflict(
                        "that idempotency key was used for another contract",
                        field="Idempotency-Key",
                    )
                return _disbursement_view(seen)
        open_ = _open_conditions(session, contract.id)
        if open_:
            raise Conflict(
                "disbursement blocked: conditions precedent open: "
                + "; ".join(c.text for c in open_),
                field="conditions",
            )
        value = (
            Decimal(contract.amount) - _drawn(session, contract.id)
            if amount is None
            else _money(amount, "amount")
        )
        if value <= 0:
            raise ValidationFailed("nothing left to draw on this contract", field="amount")
        if value > Decimal(contract.amount) - _drawn(session, contract.id):
            raise ValidationFailed(
                "the drawdown exceeds the contract's undrawn amount", field="amount"
            )
        on = _value_date(session, contract, value_date)
        _floating_start(session, contract, on)  # refused now rather than at the check
        _check_line_validity(session, contract, on)
        problems = line_problems(
            session,
            contract.institution_id,
            contract.enterprise_id,
            contract.product_code,
            value,
            on,
        )
        if problems:
            raise Conflict("credit line: " + "; ".join(problems), field="amount")
        mode = payment_mode(value, policy)
        if mode == "entrusted" and not (payee_name.strip() and payee_account.strip()):
            raise ValidationFailed(
                "entrusted payment (受托支付) above the threshold needs the payee's name "
                "and account",
                field="payee_name",
            )
        d = Disbursement(
            institution_id=contract.institution_id,
            contract_id=contract.id,
            amount=value,
            value_date=on,
            payment_mode=mode,
            payee_name=payee_name.strip(),
            payee_account=payee_account.strip(),
            requested_by=actor.user_id,
            idempotency_key=idempotency_key or None,
        )
        session.add(d)
        session.flush()
        audit.record(
            session,
            actor,
            "origination.request_disbursement",
            f"contract:{contract.number}",
            after={
                "amount": str(value),
                "mode": mode,
                "disbursement": d.id,
                "value_date": on.isoformat(),
            },
        )
        return _disbursement_view(d)


def _disbursement_view(d: Disbursement) -> dict[str, Any]:
    return {
        "id": d.id,
        "contract_id": d.contract_id,
        "amount": str(d.amount),
        "value_date": d.value_date.isoformat(),
        "payment_mode": d.payment_mode,
        "payee_name": d.payee_name,
        "payee_account": d.payee_account,
        "status": d.status,
        "loan_id": d.loan_id,
        "check_reason": d.check_reason,
    }


def check_disbursement(
    db: Database, actor: Actor, disbursement_id: int, *, approve: bool, reason: str
) -> dict[str, Any]:
    """The independent disbursement check (放款审核): a risk manager who neither prepared,
    reviewed, decided nor requested. Approving pays out: the loan is created with its schedule,
    and the tech quota and credit-line usage move."""
    require_role(actor, [Role.RISK_MANAGER], "checking a disbursement")
    why = _reason(reason)
    with db.transaction() as session:
        d = owned(session, actor, Disbursement, disbursement_id, "disbursement")
        contract = _contract(session, actor, d.contract_id)
        app = session.get(Application, contract.application_id)
        assert app is not None
        _not_party(app, actor, "check the disbursement of")
        voters = set(
            session.scalars(
                select(CommitteeVote.user_id).where(CommitteeVote.application_id == app.id)
            )
        )
        if actor.user_id in {app.decided_by, d.requested_by} | voters:
            raise Forbidden("the disbursement check is independent of the approval and the request")
        if d.status != "requested":
            raise Conflict(f"disbursement {d.id} is {d.status}", field="status")
        if approve:
            # paid out now: on the business date of the check (a request left over a day-end
            # is paid the next business day, not backdated to the request's)
            requested_on = d.value_date
            d.value_date = _value_date(session, contract, None)
            _check_line_validity(session, contract, d.value_date)
        d.checked_by, d.checked_at, d.check_reason = actor.user_id, utcnow(), why
        if not approve:
            d.status = "refused"
            audit.record(
                session,
                actor,
                "origination.disbursement_refused",
                f"disbursement:{d.id}",
                reason=why,
            )
            return _disbursement_view(d)
        open_ = _open_conditions(session, contract.id)
        if open_:
            raise Conflict(
                "disbursement blocked: conditions precedent open: "
                + "; ".join(c.text for c in open_),
                field="conditions",
            )
        problems = line_problems(
            session,
            contract.institution_id,
            contract.enterprise_id,
            contract.product_code,
            Decimal(d.amount),
            d.value_date,
        )
        if problems:  # another drawdown may have used the line since the request
            raise Conflict("credit line: " + "; ".join(problems), field="amount")
        loan = _create_loan(session, app, contract, d)
        d.status, d.loan_id = "disbursed", loan.id
        if app.status != "disbursed":
            _event(session, app, actor, "disburse", "disbursed", why)
        audit.record(
            session,
            actor,
            "origination.disburse",
            f"disbursement:{d.id}",
            reason=why,
            before={"value_date": requested_on.isoformat()},
            after={
                "loan": loan.id,
                "amount": str(d.amount),
                "mode": d.payment_mode,
                "value_date": d.value_date.isoformat(),
            },
        )
        return _disbursement_view(d)


def _floating_start(
    session: Session, contract: Contract, value_date: dt.date
) -> tuple[Decimal, dict[str, Any] | None]:
    """The loan's starting rate and its `floating` descriptor: the contract rate for a fixed
    loan; for a floating one the LPR in force on the value date (the platform's table) + the
    spread, refused naming `value_date` when the table cannot answer that date."""
    terms = (contract.terms or {}).get("rate")
    f = floating.floating_of(terms)
    if f is None or terms is None:
        return Decimal(contract.annual_rate), None
    rate, fixing = floating.initial_rate(market.lpr_table(session), f, value_date)
    return rate, {
        "spread_bp": str(terms["spread_bp"]),
        "lpr_tenor": str(f.tenor),
        "repricing": dict(terms["repricing"]),
        "anchor": value_date.isoformat(),
        "initial_fixing": floating.fixing_dict(fixing, f),
    }


def _create_loan(session: Session, app: Application, contract: Contract, d: Disbursement) -> Loan:
    from techfin.credit.schedule import Method, Terms, build

    rate, float_terms = _floating_start(session, contract, d.value_date)
    terms = Terms(
        principal=Decimal(d.amount),
        annual_rate=rate,
        start=d.value_date,
        installments=contract.term_months,
        method=Method(contract.method),
    )
    schedule = build(terms)
    loan_terms: dict[str, Any] = {
        "principal": d.amount,
        "annual_rate": rate,
        "start": d.value_date,
        "installments": contract.term_months,
        "method": contract.method,
        "interest_basis": str(terms.interest_basis),
        "frequency": "monthly",
        "rounding": str(terms.rounding),
        "decimals": terms.decimals,
    }
    if float_terms is not None:
        loan_terms["floating"] = float_terms
    loan = Loan(
        institution_id=app.institution_id,
        branch_id=app.branch_id,
        enterprise_id=app.enterprise_id,
        contract_id=contract.id,
        application_id=app.id,
        product_code=contract.product_code,
        channel=app.channel,
        principal=d.amount,
        annual_rate=rate,
        method=contract.method,
        interest_basis=str(terms.interest_basis),
        installments=contract.term_months,
        start_date=d.value_date,
        maturity_date=schedule.rows[-1].due_date,
        terms=_json(loan_terms),
        conventions_version=schedule.conventions_version,
    )
    session.add(loan)
    session.flush()
    for r in schedule.rows:
        session.add(
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
    if app.channel == "tech" and app.branch_id is not None:
        _count_quota(session, app.branch_id, loan)
    return loan


def _count_quota(session: Session, branch_id: int, loan: Loan) -> None:
    """Count a tech loan against its branch's quota; beyond the headroom a request to head
    office is recorded (never a rejection: `techfin.credit.quota`)."""
    from techfin.credit.quota import QuotaUse, TechCreditQuota, check_loan_against_quota

    quota = session.scalar(
        select(TechQuota).where(
            TechQuota.branch_id == branch_id,
            TechQuota.period_start <= loan.start_date,
            TechQuota.period_end >= loan.start_date,
        )
    )
    if quota is None:
        return
    key = str(branch_id)
    q = TechCreditQuota(key, quota.period_start, quota.period_end, Decimal(quota.amount))
    uses = [
        QuotaUse(key, u.on, Decimal(u.amount), str(u.loan_id))
        for u in session.scalars(select(TechQuotaUse).where(TechQuotaUse.quota_id == quota.id))
    ]
    decision = check_loan_against_quota(
        q, uses, amount=Decimal(loan.principal), on=loan.start_date, loan_id=str(loan.id)
    )
    session.add(
        TechQuotaUse(
            quota_id=quota.id,
            loan_id=loan.id,
            on=loan.start_date,
            amount=loan.principal,
            decision={
                "action": str(decision.action),
                "headroom_before": str(decision.headroom_before),
                "headroom_after": str(decision.headroom_after),
                "request": None if decision.request is None else str(decision.request.amount),
                "message": decision.message,
            },
        )
    )


def set_tech_quota(
    db: Database,
    actor: Actor,
    *,
    branch_id: int,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
) -> dict[str, Any]:
    """Head office sets a branch's separate tech credit quota for a period."""
    require_role(actor, [Role.ADMIN, Role.RISK_MANAGER], "setting a tech credit quota")
    value = _money(amount, "amount")
    if value < 0 or period_end < period_start:
        raise ValidationFailed("a quota is a non-negative amount over a period", field="amount")
    with db.transaction() as session:
        b = owned(session, actor, Branch, branch_id, "branch")
        q = TechQuota(
            institution_id=b.institution_id,
            branch_id=b.id,
            period_start=period_start,
            period_end=period_end,
            amount=value,
        )
        session.add(q)
        session.flush()
        audit.record(
            session,
            actor,
            "origination.tech_quota",
            f"branch:{b.code}",
            after={"amount": str(value)},
        )
        return {"id": q.id, "branch_id": b.id, "amount": str(value)}


def quota_usage(db: Database, actor: Actor, branch_id: int) -> list[dict[str, Any]]:
    require_role(actor, BANK_STAFF, "reading quota usage")
    with db.read() as session:
        owned(session, actor, Branch, branch_id, "branch")
        out = []
        for q in session.scalars(
            select(TechQuota).where(TechQuota.branch_id == branch_id).order_by(TechQuota.id)
        ):
            uses = session.scalars(select(TechQuotaUse).where(TechQuotaUse.quota_id == q.id)).all()
            used = sum((Decimal(u.amount) for u in uses), ZERO)
            out.append(
                {
                    "id": q.id,
                    "period_start": q.period_start.isoformat(),
                    "period_end": q.period_end.isoformat(),
                    "amount": str(q.amount),
                    "used": str(used),
                    "headroom": str(Decimal(q.amount) - used),
                    "requests": [u.decision for u in uses if u.decision.get("request")],
                }
            )
        return out


def record_fund_use(
    db: Database,
    actor: Actor,
    loan_id: int,
    *,
    amount: Decimal,
    description: str,
    payee_name: str = "",
    category: str = "unspecified",
) -> dict[str, Any]:
    """Use-of-funds evidence after disbursement (invoice, payment voucher), with its category of
    use (`credit/data/fund_use_rules.yaml`; `unspecified` when blank). A prohibited category is
    recorded as given: the day-end early warning compares it with the loan's purpose."""
    from techfin.credit import fund_use

    require_role(actor, [Role.ACCOUNT_MANAGER, Role.RISK_MANAGER], "recording use of funds")
    text = (description or "").strip()
    if not text:
        raise ValidationFailed("describe what the money paid for", field="description")
    if len(text) > 300:
        raise ValidationFailed("description: at most 300 characters", field="description")
    payee = (payee_name or "").strip()
    if len(payee) > 200:
        raise ValidationFailed("payee_name: at most 200 characters", field="payee_name")
    value = _money(amount, "amount")
    if value <= 0:
        raise ValidationFailed("amount must be positive", field="amount")
    try:
        code = fund_use.check_category(category)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="category") from exc
    with db.transaction() as session:
        loan = owned(session, actor, Loan, loan_id, "loan")
        today = _business_day(session, loan.institution_id)
        if today < loan.start_date:  # the business date was set back by hand
            raise Conflict(
                f"the business date {today} is before the loan was disbursed "
                f"({loan.start_date}): evidence cannot predate its loan",
                field="business_date",
            )
        row = FundUseEvidence(
            loan_id=loan.id,
            amount=value,
            description=text,
            payee_name=payee,
            category=code,
            recorded_on=today,
            recorded_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "origination.fund_use",
            f"loan:{loan.id}",
            reason=text,
            after=f"{value} {code} evidence:{row.id}",
        )
        return loan_view(session, loan)


# --- views and queues -----------------------------------------------------------------------------


def _username(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    u = session.get(User, user_id)
    return None if u is None else u.username


def loan_view(session: Session, loan: Loan) -> dict[str, Any]:
    rows = session.scalars(
        select(LoanScheduleRow)
        .where(LoanScheduleRow.loan_id == loan.id)
        .order_by(LoanScheduleRow.n)
    )
    evidence = session.scalars(
        select(FundUseEvidence)
        .where(FundUseEvidence.loan_id == loan.id)
        .order_by(FundUseEvidence.id)
    )
    from techfin.credit import fund_use

    categories = fund_use.load_rules().categories
    ev: list[dict[str, Any]] = []
    for e in evidence:
        c = categories.get(e.category)
        ev.append(
            {
                "id": e.id,
                "amount": str(e.amount),
                "description": e.description,
                "payee": e.payee_name,
                "category": e.category,
                "category_zh": c.zh if c else e.category,
                "category_en": c.en if c else e.category,
                "recorded_on": e.recorded_on.isoformat(),
                "at": e.at.isoformat(),
            }
        )
    evidenced = sum((Decimal(e["amount"]) for e in ev), ZERO)
    return {
        "id": loan.id,
        "enterprise_id": loan.enterprise_id,
        "contract_id": loan.contract_id,
        "application_id": loan.application_id,
        "product_code": loan.product_code,
        "channel": loan.channel,
        "principal": str(loan.principal),
        "annual_rate": str(loan.annual_rate),
        "floating": (loan.terms or {}).get("floating"),
        "rate_text": floating.describe(
            {"rate_type": "floating", **loan.terms["floating"]}
            if (loan.terms or {}).get("floating")
            else None
        ),
        "method": loan.method,
        "interest_basis": loan.interest_basis,
        "start_date": loan.start_date.isoformat(),
        "maturity_date": loan.maturity_date.isoformat(),
        "status": loan.status,
        "conventions_version": loan.conventions_version,
        "schedule": [
            {
                "n": r.n,
                "due_date": r.due_date.isoformat(),
                "principal": str(r.principal),
                "interest": str(r.interest),
                "payment": str(r.payment),
                "balance": str(r.balance),
            }
            for r in rows
        ],
        "fund_use": {
            "evidence": ev,
            "evidenced": str(evidenced),
            "unevidenced": str(Decimal(loan.principal) - evidenced),
        },
    }


def get_loan(db: Database, actor: Actor, loan_id: int) -> dict[str, Any]:
    require_role(actor, BANK_STAFF, "reading a loan")
    with db.read() as session:
        loan = owned(session, actor, Loan, loan_id, "loan")
        return loan_view(session, loan)


def _elapsed(events: list[ApplicationEvent]) -> list[dict[str, Any]]:
    out = []
    for prev, ev in itertools.pairwise(events):
        out.append({"step": ev.action, "hours": round((ev.at - prev.at).total_seconds() / 3600, 4)})
    return out


def _view(session: Session, app: Application, *, as_expert: bool = False) -> dict[str, Any]:
    events = list(
        session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == app.id)
            .order_by(ApplicationEvent.id)
        )
    )
    opinions = session.execute(
        select(ExpertOpinion, Expert)
        .join(Expert, Expert.id == ExpertOpinion.expert_id)
        .where(ExpertOpinion.application_id == app.id)
        .order_by(ExpertOpinion.id)
    ).all()
    op_views = [
        {
            "expert_id": x.id,
            "expert": x.name,
            "affiliation": x.affiliation,
            "score": o.score,
            "recommendation": o.recommendation,
            "opinion": o.opinion,
            "fee": None if o.fee is None else str(o.fee),
            "turnaround_hours": None
            if o.submitted_at is None
            else round((o.submitted_at - o.assigned_at).total_seconds() / 3600, 4),
        }
        for o, x in opinions
    ]
    done = [
        Opinion(x.name, int(o.score or 0), o.recommendation == "support", o.opinion)
        for o, x in opinions
        if o.submitted_at
    ]
    committee_advice = advice(done) if opinions else None
    if committee_advice is not None:
        committee_advice["fees"] = str(sum((Decimal(v["fee"]) for v in op_views if v["fee"]), ZERO))
    votes = [
        {
            "user": _username(session, v.user_id),
            "vote": v.vote,
            "chair": v.chair,
            "reason": v.reason,
        }
        for v in session.scalars(
            select(CommitteeVote)
            .where(CommitteeVote.application_id == app.id)
            .order_by(CommitteeVote.id)
        )
    ]
    contract = session.scalar(select(Contract).where(Contract.application_id == app.id))
    contract_view = None
    disbursements: list[dict[str, Any]] = []
    loans: list[dict[str, Any]] = []
    if contract is not None:
        conds = session.scalars(
            select(ContractCondition)
            .where(ContractCondition.contract_id == contract.id)
            .order_by(ContractCondition.id)
        )
        contract_view = {
            "id": contract.id,
            "number": contract.number,
            "amount": str(contract.amount),
            "annual_rate": str(contract.annual_rate),
            "rate_terms": (contract.terms or {}).get("rate") or {"rate_type": "fixed"},
            "rate_text": floating.describe((contract.terms or {}).get("rate")),
            "rate_parts": floating.describe_parts((contract.terms or {}).get("rate")),
            "term_months": contract.term_months,
            "method": contract.method,
            "signed_on": signed_on(contract).isoformat(),
            "conditions": [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "text": c.text,
                    "status": c.status,
                    "evidence": c.evidence,
                }
                for c in conds
            ],
        }
        disbursements = [
            _disbursement_view(d)
            for d in session.scalars(
                select(Disbursement)
                .where(Disbursement.contract_id == contract.id)
                .order_by(Disbursement.id)
            )
        ]
        loans = [
            loan_view(session, x)
            for x in session.scalars(
                select(Loan).where(Loan.contract_id == contract.id).order_by(Loan.id)
            )
        ]
    enterprise = session.get(Enterprise, app.enterprise_id)
    view: dict[str, Any] = {
        "id": app.id,
        "enterprise_id": app.enterprise_id,
        "enterprise_name": enterprise.name if enterprise else "",
        "product_code": app.product_code,
        "amount": str(app.amount),
        "term_months": app.term_months,
        "method": app.method,
        "guarantee": app.guarantee,
        "collateral": app.collateral,
        "exposure": str(app.exposure),
        "purpose": app.purpose,
        "novel_technology": app.novel_technology,
        "status": app.status,
        "channel": app.channel,
        "channel_reason": app.channel_reason,
        "grade": app.grade,
        "route": app.route,
        "expert_required": app.expert_required,
        "expert_reasons": app.expert_reasons,
        "prepared_by": _username(session, app.prepared_by),
        "reviewed_by": _username(session, app.reviewed_by),
        "review_opinion": app.review_opinion,
        "decided_by": _username(session, app.decided_by),
        "decision": app.decision,
        "decision_reason": app.decision_reason,
        "approved_amount": None if app.approved_amount is None else str(app.approved_amount),
        "approved_rate": None if app.approved_rate is None else str(app.approved_rate),
        "approved_rate_terms": app.approved_rate_terms,
        "approved_rate_text": None
        if app.approved_rate is None
        else floating.describe(app.approved_rate_terms),
        "approved_rate_parts": floating.describe_parts(app.approved_rate_terms),
        "approved_conditions": app.approved_conditions,
        "investigation_report": app.investigation_report,
        "milestones": app.milestones,
        "missing": app.file.get("missing", []),
        "warnings": app.file.get("warnings", []),
        "policy_version": app.policy_version,
        "experts": op_views,
        "expert_advice": committee_advice,
        "committee_votes": votes,
        "contract": contract_view,
        "disbursements": disbursements,
        "loans": loans,
        "events": [
            {
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "user": _username(session, e.user_id),
                "reason": e.reason,
                "at": e.at.isoformat(),
            }
            for e in events
        ],
        "elapsed": _elapsed(events),
    }
    if not as_expert:
        view["file"] = app.file
    return view


EXPERT_FILE_PARTS = ("titles", "ip", "rating", "product", "channel", "milestones", "missing")


def _expert_file(file: dict[str, Any]) -> dict[str, Any]:
    """What an external expert sees: the technology side (registry facts, titles, IP, rating,
    product, milestones) — not the bank's pricing, the credit register or the financials."""
    out = {k: file[k] for k in EXPERT_FILE_PARTS if k in file}
    hub = file.get("hub_profile") or {}
    out["hub_profile"] = {
        "registry": hub.get("registry"),
        "years_operating": hub.get("years_operating"),
        "size": hub.get("size"),
        "size_basis": hub.get("size_basis"),
        "latest_financials": None,
    }
    out["credit_register"] = {"hidden": True}
    return out


def get_application(db: Database, actor: Actor, application_id: int) -> dict[str, Any]:
    """The application with its whole file. Bank staff of the institution, or a drawn expert
    (who sees the file without the bank's internal pricing)."""
    with db.read() as session:
        if actor.role is Role.EXPERT:
            app = session.get(Application, application_id)
            drawn = app is not None and session.scalar(
                select(ExpertOpinion.id)
                .join(Expert, Expert.id == ExpertOpinion.expert_id)
                .where(
                    ExpertOpinion.application_id == application_id, Expert.user_id == actor.user_id
                )
            )
            if app is None or not drawn:
                raise NotFound("application not found")
            view = _view(session, app)
            view["file"] = _expert_file(view["file"])
            return view
        require_role(actor, BANK_STAFF, "reading an application")
        return _view(session, _app(session, actor, application_id))


QUEUES: dict[Role, tuple[str, ...]] = {
    Role.ACCOUNT_MANAGER: ("draft", "returned", "approved", "contracted"),
    Role.REVIEWER: ("submitted", "experts"),
    Role.APPROVER: ("decision", "committee"),
    Role.RISK_MANAGER: ("committee", "contracted"),
}


def queue(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The caller's work queue: what waits for their role (an expert: applications they were
    drawn for and have not answered; a manager: their own applications)."""
    with db.read() as session:
        if actor.role is Role.EXPERT:
            rows = session.execute(
                select(Application)
                .join(ExpertOpinion, ExpertOpinion.application_id == Application.id)
                .join(Expert, Expert.id == ExpertOpinion.expert_id)
                .where(
                    Expert.user_id == actor.user_id,
                    ExpertOpinion.submitted_at.is_(None),
                    Application.status == "experts",
                )
                .order_by(Application.id)
            ).scalars()
            return [_row(session, a) for a in rows]
        require_role(actor, BANK_STAFF, "reading the work queue")
        statuses = QUEUES.get(actor.role, tuple(s for v in QUEUES.values() for s in v))
        stmt = select(Application).where(Application.status.in_(statuses)).order_by(Application.id)
        if not actor.is_system:
            stmt = stmt.where(Application.institution_id == actor.institution_id)
        if actor.role is Role.ACCOUNT_MANAGER:
            stmt = stmt.where(Application.prepared_by == actor.user_id)
        out = []
        dedicated: set[int] = set()
        if actor.role in (Role.REVIEWER, Role.APPROVER) and actor.institution_id is not None:
            dedicated = _dedicated(session, actor.institution_id, actor.role)
        for a in session.scalars(stmt):
            if actor.role in (Role.REVIEWER, Role.APPROVER) and actor.user_id in (a.prepared_by,):
                continue
            if (
                a.channel == "tech"
                and a.status in ("submitted", "decision")
                and dedicated
                and actor.user_id not in dedicated
            ):
                continue
            if actor.role is Role.APPROVER and a.reviewed_by == actor.user_id:
                continue
            out.append(_row(session, a))
        if actor.role is Role.RISK_MANAGER:
            pending = session.scalars(
                select(Disbursement).where(
                    Disbursement.institution_id == actor.institution_id,
                    Disbursement.status == "requested",
                )
            ).all()
            ids = {session.get(Contract, d.contract_id).application_id for d in pending}  # type: ignore[union-attr]
            out = [r for r in out if r["status"] == "committee" or r["id"] in ids]
        return out


def _row(session: Session, a: Application) -> dict[str, Any]:
    e = session.get(Enterprise, a.enterprise_id)
    return {
        "id": a.id,
        "enterprise": e.name if e else "",
        "product_code": a.product_code,
        "amount": str(a.amount),
        "exposure": str(a.exposure),
        "status": a.status,
        "channel": a.channel,
        "grade": a.grade,
        "created_at": a.created_at.isoformat(),
    }


def applications(db: Database, actor: Actor, limit: int = 200) -> list[dict[str, Any]]:
    require_role(actor, BANK_STAFF, "listing applications")
    with db.read() as session:
        stmt = select(Application).order_by(Application.id.desc()).limit(limit)
        if not actor.is_system:
            stmt = stmt.where(Application.institution_id == actor.institution_id)
        return [_row(session, a) for a in session.scalars(stmt)]


STEP_ORDER = (
    "submit",
    "review",
    "expert_advice",
    "refer",
    "approve",
    "reduce",
    "reject",
    "return",
    "committee",
    "contract",
    "condition_met",
    "disburse",
)


def channel_times(db: Database, actor: Actor) -> dict[str, Any]:
    """Mean elapsed hours per step, tech channel beside the ordinary one (guidance art. 11
    asks the separate channel to be faster), with the number of steps measured."""
    require_role(actor, BANK_STAFF, "reading channel times")
    with db.read() as session:
        stmt = select(ApplicationEvent).order_by(
            ApplicationEvent.application_id, ApplicationEvent.id
        )
        if not actor.is_system:
            stmt = stmt.where(ApplicationEvent.institution_id == actor.institution_id)
        by_app: dict[int, list[ApplicationEvent]] = {}
        for ev in session.scalars(stmt):
            by_app.setdefault(ev.application_id, []).append(ev)
        sums: dict[tuple[str, str], list[float]] = {}
        for evs in by_app.values():
            channel = evs[-1].channel
            for step in _elapsed(evs):
                sums.setdefault((step["step"], channel), []).append(step["hours"])
    order = [*STEP_ORDER, *sorted({s for s, _ in sums} - set(STEP_ORDER))]
    steps = [s for s in order if any(k == s for k, _ in sums)]
    rows = []
    for s in steps:
        row: dict[str, Any] = {"step": s}
        for ch in ("tech", "ordinary"):
            vals = sums.get((s, ch), [])
            row[ch] = {
                "n": len(vals),
                "mean_hours": round(sum(vals) / len(vals), 4) if vals else None,
            }
        rows.append(row)
    return {"steps": rows}


# --- day-end --------------------------------------------------------------------------------------


def _register_day_end() -> None:
    from techfin.services.eod import step

    @step("origination.fund_use_watch", order=420)
    def fund_use_watch(session: Session, institution: Any, date: dt.date) -> dict[str, Any]:
        """Active loans past the evidence window whose use of funds is not fully evidenced, and
        post-loan milestones falling due on this date (read-only, so idempotent)."""
        days = int(load_policy().raw["disbursement"]["use_of_funds_evidence_days"])
        overdue = 0
        loans = session.scalars(
            select(Loan).where(
                Loan.institution_id == institution.id,
                Loan.status == "active",
                Loan.start_date <= date - dt.timedelta(days=days),
            )
        )
        for loan in loans:
            evidenced = session.scalar(
                select(func.sum(FundUseEvidence.amount)).where(FundUseEvidence.loan_id == loan.id)
            )
            if Decimal(evidenced or 0) < Decimal(loan.principal):
                overdue += 1
        due = 0
        for app in session.scalars(
            select(Application).where(
                Application.institution_id == institution.id, Application.status == "disbursed"
            )
        ):
            due += sum(1 for m in app.milestones if m.get("due") == date.isoformat())
        return {"fund_use_evidence_overdue": overdue, "milestones_due": due}


_register_day_end()
