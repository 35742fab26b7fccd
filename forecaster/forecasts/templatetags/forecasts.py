"""``{% forecast_panel %}``: the dashboard's next cancel-by date and recent alerts."""

from __future__ import annotations

from django import template
from django.template import Context
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("forecasts/_dashboard.html", takes_context=True)
def forecast_panel(context: Context) -> dict:
    from forecaster.forecasts.alerts import recent
    from forecaster.forecasts.deadlines import deadlines

    today = timezone.localdate()
    upcoming = [d for d in deadlines(today) if d.cancel_by and d.cancel_by >= today and d.kind == "renews"]
    return {
        "next": upcoming[0] if upcoming else None,
        "alerts": recent(),
        "currency": context.get("currency"),
    }
