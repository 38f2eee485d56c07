"""The declarative base shared by every table module, and the column conventions.

Money is `Numeric(20, 2)` in yuan. Each capability may keep its tables in a module of its own
(`techfin/store/tables_<area>.py`) on this base; `techfin.store.models` imports them all so that
migrations and tests see the whole schema.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(20, 2)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        Decimal: Money,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }
