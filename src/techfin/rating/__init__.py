"""techfin.rating: pre-loan rating of tech enterprises (2021 guidance, art. 11).

* :mod:`techfin.rating.expert` — expert tech-flow scorecard (T1 best … T10) as versioned data,
  and the blend with a statistical PD;
* :mod:`techfin.rating.scorecard` — the statistical scorecard engine (scikit-learn estimator):
  :mod:`~techfin.rating.binning`, :mod:`~techfin.rating.selection`,
  :mod:`~techfin.rating.logistic`, :mod:`~techfin.rating.calibration`;
* :mod:`techfin.rating.validation` and :mod:`techfin.rating.report` — AUC/Gini, KS, PSI, CSI,
  binomial test, Hosmer–Lemeshow, HTML report.

See ``docs/rating.md``.
"""

from techfin.rating._frame import RatingInputError
from techfin.rating.binning import BinningProcess
from techfin.rating.expert import blend, rate_expert
from techfin.rating.scorecard import ModelVersionError, Scorecard

__all__ = [
    "BinningProcess",
    "ModelVersionError",
    "RatingInputError",
    "Scorecard",
    "blend",
    "rate_expert",
]
