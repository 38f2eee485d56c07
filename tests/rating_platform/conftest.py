"""Fixtures for rating-platform tests."""

from __future__ import annotations

import pytest
from rp_world import World, build_world

from techfin.store.db import Database


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)
