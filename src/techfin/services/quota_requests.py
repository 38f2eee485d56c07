"""Head office decides the tech credit quota requests (单列信贷规模, guidance art. 10).

A tech loan disbursed beyond its branch's headroom is never turned away: origination counts it
and records a request to head office for the shortfall (`orig_tech_quota_uses.decision`). Here
head office approves (the branch's quota grows by the requested amount) or rejects it, with a
reason — an audited command. Only head-office staff decide (an administrator or an approver of
the head office); the loan stands either way, and a rejected request leaves the branch over its
quota, which the usage report shows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from techfin.services import audit
from techfin.services.authz import require_institution, require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.store.db import Database
from techfin.store.tables import Branch, utcnow
from techfin.store.tables_origination import TechQuota, TechQuotaUse


def _view(use: TechQuotaUse, quota: TechQuota, branch: Branch) -> dict[str, Any]:
    return {
        "id": use.id,
        "branch": branch.code,
        "branch_name": branch.name,
        "loan_id": use.loan_id,
        "on": use.on.isoformat(),
        "loan_amount": str(use.amount),
        "requested": use.decision.get("request"),
        "status": use.decision.get("status", "pending"),
        "decided_by": use.decision.get("decided_by"),
        "reason": use.decision.get("reason"),
        "quota_amount": str(quota.amount),
    }


def requests(db: Database, actor: Actor, status: str | None = "pending") -> list[dict[str, Any]]:
    """Quota requests of the caller's institution (pending ones by default)."""
    require_role(
        actor,
        [Role.ADMIN, Role.APPROVER, Role.RISK_MANAGER, Role.ACCOUNT_MANAGER],
        "reading quota requests",
    )
    with db.read() as session:
        rows = session.execute(
            select(TechQuotaUse, TechQuota, Branch)
            .join(TechQuota, TechQuota.id == TechQuotaUse.quota_id)
            .join(Branch, Branch.id == TechQuota.branch_id)
            .where(TechQuota.institution_id == actor.institution_id)
            .order_by(TechQuotaUse.id)
        ).all()
        out = [_view(u, q, b) for u, q, b in rows if u.decision.get("request")]
        return [r for r in out if status is None or r["status"] == status]


def _head_office(actor: Actor, session: Any) -> None:
    if actor.is_system or actor.role is Role.ADMIN:
        return
    if actor.role is not Role.APPROVER:
        raise Forbidden("quota requests are decided by head office (an administrator or approver)")
    branch = session.get(Branch, actor.branch_id) if actor.branch_id else None
    if branch is not None and branch.kind != "head_office":
        raise Forbidden("quota requests are decided by head office, not by a branch")


def decide(
    db: Database, actor: Actor, request_id: int, *, approve: bool, reason: str
) -> dict[str, Any]:
    """Approve (the branch's quota grows by the request) or reject, with a reason."""
    if not reason.strip():
        raise ValidationFailed("a decision needs a reason", field="reason")
    with db.transaction() as session:
        use = session.get(TechQuotaUse, request_id)
        if use is None or not use.decision.get("request"):
            raise NotFound("quota request not found")
        quota = session.get(TechQuota, use.quota_id)
        assert quota is not None
        require_institution(actor, quota.institution_id, "quota request")
        _head_office(actor, session)
        if use.decision.get("status", "pending") != "pending":
            raise Conflict(f"request already {use.decision['status']}", field="status")
        requested = Decimal(use.decision["request"])
        before = str(quota.amount)
        if approve:
            quota.amount = Decimal(quota.amount) + requested
        use.decision = {
            **use.decision,
            "status": "approved" if approve else "rejected",
            "decided_by": actor.username,
            "decided_at": utcnow().isoformat(),
            "reason": reason,
        }
        branch = session.get(Branch, quota.branch_id)
        assert branch is not None
        audit.record(
            session,
            actor,
            "quota.approve" if approve else "quota.reject",
            f"branch:{branch.code}",
            reason=reason,
            before={"quota": before, "request": str(requested)},
            after={"quota": str(quota.amount), "status": use.decision["status"]},
        )
        return _view(use, quota, branch)


def usage(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Every branch's tech quota for each period: amount, used, headroom (the usage report)."""
    require_role(
        actor,
        [Role.ADMIN, Role.APPROVER, Role.RISK_MANAGER, Role.ACCOUNT_MANAGER],
        "reading quota usage",
    )
    with db.read() as session:
        quotas = session.execute(
            select(TechQuota, Branch)
            .join(Branch, Branch.id == TechQuota.branch_id)
            .where(TechQuota.institution_id == actor.institution_id)
            .order_by(Branch.code, TechQuota.period_start)
        ).all()
        out = []
        for quota, branch in quotas:
            used = sum(
                (
                    Decimal(u.amount)
                    for u in session.scalars(
                        select(TechQuotaUse).where(TechQuotaUse.quota_id == quota.id)
                    )
                ),
                Decimal(0),
            )
            out.append(
                {
                    "branch": branch.code,
                    "branch_name": branch.name,
                    "period_start": quota.period_start.isoformat(),
                    "period_end": quota.period_end.isoformat(),
                    "amount": str(quota.amount),
                    "used": str(used),
                    "headroom": str(Decimal(quota.amount) - used),
                }
            )
        return out
