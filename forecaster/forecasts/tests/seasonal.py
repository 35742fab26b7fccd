"""Histories with a known shape, for the revenue model's tests.

``seasonal_history(48)`` is four years of monthly net revenue: a level of 10 000, growth of 80
a month, a yearly season of ±25 % (peak in December, trough in June) and seeded noise of about
3 %. Amounts are ``Decimal`` to the cent, as the reports hand them over.
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_UP, Decimal

SEASON = [math.cos(2 * math.pi * (m - 11) / 12) for m in range(12)]  # month index 0 = January


def seasonal_history(months: int, seed: int = 7, start_month: int = 0, noise: float = 0.03) -> list[Decimal]:
    rng = random.Random(seed)
    values = []
    for t in range(months):
        level = 10_000 + 80 * t
        amount = level * (1 + 0.25 * SEASON[(start_month + t) % 12]) * (1 + rng.gauss(0, noise))
        values.append(Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return values
