"""Consent gates shared data; tenants cannot see each other's records (services layer)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from techfin.services import consent, enterprises, users
from techfin.services.errors import ConsentRequired, Forbidden, NotFound, ValidationFailed
from techfin.store.tables import Consent, DataAccess

TODAY = dt.date.today()


def test_shared_data_needs_a_live_consent(world):
    am = world.actor("a_am")
    with pytest.raises(ConsentRequired) as err:
        enterprises.shared_profile(world.db, am, world.enterprise_id)
    assert "no live consent" in err.value.detail and err.value.field == "purpose"
    # the refused read wrote nothing
    with world.db.read() as s:
        assert s.scalar(select(DataAccess)) is None


def test_consent_grant_read_log_revoke(world):
    ent, am = world.actor("ent1"), world.actor("a_am")
    granted = consent.grant(
        world.db,
        ent,
        enterprise_id=world.enterprise_id,
        grantee_code="BANKA",
        purpose="credit_assessment",
        expires_on=TODAY + dt.timedelta(days=90),
    )
    assert granted.live
    profile = enterprises.shared_profile(world.db, am, world.enterprise_id)
    assert profile["financials"][0]["revenue"] == 32000000
    # the enterprise sees who read what, when and why
    log = consent.access_log(world.db, ent, world.enterprise_id)
    assert [(a.user, a.institution, a.purpose, a.what) for a in log] == [
        ("a_am", "BANKA", "credit_assessment", "profile")
    ]
    # another purpose is not covered
    with pytest.raises(ConsentRequired):
        enterprises.shared_profile(world.db, am, world.enterprise_id, "post_loan_monitoring")
    # another bank is not covered
    with pytest.raises(ConsentRequired):
        enterprises.shared_profile(world.db, world.actor("b_am"), world.enterprise_id)
    consent.revoke(world.db, ent, granted.id, "no longer needed")
    with pytest.raises(ConsentRequired):
        enterprises.shared_profile(world.db, am, world.enterprise_id)


def test_expired_consent_does_not_open_data(world):
    ent, am = world.actor("ent1"), world.actor("a_am")
    granted = consent.grant(
        world.db,
        ent,
        enterprise_id=world.enterprise_id,
        grantee_code="BANKA",
        purpose="credit_assessment",
        expires_on=TODAY + dt.timedelta(days=5),
    )
    with world.db.transaction() as s:
        s.execute(
            update(Consent)
            .where(Consent.id == granted.id)
            .values(expires_on=TODAY - dt.timedelta(days=1))
        )
    with pytest.raises(ConsentRequired):
        enterprises.shared_profile(world.db, am, world.enterprise_id)


def test_only_the_enterprise_grants_its_consent(world):
    with pytest.raises(Forbidden):
        consent.grant(
            world.db,
            world.actor("a_am"),
            enterprise_id=world.enterprise_id,
            grantee_code="BANKA",
            purpose="credit_assessment",
            expires_on=TODAY + dt.timedelta(days=30),
        )
    with pytest.raises(Forbidden):  # enterprise 2 cannot grant for enterprise 1
        consent.grant(
            world.db,
            world.actor("ent2"),
            enterprise_id=world.enterprise_id,
            grantee_code="BANKA",
            purpose="credit_assessment",
            expires_on=TODAY + dt.timedelta(days=30),
        )
    with pytest.raises(ValidationFailed) as err:
        consent.grant(
            world.db,
            world.actor("ent1"),
            enterprise_id=world.enterprise_id,
            grantee_code="BANKA",
            purpose="marketing",
            expires_on=TODAY + dt.timedelta(days=30),
        )
    assert err.value.field == "purpose"
    with pytest.raises(ValidationFailed) as err:
        consent.grant(
            world.db,
            world.actor("ent1"),
            enterprise_id=world.enterprise_id,
            grantee_code="BANKA",
            purpose="credit_assessment",
            expires_on=TODAY,
        )
    assert err.value.field == "expires_on"


def test_bank_a_cannot_read_or_change_bank_b_users(world):
    a_admin, b_admin = world.actor("a_admin"), world.actor("b_admin")
    b_users = users.list_users(world.db, b_admin)
    assert {u.username for u in b_users} == {"b_admin", "b_am"}
    assert {u.username for u in users.list_users(world.db, a_admin)} == {
        "a_admin",
        "a_am",
        "a_reviewer",
    }
    with pytest.raises(NotFound):
        users.get_user(world.db, a_admin, b_users[0].id)
    with pytest.raises(NotFound), world.db.transaction() as s:
        users.add_user(
            s,
            a_admin,
            username="intruder",
            password="long-enough-1",
            role="approver",
            institution_code="BANKB",
        )
    with world.db.read() as s:  # nothing half-written
        from techfin.store.tables import User

        assert s.scalar(select(User).where(User.username == "intruder")) is None


def test_non_admin_cannot_add_users(world):
    with pytest.raises(Forbidden), world.db.transaction() as s:
        users.add_user(
            s,
            world.actor("a_am"),
            username="newbie",
            password="long-enough-1",
            role="approver",
            institution_code="BANKA",
        )


def test_a_system_job_reads_under_the_institutions_consent_and_is_logged(world):
    from techfin.services.consent import Purpose, system_read
    from techfin.store.tables import Institution

    with world.db.read() as s:
        bank_a = s.scalar(select(Institution.id).where(Institution.code == "BANKA"))
    with world.db.transaction() as s:
        assert (
            system_read(
                s,
                institution_id=bank_a,
                enterprise_id=world.enterprise_id,
                purpose=Purpose.POST_LOAN_MONITORING,
                what="post-loan monitoring",
                on=TODAY,
                job="eod",
            )
            is None
        )  # no consent: nothing read, nothing logged
    consent.grant(
        world.db,
        world.actor("ent1"),
        enterprise_id=world.enterprise_id,
        grantee_code="BANKA",
        purpose="post_loan_monitoring",
        expires_on=TODAY + dt.timedelta(days=90),
    )
    with world.db.transaction() as s:
        assert (
            system_read(
                s,
                institution_id=bank_a,
                enterprise_id=world.enterprise_id,
                purpose=Purpose.POST_LOAN_MONITORING,
                what="post-loan monitoring",
                on=TODAY,
                job="eod",
            )
            is not None
        )
    log = consent.access_log(world.db, world.actor("ent1"), world.enterprise_id)
    assert [(a.user, a.institution, a.purpose) for a in log] == [
        ("system:eod", "BANKA", "post_loan_monitoring")
    ]
