"""Parameters and vocabulary of the synthetic world, read from the package's data files.

`params.yaml` holds every figure that shapes the world, each block marked `sourced`, `guess`
or `design` (see docs/synth.md); `lexicon.yaml` holds the words (places with GB/T 2260 area
codes, GB/T 4754-2017 industry classes, name parts). Both are read with `importlib.resources`
and cached; `Params.version` is recorded in every generated batch.

The helpers here turn "median with P25 and P75" into distribution parameters and solve the
few calibrations the generator needs (a truncated lognormal that keeps its median under the
科小 caps, a default intercept that yields a target mean default rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml
from scipy.special import expit, logit, ndtr, ndtri

Z75 = float(ndtri(0.75))  # 0.6745: the P75 of a standard normal

PROFILES: tuple[str, ...] = ("tech_sme", "hnte", "srdi", "little_giant")
SECTIONS: tuple[str, ...] = ("C", "I", "M", "other")
PATENT_TYPES: tuple[str, ...] = ("invention", "utility", "design")


def _read_yaml(name: str) -> dict[str, Any]:
    text = resources.files("techfin.synth").joinpath(name).read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@dataclass(frozen=True)
class Params:
    """The parsed parameter file and lexicon (read-only)."""

    raw: dict[str, Any]
    lexicon: dict[str, Any]

    @property
    def version(self) -> str:
        return f"{self.raw['version']}+{self.lexicon['version']}"

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]


@cache
def load_params() -> Params:
    """The packaged parameters (cached)."""
    return Params(raw=_read_yaml("params.yaml"), lexicon=_read_yaml("lexicon.yaml"))


# ---------------------------------------------------------------------------------------------
# distribution helpers


def lognormal_sigma(p25: float, p75: float) -> float:
    """Sigma of ln(x) for a lognormal with the given quartiles."""
    return (math.log(p75) - math.log(p25)) / (2 * Z75)


def logit_sigma(p25: float, p75: float) -> float:
    """Sigma of logit(x) for a logit-normal share with the given quartiles."""
    return float((logit(p75) - logit(p25)) / (2 * Z75))


def truncated_mu(median: float, sigma: float, cap: float) -> float:
    """The mu of a lognormal truncated at `cap` whose median is `median`.

    The 科小 caps cut the top of the distribution; the data-realism medians describe firms
    that respect the caps, so the untruncated mu is raised until the truncated median is back
    at `median` (bisection; monotone in mu).
    """
    target = math.log(median)
    log_cap = math.log(cap)

    def truncated_median(mu: float) -> float:
        f_cap = float(ndtr((log_cap - mu) / sigma))
        return mu + sigma * float(ndtri(f_cap / 2))

    lo, hi = target - 3 * sigma, target + 3 * sigma
    for _ in range(100):
        mid = (lo + hi) / 2
        if truncated_median(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(64)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def intercept_for_mean(target: float, loading: float) -> float:
    """alpha such that E[expit(alpha − loading·Z)] = target for Z ~ N(0, 1).

    Gauss–Hermite quadrature with fixed nodes, so the result is deterministic.
    """
    lo, hi = -20.0, 5.0
    for _ in range(100):
        mid = (lo + hi) / 2
        mean = float(np.sum(_GH_WEIGHTS * expit(mid - loading * _GH_NODES)))
        if mean < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def nb_draw(rng: np.random.Generator, mean: np.ndarray, k: float) -> np.ndarray:
    """Negative-binomial counts with the given mean and dispersion k (gamma–Poisson)."""
    lam = rng.gamma(k, 1.0, size=mean.shape) * (mean / k)
    return rng.poisson(lam).astype(np.int64)
