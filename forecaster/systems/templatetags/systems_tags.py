"""Template helpers for the accounting-systems pages."""

from decimal import Decimal

from django import template

from forecaster.lib.display import rate_text
from forecaster.systems.forms import sends_in_clear

register = template.Library()


@register.filter
def rate(value: Decimal | None) -> str:
    """An exchange rate without trailing zeros and never in exponent form, with the reader's
    decimal separator: 4.25 (4,25 in Polish), 100, 1."""
    return rate_text(value)


@register.filter
def in_clear(url: str) -> bool:
    """Plain http:// to another machine: the secret crosses a network unencrypted."""
    return sends_in_clear(url)
