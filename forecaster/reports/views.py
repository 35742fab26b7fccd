"""Web pages: dashboard, revenue report with exports, exchange rates, settings, API tokens.

Thin adapters over ``queries``, ``rates`` and ``exports``; every figure comes from
``DailyRevenue``, never from scanning invoices.
"""

from __future__ import annotations

import html
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forecaster.accounts.models import ApiToken
from forecaster.accounts.roles import admin_required, is_admin
from forecaster.currency.base import (
    base_currency,
    change_base_currency,
    pending_base_currency,
)
from forecaster.currency.ecb import ecb_rate_used
from forecaster.currency.models import RateSource, SiteSettings, SystemCurrencyRate, SystemRatePolicy
from forecaster.currency.rates import RateBook
from forecaster.lib.display import count_text, money_text, period_text
from forecaster.lib.money import fmt
from forecaster.reports import exports
from forecaster.reports.forms import (
    ApplyHistoryField,
    CurrencyRateForm,
    RatePolicyForm,
    ReportFilterForm,
    SiteSettingsForm,
    TokenForm,
)
from forecaster.reports.params import ParamError, parse_report_params
from forecaster.reports.queries import Report, Row, revenue, total, totals_by_system
from forecaster.reports.rates import apply_to_history, invoices_per_currency, rate_warnings
from forecaster.sync.ledger import revenue_notes
from forecaster.systems.models import AccountingSystem

STALE_AFTER = timedelta(hours=36)
ZERO = Decimal("0.00")


# --- helpers ---------------------------------------------------------------------------------
def _same_day_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _change(now: Row, before: Row) -> str | None:
    """Percentage change of net revenue, or ``None`` when there is nothing to compare with."""
    if not before.net:
        return None
    pct = (now.net - before.net) / before.net * 100
    return number_format(round(pct, 1), decimal_pos=1, force_grouping=True).join(
        ("+" if pct > 0 else "", "%")
    )


def _chart(rows: list[Row], currency: str) -> dict:
    """Chart data for ``json_script``: amounts as 2-decimal strings (the browser only draws and
    formats them with the page's language), and the series names in the reader's language."""
    return {
        "currency": currency,
        "text": {
            "net": _("Net"),
            "tax": _("Tax"),
            "gross": _("Gross"),
            "invoices": _("invoices"),
        },
        "labels": [period_text(r.period) for r in rows],
        "net": [fmt(r.net) for r in rows],
        "tax": [fmt(r.tax) for r in rows],
        "gross": [fmt(r.gross) for r in rows],
        "invoices": [r.invoices for r in rows],
    }


def _rows_html(rows: list[Row]) -> str:
    """The report table's body, built here rather than in a template loop: a by-day report
    over ten years has 3,650 rows, and the template engine would spend most of a second."""
    esc = html.escape
    # Every value is escaped or a formatted number.
    return mark_safe(  # noqa: S308
        "".join(
            f'<tr><td>{esc(period_text(r.period))}</td><td class="num">{count_text(r.invoices)}</td>'
            f'<td class="num">{money_text(r.net)}</td><td class="num">{money_text(r.tax)}</td>'
            f'<td class="num">{money_text(r.gross)}</td></tr>'
            for r in rows
        )
    )


def _health(system: AccountingSystem, now: datetime) -> tuple[str, str]:
    """``(badge class, label)`` for a system's last sync."""
    if system.last_sync_at is None:
        return "warn", _("never synced")
    if system.last_sync_ok is False:
        return "bad", _("failed")
    if system.auto_sync and now - system.last_sync_at > STALE_AFTER:
        return "warn", _("stale")
    return "ok", _("ok")


def _span(first: date, last: date) -> str:
    """``1 Jan – 5 Mar 2026`` in the reader's language."""
    return f"{date_format(first, 'MONTH_DAY_FORMAT')} – {date_format(last, 'DATE_FORMAT')}"


