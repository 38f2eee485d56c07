"""Every table module, imported so that `Base.metadata` holds the whole schema.

A capability with tables of its own adds its module here (one line).
"""

from __future__ import annotations

from techfin.store import (
    tables,  # noqa: F401
    tables_ip,  # noqa: F401
    tables_market,  # noqa: F401
    tables_origination,  # noqa: F401
    tables_rating,  # noqa: F401
    tables_servicing,  # noqa: F401
)
from techfin.store.base import Base

__all__ = ["Base"]
