"""The deadlines page, its exports, the per-agreement alert days and the iCalendar feed."""

from __future__ import annotations

import hashlib
import json
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from forecaster.accounts.roles import admin_required
from forecaster.costs.models import Agreement
from forecaster.currency.base import base_currency
from forecaster.forecasts import exports
from forecaster.forecasts.alerts import alert_days_by_agreement
from forecaster.forecasts.deadlines import deadlines
from forecaster.forecasts.forms import AlertDaysForm
from forecaster.forecasts.models import CalendarFeed, DeadlineSettings

FEED_PREFIX = "fcal_"


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@require_GET
def deadlines_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = deadlines(today)
    days = alert_days_by_agreement()
    feed_url = request.session.pop("forecasts_new_feed_url", None)
    response = render(
        request,
        "forecasts/deadlines.html",
        {
            "rows": [{"d": d, "alert_days": days.get(d.agreement_id, 30)} for d in rows],
            "currency": base_currency(),
            "today": today,
            "feeds": CalendarFeed.objects.filter(user=request.user, revoked_at=None),
            "new_feed_url": feed_url,
        },
    )
    if feed_url:
        response["Cache-Control"] = "no-store"  # the secret URL is shown once
    return response


@require_GET
def deadlines_export(request: HttpRequest, fmt_name: str) -> HttpResponse:
    rows = deadlines(timezone.localdate())
    currency = base_currency()
    if fmt_name == "csv":
        response = HttpResponse(exports.deadlines_csv(rows), content_type="text/csv; charset=utf-8")
    elif fmt_name == "json":
        response = HttpResponse(
            json.dumps(exports.deadlines_json(rows, currency), ensure_ascii=False),
            content_type="application/json",
        )
    elif fmt_name == "xlsx":
        response = HttpResponse(
            exports.deadlines_xlsx(rows, currency),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404(_("No such export format."))
    response["Content-Disposition"] = f'attachment; filename="deadlines-{timezone.localdate()}.{fmt_name}"'
    return response


@admin_required
@require_POST
def alert_days(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(Agreement, pk=pk)
    current = DeadlineSettings.objects.filter(agreement=agreement).first() or DeadlineSettings(
        agreement=agreement
    )
    form = AlertDaysForm(request.POST, instance=current)
    if form.is_valid():
        form.save()
        messages.success(
            request,
            _("Alerts for “%(agreement)s” go out %(days)s days ahead.")
            % {"agreement": agreement.title, "days": form.cleaned_data["alert_days"]},
        )
    else:
        messages.error(request, _("Alert days must be a whole number of at least 1."))
    return redirect("forecasts:deadlines")


@require_POST
def feed_create(request: HttpRequest) -> HttpResponse:
    """A new secret calendar URL for the logged-in user, shown once."""
    token = FEED_PREFIX + secrets.token_urlsafe(32)
    CalendarFeed.objects.create(user=request.user, token_hash=hash_feed_token(token))
    request.session["forecasts_new_feed_url"] = request.build_absolute_uri(
        reverse("forecasts_feed", kwargs={"token": token})
    )
    messages.success(request, _("Calendar feed created. Copy its address now: it is shown only once."))
    return redirect("forecasts:deadlines")


@require_POST
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed, pk=pk, user=request.user)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        messages.success(request, _("Calendar feed revoked; its address no longer works."))
    return redirect("forecasts:deadlines")


@login_not_required  # the secret URL is the authentication
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed behind a secret URL (no login: calendar apps cannot log in)."""
    found = None
    if token.startswith(FEED_PREFIX) and len(token) < 100:
        found = CalendarFeed.objects.filter(
            token_hash=hash_feed_token(token), revoked_at=None, user__is_active=True
        ).first()
    if found is None:
        return HttpResponse(_("No such calendar feed (it may have been revoked).") + "\n", status=404,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    CalendarFeed.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    body = exports.deadlines_ical(deadlines(timezone.localdate()), base_currency())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    return response
