"""The servicing demo seeder over a small demo world: three loans, one on time, one in special
mention, one substandard, with the day-end results."""

from __future__ import annotations

from sqlalchemy import select

from techfin.services import demo
from techfin.store.tables_servicing import SvcPosition


def test_demo_seed_shows_the_three_situations(db):
    """`demo.load` runs the servicing seeder (it is in `demo.DEMO_SEEDERS`)."""
    out = demo.load(db, enterprises=40)["servicing_demo"]
    assert out["loans"] == 3 and out["day_end"]["positions"]["past_due"] == 2
    with db.read() as s:
        floors = sorted(s.scalars(select(SvcPosition.floor)))
    assert floors == ["normal", "special_mention", "substandard"]
