"""Fixtures for servicing-platform tests."""

from __future__ import annotations

import pytest
from svcp_world import SvcWorld, build_svc_world

from techfin.store.db import Database


@pytest.fixture
def world(db: Database) -> SvcWorld:
    return build_svc_world(db)
