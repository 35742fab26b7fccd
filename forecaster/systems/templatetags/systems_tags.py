"""Template helpers for the accounting-systems pages."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def rate(value: Decimal | None) -> str:
    """An exchange rate without trailing zeros and never in exponent form: 4.25, 100, 1."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")