# --- dashboard -------------------------------------------------------------------------------
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Revenue this month and year against the same period last year, 24 months, sync health."""
    currency = base_currency()
    today = timezone.localdate()
    last_year = _same_day_last_year(today)
    month = total(today.replace(day=1), today)
    month_ly = total(last_year.replace(day=1), last_year)
    year = total(today.replace(month=1, day=1), today)
    year_ly = total(last_year.replace(month=1, day=1), last_year)

    start = _months_back(today, 23)
    found = {r.period: r for r in revenue(start, None, by="month", currency=currency).rows}
    months = []
    for i in range(24):  # every month appears in the chart, with zeros where nothing was paid
        first = _months_back(today, 23 - i)
        key = f"{first.year:04d}-{first.month:02d}"
        months.append(found.get(key) or Row(key, 0, ZERO, ZERO))

    systems = list(AccountingSystem.objects.all())
    totals = totals_by_system()
    now = timezone.now()
    system_rows = [{"system": s, "health": _health(s, now), "totals": totals.get(s.pk)} for s in systems]
    kpis = [
        {
            "label": _("This month"),
            "sub": _span(today.replace(day=1), today),
            "row": month,
            "before": month_ly,
            "change": _change(month, month_ly),
            "before_label": _("same days last year"),
        },
        {
            "label": _("This year"),
            "sub": _span(today.replace(month=1, day=1), today),
            "row": year,
            "before": year_ly,
            "change": _change(year, year_ly),
            "before_label": _("same period last year"),
        },
        {
            "label": _("Same month last year"),
            "sub": _span(last_year.replace(day=1), last_year),
            "row": month_ly,
            "before": None,
            "change": None,
            "before_label": "",
        },
        {
            "label": _("Same period last year"),
            "sub": _span(last_year.replace(month=1, day=1), last_year),
            "row": year_ly,
            "before": None,
            "change": None,
            "before_label": "",
        },
    ]
    return render(
        request,
        "reports/dashboard.html",
        {
            "currency": currency,
            "kpis": kpis,
            "chart": _chart(months, currency),
            "systems": system_rows,
            "warnings": rate_warnings(systems),
            "revenue_notes": revenue_notes(systems),
            "today": today,
            "chart_from": start,
            # Nothing held yet: the page shows the next step instead of an empty chart.
            "has_revenue": any(t["invoices"] for t in totals.values()),
        },
    )


# --- revenue report --------------------------------------------------------------------------
PAGE_ROWS = 400  # rows of the table (and bars of the chart) per page: a year of days fits


def _query(request: HttpRequest) -> QueryDict:
    """The page's query string with ``from``/``to`` typed in the reader's date format (as the
    filter shows them) turned into ISO dates, the format links, downloads and the API use."""
    query = request.GET.copy()
    for key in ("from", "to"):
        value = (query.get(key) or "").strip()
        if value:
            try:
                parsed = forms.DateField(localize=True).to_python(value)
            except forms.ValidationError:
                continue  # left as typed: parse_report_params names the problem
            query[key] = parsed.isoformat()
    return query


def _report_from_request(request: HttpRequest) -> tuple[Report | None, object, str | None]:
    """``(report, params, error)`` from the query string (same names as the API)."""
    try:
        params = parse_report_params(_query(request))
    except ParamError as exc:
        return None, None, str(exc)
    report = revenue(params.date_from, params.date_to, params.by, params.system_id, params.basis)
    return report, params, None


def report_presets(today: date) -> list[tuple[str, dict]]:
    """The quick periods: ``(label, {"from": ISO, "to": ISO})``. "Last 12 months" is the year
    up to today (from the same day last year, exclusive), so it never equals "This year"."""
    return [
        (_("This year"), {"from": today.replace(month=1, day=1).isoformat(), "to": today.isoformat()}),
        (
            _("Last year"),
            {"from": date(today.year - 1, 1, 1).isoformat(), "to": date(today.year - 1, 12, 31).isoformat()},
        ),
        (
            _("Last 12 months"),
            {"from": (_same_day_last_year(today) + timedelta(days=1)).isoformat(), "to": today.isoformat()},
        ),
        (_("All time"), {}),
    ]


@require_GET
def revenue_page(request: HttpRequest) -> HttpResponse:
    report, params, error = _report_from_request(request)
    query = _query(request)
    query.pop("page", None)
    initial = {
        "date_from": params.date_from if params else request.GET.get("from") or None,
        "date_to": params.date_to if params else request.GET.get("to") or None,
        "by": request.GET.get("by") or "month",
        "system": request.GET.get("system") or "",
        "basis": request.GET.get("basis") or "invoice",
    }
    if params is not None and params.system is not None:
        initial["system"] = str(params.system.pk)
    form = ReportFilterForm(initial=initial)
    systems = [params.system] if params and params.system else list(AccountingSystem.objects.all())
    rows = report.rows if report else []
    page = Paginator(rows, PAGE_ROWS, allow_empty_first_page=True).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    return render(
        request,
        "reports/revenue.html",
        {
            "form": form,
            "report": report,
            "rows_html": _rows_html(shown) if report else "",
            "page": page,
            "error": error,
            "chart": _chart(shown, report.currency) if report else None,
            "warnings": rate_warnings(systems),
            "revenue_notes": revenue_notes(systems),
            "query": query.urlencode(),
            "presets": [
                (label, _preset_query(query, values))
                for label, values in report_presets(timezone.localdate())
            ],
            "systems": systems,
            "selected": params.system if params else None,
        },
        status=400 if error else 200,
    )


def _preset_query(query: QueryDict, values: dict) -> str:
    """The current filters (system, grouping, date basis) with another period."""
    q = query.copy()
    for key in ("from", "to", "page"):
        q.pop(key, None)
    q.update(values)
    return q.urlencode()


@require_GET
def revenue_export(request: HttpRequest, fmt_name: str) -> HttpResponse:
    """The same report as the page, as ``csv``, ``json`` or ``xlsx`` (a download)."""
    report, params, error = _report_from_request(request)
    if error:
        return HttpResponse(error + "\n", status=400, content_type="text/plain; charset=utf-8")
    name = "revenue-{}-{}-{}".format(
        report.by,
        report.date_from.isoformat() if report.date_from else "start",
        report.date_to.isoformat() if report.date_to else "end",
    )
    if params.system is not None:
        name += f"-system{params.system.pk}"
    if fmt_name == "csv":
        response = HttpResponse(exports.to_csv(report), content_type="text/csv; charset=utf-8")
    elif fmt_name == "json":
        response = HttpResponse(
            json.dumps(exports.to_json(report), ensure_ascii=False), content_type="application/json"
        )
    elif fmt_name == "xlsx":
        title = _("Revenue — %(what)s") % {"what": params.system.name if params.system else _("all systems")}
        response = HttpResponse(
            exports.to_xlsx(report, title=title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404(_("No such export format."))
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt_name}"'
    return response


# --- exchange rates of one system ------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def rates(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone sees which rate converts which currency; administrators change them."""
    system = get_object_or_404(AccountingSystem, pk=pk)
    if request.method == "POST":
        if not is_admin(request.user):
            raise PermissionDenied(_("Only an administrator can change exchange rates."))
        return _rates_post(request, system)
    return _rates_page(request, system)


def _rates_page(
    request: HttpRequest,
    system: AccountingSystem,
    rate_form: CurrencyRateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    book = RateBook(system)
    today = timezone.localdate()
    held = invoices_per_currency(system.pk)
    lines = []
    for cur in sorted(set(held) | set(book.specific)):
        choice = book.choice(cur)
        example, example_day = ecb_rate_used(cur, book.base, today) if choice.kind == "ecb" else (None, None)
        lines.append(
            {
                "currency": cur or "—",
                "held": held.get(cur, 0),
                "kind": choice.kind,
                "rate": choice.rate,
                "example": example,
                "example_day": example_day,
            }
        )
    return render(
        request,
        "reports/rates.html",
        {
            "system": system,
            "book": book,
            "lines": lines,
            "specific": SystemCurrencyRate.objects.filter(system=system),
            "policy_form": RatePolicyForm(initial={"source": book.source}),
            "rate_form": rate_form or CurrencyRateForm(),
            "history_form": ApplyHistoryField(auto_id="id_policy_%s"),
            "history_form_rate": ApplyHistoryField(auto_id="id_rate_%s"),
            "warnings": rate_warnings([system]),
            "today": today,
        },
        status=status,
    )


def _rates_post(request: HttpRequest, system: AccountingSystem) -> HttpResponse:
    action = request.POST.get("action")
    history = ApplyHistoryField(request.POST)
    apply_history = history.is_valid() and history.cleaned_data["apply_history"]
    with transaction.atomic():
        if action == "policy":
            form = RatePolicyForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose a rate source."))
                return redirect("reports:rates", pk=system.pk)
            SystemRatePolicy.objects.update_or_create(
                system=system, defaults={"source": form.cleaned_data["source"]}
            )
            messages.success(
                request,
                _("Rate source saved: %(source)s.")
                % {"source": RateSource(form.cleaned_data["source"]).label},
            )
        elif action == "set_rate":
            rate_form = CurrencyRateForm(request.POST)
            if not rate_form.is_valid():
                return _rates_page(request, system, rate_form=rate_form, status=400)
            cur = rate_form.cleaned_data["currency"]
            SystemCurrencyRate.objects.update_or_create(
                system=system, currency=cur, defaults={"rate": rate_form.cleaned_data["rate"]}
            )
            messages.success(request, _("Rate for %(currency)s saved.") % {"currency": cur})
        elif action == "delete_rate":
            deleted, _by_model = SystemCurrencyRate.objects.filter(
                system=system, currency=(request.POST.get("currency") or "")[:3]
            ).delete()
            if deleted:
                messages.success(request, _("Rate removed."))
        else:
            messages.error(request, _("Unknown action."))
            return redirect("reports:rates", pk=system.pk)
        if apply_history:
            changed = apply_to_history(system)
            messages.success(
                request,
                _("Re-converted the invoices already imported: %(count)s changed.")
                % {"count": number_format(changed, force_grouping=True)},
            )
        else:
            messages.info(
                request,
                _(
                    "The change applies to invoices imported from now on; invoices "
                    "already imported keep their converted amounts."
                ),
            )
    return redirect("reports:rates", pk=system.pk)


# --- site settings ---------------------------------------------------------------------------
@admin_required
@require_http_methods(["GET", "POST"])
def site_settings(request: HttpRequest) -> HttpResponse:
    obj = SiteSettings.load()
    if request.method == "POST":
        form = SiteSettingsForm(request.POST, instance=obj)
        if form.is_valid():
            try:
                count = change_base_currency(
                    form.cleaned_data["base_currency"], reconvert=form.cleaned_data["reconvert"]
                )
            except ValueError as exc:  # an amount that cannot be converted: nothing changed
                form.add_error("reconvert", str(exc))
            else:
                if count is not None:
                    messages.success(
                        request,
                        _("Re-converted imported invoices: %(count)s changed.")
                        % {"count": number_format(count, force_grouping=True)},
                    )
                messages.success(
                    request, _("Settings saved. Reports are in %(currency)s.") % {"currency": base_currency()}
                )
                return redirect("reports:settings")
    else:
        form = SiteSettingsForm(instance=obj)
    return render(
        request,
        "reports/settings.html",
        {
            "form": form,
            "currency": base_currency(),
            "pending": pending_base_currency(),
            "systems": AccountingSystem.objects.all(),
        },
        status=400 if form.errors else 200,
    )


# --- API tokens ------------------------------------------------------------------------------
@admin_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    created = None
    form = TokenForm()
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            row, plaintext = ApiToken.issue(form.cleaned_data["name"], user=request.user)
            created = {"row": row, "token": plaintext}
            form = TokenForm()
    response = render(
        request,
        "reports/tokens.html",
        {
            "tokens": ApiToken.objects.all(),
            "form": form,
            "created": created,
            "api_root": request.build_absolute_uri(reverse("api:revenue")),
        },
        status=400 if form.errors else 200,
    )
    if created:
        response["Cache-Control"] = "no-store"  # the token is shown once; never cache it
    return response


@admin_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        messages.success(
            request, _("Token “%(name)s” revoked; it no longer opens the API.") % {"name": token.name}
        )
    return redirect("reports:tokens")
