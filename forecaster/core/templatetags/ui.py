"""Small template helpers for the layout: ``{% load ui %}``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.template import Context
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from forecaster.lib.display import period_text, rate_text

register = template.Library()


@register.simple_tag(takes_context=True)
def current(context: Context, *names: str) -> str:
    """`` aria-current="page"`` when the page is one of ``names`` (a view name such as
    ``"reports:revenue"``, or a namespace such as ``"systems:"``), else nothing.

        <a href="{% url 'home' %}"{% current 'home' %}>…</a>
    """
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    view = getattr(match, "view_name", "") or ""
    for name in names:
        if view == name or (name.endswith(":") and view.startswith(name)):
            return mark_safe(' aria-current="page"')  # a constant
    return ""


@register.filter
def period(value: str) -> str:
    """A report period key (``2026-03``) in the reader's format (``03.2026``); see
    ``forecaster.lib.display.period_text``."""
    return period_text(value)


@register.filter
def rate(value: Decimal | None) -> str:
    """An exchange rate without trailing zeros and never in exponent form, with the reader's
    decimal separator: 4.25 (4,25 in Polish), 100, 1; see ``forecaster.lib.display.rate_text``."""
    return rate_text(value)


@register.filter
def when(value: datetime | date | None) -> str:
    """A timestamp as the reader expects it: the language's short date and time, in the
    service's time zone, with the zone named (``2026-03-01 14:05 UTC``, ``01.03.2026 15:05 CET``).
    Empty for ``None``."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    zone = local.strftime("%Z") or timezone.get_current_timezone_name()
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {zone}"


@register.filter
def day(value: datetime | date | None) -> str:
    """A date in the language's short format (``2026-03-01``, ``01.03.2026``); empty for ``None``."""
    if not value:
        return ""
    if hasattr(value, "hour") and timezone.is_aware(value):
        value = timezone.localtime(value).date()
    return date_format(value, "SHORT_DATE_FORMAT")
