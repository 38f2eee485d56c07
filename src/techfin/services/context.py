"""Who is acting: the caller of every service."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    EXPERT = "expert"
    RISK_MANAGER = "risk_manager"
    UNDERWRITER = "underwriter"
    REGULATOR = "regulator"
    ADMIN = "admin"
    ENTERPRISE = "enterprise"


class InstitutionKind(StrEnum):
    BANK = "bank"
    INSURER = "insurer"
    GUARANTOR = "guarantor"
    GOVERNMENT_FUND = "government_fund"
    REGULATOR = "regulator"
    VALUATION_AGENCY = "valuation_agency"
    INVESTOR = "investor"
    PLATFORM = "platform"  # the hub operator itself; enterprises' own logins live here


class BranchKind(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"
    TECH_SUBBRANCH = "tech_subbranch"


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: Role
    institution_id: int | None
    institution_code: str
    branch_id: int | None = None
    enterprise_id: int | None = None
    display_name: str = ""
    locale: str = "zh"

    @classmethod
    def system(cls, reason_source: str = "cli") -> Actor:
        """The operator at the command line (trusted, as the person who runs the server)."""
        return cls(0, f"system:{reason_source}", Role.ADMIN, None, "*", display_name="system")

    @property
    def is_system(self) -> bool:
        return self.user_id == 0
