"""Numbers as a person reads them, in the active language (web pages only; downloads, the API
and the CLI keep machine formats: dot decimals, no grouping).

    >>> with translation.override("pl"):
    ...     money_text(Decimal("17607.5")), rate_text(Decimal("4.250000")), count_text(17607)
    ('17 607,50', '4,25', '17 607')

Money stays ``Decimal`` up to here; this is the edge where it becomes text.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format, number_format

from forecaster.lib.money import round_cents


def money_text(amount: Decimal | int | None) -> str:
    """An amount with two decimals and the language's separators (``17,607.50``)."""
    return number_format(round_cents(Decimal(amount or 0)), decimal_pos=2, use_l10n=True, force_grouping=True)


def rate_text(rate: Decimal | None) -> str:
    """An exchange rate without trailing zeros (``4.25``, ``1``, ``0.000123``), never in exponent
    form, with the language's decimal separator. The one rule for showing a rate."""
    if rate is None:
        return ""
    value = Decimal(rate)
    if not value.is_finite():
        return str(value)
    normal = value.normalize()
    places = max(0, -int(normal.as_tuple().exponent))
    return number_format(normal, decimal_pos=places, use_l10n=True, force_grouping=True)


_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?").fullmatch


def period_text(period: str) -> str:
    """A report period (``2026``, ``2026-03``, ``2026-03-01``: the key downloads and the API
    keep) as the reader writes it: the language's ``YEAR_MONTH_FORMAT`` for a month (``2026-03``,
    ``03.2026``), ``SHORT_DATE_FORMAT`` for a day (``2026-03-01``, ``01.03.2026``), a year as it
    is. Anything else (a counterparty's name) is returned unchanged."""
    match = _PERIOD(period or "")
    if match is None or match.group(2) is None:
        return period
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))
    except ValueError:
        return period
    return date_format(day, "SHORT_DATE_FORMAT" if match.group(3) else "YEAR_MONTH_FORMAT")


def count_text(count: int | None) -> str:
    """A whole number with the language's thousands separator (``17,607``)."""
    return number_format(int(count or 0), use_l10n=True, force_grouping=True)
