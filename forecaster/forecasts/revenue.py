"""The revenue model: a forecast of monthly revenue with an interval, and its backtest.

Pure functions over a list of monthly amounts (``Decimal``, oldest first, one per calendar
month with no gaps); no database, no request::

    >>> fc = forecast([Decimal("100.00")] * 30, horizon=3)
    >>> fc.method, [str(p.point) for p in fc.points]
    ('seasonal', ['100.00', '100.00', '100.00'])
    >>> bt = backtest(history)            # the last 12 months, model against two baselines
    >>> bt.model.mae, bt.same_month_last_year.mae, bt.last_3_months.mae

The model comes from statsmodels' ETS (exponential smoothing in state-space form, the
Holt-Winters family), which gives a prediction interval as well as a point:

* ``seasonal`` — at least 24 months: additive error, damped additive trend, additive
  12-month season (Holt-Winters);
* ``trend`` — 10 to 23 months: additive error, damped additive trend (Holt);
* ``average`` — 3 to 9 months: simple exponential smoothing (a weighted average of the past);
* fewer than 3 months: no forecast (``InsufficientHistory``).

Money trade-off: statsmodels computes in binary floating point. Amounts go in as floats (exact
for any amount below 2**53 cents) and every number that comes out is turned into a ``Decimal``
rounded half-up to the cent right here, at the edge, so nothing downstream ever sees a float.
A forecast is an estimate, so the sub-cent error of the float arithmetic is far below its own
uncertainty; actual amounts are never passed through floats. Revenue cannot be negative, so
points and lower bounds are floored at zero.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SEASONAL_MIN = 24
TREND_MIN = 10
AVERAGE_MIN = 3
SEASON = 12
BACKTEST_MONTHS = 12
# The interval's coverage: 80 % is what forecasters usually show for planning; 95 % bands on
# monthly revenue are so wide that nobody reads them.
COVERAGE = 80

METHOD_LABELS = {
    "seasonal": _("seasonal model (Holt-Winters: level, damped trend and a 12-month season)"),
    "trend": _("trend model (Holt: level and damped trend)"),
    "average": _("average (simple exponential smoothing of the months so far)"),
    "none": _("no forecast: fewer than 3 months of history"),
}


class InsufficientHistory(ValueError):
    """Fewer than ``AVERAGE_MIN`` months: there is nothing to fit."""


@dataclass(frozen=True)
class Point:
    """One forecast month: the point and the interval around it (``lower ≤ point ≤ upper``)."""

    point: Decimal
    lower: Decimal
    upper: Decimal


@dataclass(frozen=True)
class Forecast:
    method: str  # "seasonal", "trend" or "average"
    months_used: int
    points: list[Point]

    @property
    def method_label(self) -> str:
        return str(METHOD_LABELS[self.method])


def method_for(months: int) -> str:
    """The method the model uses for ``months`` months of history (``"none"`` below 3)."""
    if months >= SEASONAL_MIN:
        return "seasonal"
    if months >= TREND_MIN:
        return "trend"
    if months >= AVERAGE_MIN:
        return "average"
    return "none"


def to_money(value: float) -> Decimal:
    """A float from the model as ``Decimal`` rounded half-up to the cent (the one float→money edge)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def forecast(history: list[Decimal], horizon: int) -> Forecast:
    """Forecast the ``horizon`` months that follow ``history`` (monthly amounts, oldest first).

    Raises ``InsufficientHistory`` with fewer than 3 months and ``ValueError`` on a
    non-positive horizon.
    """
    if horizon < 1:
        raise ValueError("horizon must be at least 1 month")
    method = method_for(len(history))
    if method == "none":
        raise InsufficientHistory(f"{len(history)} months of history; the model needs at least {AVERAGE_MIN}")
    mean, lower, upper = _fit_predict(history, horizon, method)
    points = []
    for m, lo, hi in zip(mean, lower, upper, strict=True):
        point = max(to_money(m), ZERO)
        points.append(
            Point(point=point, lower=min(max(to_money(lo), ZERO), point), upper=max(to_money(hi), point))
        )
    return Forecast(method=method, months_used=len(history), points=points)


