"""Pages of the credit catalogue and the loan calculator (issue 7)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
