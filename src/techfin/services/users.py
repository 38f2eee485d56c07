"""Identity: institutions, branches, users, login and bearer tokens."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.services import audit
from techfin.services.authz import owned, require_institution, require_role
from techfin.services.context import Actor, BranchKind, InstitutionKind, Role
from techfin.services.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from techfin.services.security import hash_password, new_token, token_digest, verify_password
from techfin.store.db import Database
from techfin.store.tables import ApiToken, Branch, Institution, User, utcnow

TOKEN_LIFETIME = dt.timedelta(hours=12)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    institution_code: str | None
    institution_name: str | None
    branch_id: int | None
    enterprise_id: int | None
    locale: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _actor_for(session: Session, user: User) -> Actor:
    institution = session.get(Institution, user.institution_id) if user.institution_id else None
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        institution_id=user.institution_id,
        institution_code=institution.code if institution else "",
        branch_id=user.branch_id,
        enterprise_id=user.enterprise_id,
        display_name=user.display_name,
        locale=user.locale,
    )


def view(session: Session, user: User) -> UserView:
    institution = session.get(Institution, user.institution_id) if user.institution_id else None
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        institution_code=institution.code if institution else None,
        institution_name=institution.name if institution else None,
        branch_id=user.branch_id,
        enterprise_id=user.enterprise_id,
        locale=user.locale,
    )


# --- institutions and branches -------------------------------------------------------------


def add_institution(
    session: Session, actor: Actor, *, code: str, name: str, kind: str, name_en: str = ""
) -> Institution:
    require_role(actor, [Role.ADMIN], "adding an institution")
    if not actor.is_system:
        # Tenants are created by the platform operator, not by another tenant's admin.
        raise ValidationFailed("only the platform operator adds institutions", field="kind")
    try:
        kind_value = InstitutionKind(kind)
    except ValueError as exc:
        allowed = ", ".join(k.value for k in InstitutionKind)
        raise ValidationFailed(f"kind must be one of {allowed}", field="kind") from exc
    if session.scalar(select(Institution).where(Institution.code == code)):
        raise Conflict(f"institution {code} already exists", field="code")
    institution = Institution(code=code, name=name, name_en=name_en, kind=kind_value.value)
    session.add(institution)
    session.flush()
    audit.record(session, actor, "institution.add", f"institution:{code}", after=[code, name, kind])
    return institution


def add_branch(
    session: Session,
    actor: Actor,
    *,
    institution_id: int,
    code: str,
    name: str,
    kind: str,
    parent_id: int | None = None,
    delegated_limits: dict[str, Any] | None = None,
) -> Branch:
    require_role(actor, [Role.ADMIN], "adding a branch")
    require_institution(actor, institution_id, "institution")
    try:
        kind_value = BranchKind(kind)
    except ValueError as exc:
        allowed = ", ".join(k.value for k in BranchKind)
        raise ValidationFailed(f"kind must be one of {allowed}", field="kind") from exc
    branch = Branch(
        institution_id=institution_id,
        code=code,
        name=name,
        kind=kind_value.value,
        parent_id=parent_id,
        delegated_limits=delegated_limits or {},
    )
    session.add(branch)
    session.flush()
    audit.record(session, actor, "branch.add", f"branch:{code}", after=[code, name, kind])
    return branch


# --- users ---------------------------------------------------------------------------------


def add_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: str,
    institution_code: str | None,
    display_name: str = "",
    branch_code: str | None = None,
    enterprise_id: int | None = None,
    locale: str = "zh",
) -> User:
    """Create a user. An institution's admin adds users to their own institution only."""
    require_role(actor, [Role.ADMIN], "adding a user")
    if not USERNAME.match(username or ""):
        raise ValidationFailed(
            "username must be 3–64 characters: lowercase letters, digits, '.', '_' or '-'",
            field="username",
        )
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(
            f"password must be at least {MIN_PASSWORD} characters", field="password"
        )
    try:
        role_value = Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"role must be one of {allowed}", field="role") from exc
    institution = None
    if institution_code:
        institution = session.scalar(
            select(Institution).where(Institution.code == institution_code)
        )
        if institution is None:
            raise ValidationFailed(f"no institution {institution_code}", field="institution")
    if institution is None:
        raise ValidationFailed("a user belongs to an institution", field="institution")
    require_institution(actor, institution.id, "institution")
    if role_value is Role.ENTERPRISE and enterprise_id is None:
        raise ValidationFailed("an enterprise user names its enterprise", field="enterprise_id")
    branch_id = None
    if branch_code:
        branch = session.scalar(
            select(Branch).where(
                Branch.institution_id == institution.id, Branch.code == branch_code
            )
        )
        if branch is None:
            raise ValidationFailed(f"no branch {branch_code} at {institution.code}", field="branch")
        branch_id = branch.id
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"username {username} is taken", field="username")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        institution_id=institution.id,
        branch_id=branch_id,
        enterprise_id=enterprise_id,
        role=role_value.value,
        locale=locale,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.add",
        f"user:{username}",
        after={"username": username, "role": role_value.value, "institution": institution.code},
    )
    return user


def authenticate(db: Database, username: str, password: str) -> Actor:
    """Check a password; the same message for an unknown user and a wrong password."""
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == (username or "").strip()))
        if user is None or not user.active or not verify_password(user.password_hash, password):
            raise Unauthenticated("wrong username or password")
        return _actor_for(session, user)


def actor_by_id(db: Database, user_id: int) -> Actor:
    with db.read() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise Unauthenticated("the session's user no longer exists")
        return _actor_for(session, user)


def issue_token(db: Database, actor: Actor, label: str = "api") -> tuple[str, dt.datetime]:
    token = new_token()
    expires = utcnow() + TOKEN_LIFETIME
    with db.transaction() as session:
        session.add(
            ApiToken(
                user_id=actor.user_id,
                token_sha256=token_digest(token),
                label=label,
                expires_at=expires,
            )
        )
        audit.record(session, actor, "token.issue", f"user:{actor.username}", reason=label)
    return token, expires


def actor_for_token(db: Database, token: str) -> Actor:
    with db.read() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_digest(token)))
        if row is None or row.revoked_at is not None:
            raise Unauthenticated("invalid token")
        if row.expires_at <= utcnow():
            raise Unauthenticated("token expired")
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            raise Unauthenticated("invalid token")
        return _actor_for(session, user)


def me(db: Database, actor: Actor) -> UserView:
    with db.read() as session:
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("user not found")
        return view(session, user)


def list_users(db: Database, actor: Actor) -> list[UserView]:
    """Users of the caller's own institution (admins only)."""
    require_role(actor, [Role.ADMIN], "listing users")
    with db.read() as session:
        rows = session.scalars(
            select(User).where(User.institution_id == actor.institution_id).order_by(User.username)
        )
        return [view(session, u) for u in rows]


def get_user(db: Database, actor: Actor, user_id: int) -> UserView:
    require_role(actor, [Role.ADMIN], "reading a user")
    with db.read() as session:
        user = owned(session, actor, User, user_id, "user")
        return view(session, user)


def set_locale(db: Database, actor: Actor, locale: str) -> None:
    if locale not in ("zh", "en"):
        raise ValidationFailed("locale must be zh or en", field="locale")
    with db.transaction() as session:
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("user not found")
        before = user.locale
        user.locale = locale
        audit.record(
            session, actor, "user.set_locale", f"user:{user.username}", before=before, after=locale
        )