def _fit_predict(history: list[Decimal], horizon: int, method: str) -> tuple[list, list, list]:
    import numpy as np
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    values = np.array([float(v) for v in history], dtype=float)
    # A monthly index: statsmodels needs one to label predictions; the dates themselves are not used.
    series = pd.Series(values, index=pd.period_range("2000-01", periods=len(values), freq="M"))
    if not np.any(values) or np.ptp(values) == 0:
        # A constant series has no variance to fit (the optimiser divides by it): the forecast
        # is that constant, with no spread.
        flat = [float(values[-1])] * horizon
        return flat, flat, flat
    if method == "seasonal":
        # The heuristic start values (from the first two seasons) converge reliably; the
        # default estimated start often stops in a poor local optimum with monthly data.
        model = ETSModel(
            series,
            error="add",
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=SEASON,
            initialization_method="heuristic",
        )
    elif method == "trend":
        model = ETSModel(
            series, error="add", trend="add", damped_trend=True, initialization_method="heuristic"
        )
    else:
        model = ETSModel(series, error="add")
    with warnings.catch_warnings():
        # Convergence chatter from the optimiser is not actionable for a user; the backtest
        # shows how good the fit is.
        warnings.simplefilter("ignore")
        result = model.fit(disp=False, maxiter=2000)
        frame = result.get_prediction(start=len(values), end=len(values) + horizon - 1).summary_frame(
            alpha=1 - COVERAGE / 100
        )
    mean = [float(x) for x in frame["mean"]]
    lower = [float(x) for x in frame["pi_lower"]]
    upper = [float(x) for x in frame["pi_upper"]]
    # A degenerate fit can give NaN bounds; fall back to the point rather than show "nan".
    lower = [m if np.isnan(lo) else lo for m, lo in zip(mean, lower, strict=True)]
    upper = [m if np.isnan(hi) else hi for m, hi in zip(mean, upper, strict=True)]
    return mean, lower, upper


# --- backtest ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Score:
    """Errors of one method over the backtest months."""

    predictions: list[Decimal]
    mae: Decimal  # mean absolute error, in money
    wape: Decimal | None  # total absolute error ÷ total actual, in %, one decimal (None: no actual)


@dataclass(frozen=True)
class Backtest:
    """The model and two naive baselines, each predicting the same last ``len(actual)`` months
    from what was known before them (one fixed origin, as the real forecast works)."""

    method: str
    actual: list[Decimal]
    model: Score
    same_month_last_year: Score | None  # needs 12 months before the first backtest month
    last_3_months: Score

    @property
    def best_baseline(self) -> Score:
        """The baseline with the smaller error."""
        others = [s for s in (self.same_month_last_year, self.last_3_months) if s is not None]
        return min(others, key=lambda s: s.mae)

    @property
    def model_wins(self) -> bool:
        """The model's error is below every baseline's."""
        return self.model.mae < self.best_baseline.mae

    @property
    def improvement(self) -> Decimal | None:
        """How much smaller the model's mean error is than the best baseline's, in % (negative:
        larger); ``None`` when the baseline made no error."""
        best = self.best_baseline.mae
        if not best:
            return None
        return ((best - self.model.mae) * 100 / best).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def score(predictions: list[Decimal], actual: list[Decimal]) -> Score:
    errors = [abs(p - a) for p, a in zip(predictions, actual, strict=True)]
    mae = (sum(errors, ZERO) / len(errors)).quantize(CENT, rounding=ROUND_HALF_UP)
    total = sum(actual, ZERO)
    wape = None
    if total > 0:
        wape = (sum(errors, ZERO) * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Score(predictions=predictions, mae=mae, wape=wape)


def backtest(history: list[Decimal], months: int = BACKTEST_MONTHS) -> Backtest | None:
    """Predict the last ``months`` months of ``history`` from the months before them, with the
    model (the method its training length allows) and with the baselines "same month last year"
    and "average of the last 3 months". ``None`` when the training part would be too short.
    """
    train = history[:-months]
    if len(history) <= months or method_for(len(train)) == "none":
        return None
    fc = forecast(train, months)
    return compare(history, [p.point for p in fc.points], fc.method)


def compare(history: list[Decimal], predictions: list[Decimal], method: str) -> Backtest:
    """Score ``predictions`` of the last ``len(predictions)`` months of ``history`` next to the
    two baselines made from the months before them."""
    months = len(predictions)
    train, actual = history[:-months], history[-months:]
    seasonal = None
    if len(train) >= SEASON:
        # y[t-12]: for a horizon of at most 12 months every value is known at the origin.
        seasonal = score([history[len(train) + i - SEASON] for i in range(months)], actual)
    avg3 = (sum(train[-3:], ZERO) / len(train[-3:])).quantize(CENT, rounding=ROUND_HALF_UP)
    return Backtest(
        method=method,
        actual=actual,
        model=score(predictions, actual),
        same_month_last_year=seasonal,
        last_3_months=score([avg3] * months, actual),
    )
