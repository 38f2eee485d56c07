"""Market reference data entered on the platform: monthly LPR fixings after the packaged table.

The packaged table (`techfin/credit/data/lpr.csv`) ends where the release was cut. Each later
monthly fixing is entered by a platform-operator administrator and confirmed by a second one
(maker-checker); only confirmed rows extend the table that pricing reads
(`techfin.services.market.lpr_table`). Rates are fractions (0.03 = 3 %), as in the domain.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from techfin.store.base import Base, utcnow

LprRate = Numeric(8, 6)


class LprFixingEntry(Base):
    """One monthly LPR fixing as entered (`pending`), then `confirmed` or `rejected`.

    At most one pending or confirmed entry per fixing date (checked by the service; the unique
    index on `fixing_key` backs it: the date while live, NULL once rejected)."""

    __tablename__ = "lpr_fixings"
    id: Mapped[int] = mapped_column(primary_key=True)
    fixing_date: Mapped[dt.date] = mapped_column(Date, index=True)
    fixing_key: Mapped[dt.date | None] = mapped_column(Date, unique=True)
    one_year: Mapped[Decimal] = mapped_column(LprRate)
    five_year_plus: Mapped[Decimal] = mapped_column(LprRate)
    source: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    check_note: Mapped[str] = mapped_column(Text, default="")
