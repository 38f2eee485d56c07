"""Fixtures for IP-platform tests."""

from __future__ import annotations

import pytest
from ipp_world import World, build_world

from techfin.store.db import Database


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)
