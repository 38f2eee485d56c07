"""API of the credit catalogue, pricing and the schedule calculator (issue 7)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
