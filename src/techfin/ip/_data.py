"""Loading the IP rule-data files packaged in `techfin/ip/data/` (read-only, cached)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load(name: str) -> dict[str, Any]:
    """Parse `techfin/ip/data/<name>` (YAML) once per process."""
    text = resources.files("techfin.ip").joinpath("data", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping at the top level")
    return data
