"""A loan's servicing terms come from its product in the catalogue (products.yaml): the
penalty markup and the payment allocation order. A loan whose product is not in the catalogue
is refused (409 naming `product_code`), never serviced on house defaults (decision 1109)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from svcp_world import PASSWORD, make_loan, set_business_date

from techfin.app import create_app
from techfin.services import servicing as svc
from techfin.services.errors import Conflict
from techfin.store.tables_origination import Loan
from techfin.store.tables_servicing import SvcEvent


def _retag(world, loan_id: int, code: str) -> None:
    with world.db.transaction() as s:
        loan = s.get(Loan, loan_id)
        assert loan is not None
        loan.product_code = code


def test_the_world_loan_is_a_catalogue_product_with_its_terms(world):
    am = world.actor("s_am")
    loan = svc.loan_view(world.db, am, make_loan(world))["loan"]
    assert loan["product_code"] == "credit_loan"
    assert loan["penalty_markup"] == "0.50"
    assert loan["allocation_order"] == [
        "costs",
        "penalty_interest",
        "compound_interest",
        "interest",
        "principal",
    ]
    talent = svc.loan_view(world.db, am, make_loan(world, product="talent_loan"))["loan"]
    assert talent["penalty_markup"] == "0.30" and talent["allocation_order"][1] == "interest"
    with pytest.raises(ValueError, match="tech-credit"):
        make_loan(world, product="tech-credit")


def test_a_loan_on_a_product_not_in_the_catalogue_is_refused(world):
    loan = make_loan(world)
    _retag(world, loan, "tech-credit")
    am = world.actor("s_am")
    set_business_date(world, dt.date(2026, 3, 1))
    with pytest.raises(Conflict) as view:
        svc.loan_view(world.db, am, loan)
    assert view.value.field == "product_code" and "tech-credit" in str(view.value)
    with pytest.raises(Conflict) as paid:
        svc.record_payment(world.db, am, loan, amount="620.00")
    assert paid.value.field == "product_code"
    with world.db.read() as s:  # nothing half-written
        assert s.scalar(select(func.count()).select_from(SvcEvent)) == 0

    client = TestClient(create_app(world.db, secret_key="test-secret"))
    token = client.post("/api/token", json={"username": "s_am", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    got = client.get(f"/api/loans/{loan}", headers=headers)
    assert got.status_code == 409
    assert got.headers["content-type"] == "application/problem+json"
    assert got.json()["field"] == "product_code"
