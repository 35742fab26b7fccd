"""The revenue model on histories with a known seasonal pattern (see ``seasonal.py``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from forecaster.forecasts.revenue import InsufficientHistory, backtest, forecast, method_for
from forecaster.forecasts.tests.seasonal import SEASON, seasonal_history


def test_backtest_beats_both_naive_baselines_on_a_seasonal_history():
    history = seasonal_history(48, seed=7)
    bt = backtest(history)
    assert bt.method == "seasonal"  # 36 training months: the seasonal model
    seasonal_naive = bt.same_month_last_year.mae
    avg3 = bt.last_3_months.mae
    # Measured: model 614.70, same month last year 778.32, last 3 months 2587.06 (mean absolute
    # error per month on revenue of about 13 000). The model is ~21 % better than the seasonal
    # naive baseline (which misses the growth) and ~76 % better than the 3-month average (which
    # misses the season). Bounds leave room for a different BLAS or optimiser release.
    assert bt.model.mae <= seasonal_naive * Decimal("0.85"), (bt.model.mae, seasonal_naive)
    assert bt.model.mae <= avg3 * Decimal("0.35"), (bt.model.mae, avg3)
    assert bt.model_wins
    assert bt.improvement >= Decimal("15.0")
    assert bt.model.wape < Decimal("6.0")


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_model_beats_the_naive_baselines_whatever_the_noise(seed):
    bt = backtest(seasonal_history(48, seed=seed))
    assert bt.model_wins, (seed, bt.model.mae, bt.same_month_last_year.mae, bt.last_3_months.mae)


def test_seasonal_forecast_follows_the_season_and_holds_the_interval():
    history = seasonal_history(48, seed=7)  # month 0 = January; 48 months end in December
    fc = forecast(history, 12)
    assert fc.method == "seasonal"
    points = [p.point for p in fc.points]
    # The pattern peaks in December and bottoms in June: the forecast must too.
    assert points.index(max(points)) == SEASON.index(max(SEASON))
    assert points.index(min(points)) == SEASON.index(min(SEASON))
    for p in fc.points:
        assert p.lower < p.point < p.upper
        assert p.point == p.point.quantize(Decimal("0.01"))  # money: Decimal to the cent
        assert isinstance(p.lower, Decimal) and isinstance(p.upper, Decimal)
    # The interval widens with the horizon.
    assert fc.points[-1].upper - fc.points[-1].lower > fc.points[0].upper - fc.points[0].lower


def test_method_depends_on_the_length_of_history():
    assert method_for(24) == "seasonal"
    assert method_for(23) == "trend"
    assert method_for(10) == "trend"
    assert method_for(9) == "average"
    assert method_for(3) == "average"
    assert method_for(2) == "none"
    assert forecast(seasonal_history(12), 3).method == "trend"
    assert forecast(seasonal_history(5), 3).method == "average"


def test_too_short_history_is_refused_with_a_reason():
    with pytest.raises(InsufficientHistory, match="at least 3"):
        forecast([Decimal("10.00"), Decimal("12.00")], 3)


def test_constant_history_forecasts_the_constant_exactly():
    fc = forecast([Decimal("250.00")] * 30, 4)
    assert [(p.point, p.lower, p.upper) for p in fc.points] == [(Decimal("250.00"),) * 3] * 4


def test_revenue_forecast_is_never_negative():
    falling = [Decimal(1000 - 90 * i).quantize(Decimal("0.01")) for i in range(11)]
    fc = forecast(falling, 12)
    assert all(p.point >= 0 and p.lower >= 0 for p in fc.points)


def test_no_backtest_without_enough_months_before_the_tested_year():
    assert backtest(seasonal_history(14)) is None  # 2 training months
    bt = backtest(seasonal_history(18))  # 6 training months: average, no seasonal baseline
    assert bt.method == "average" and bt.same_month_last_year is None
