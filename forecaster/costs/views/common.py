"""Helpers shared by the cost pages: the change history shown on each record, charts, deletes."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from forecaster.costs.queries import CostRow
from forecaster.lib.display import period_text
from forecaster.lib.money import fmt


def history(obj: models.Model, limit: int = 50) -> list[dict]:
    """Who changed what and when, newest first: ``[{when, who, action, changes: [(field, old, new)]}]``."""
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    out = []
    labels = {f.name: str(getattr(f, "verbose_name", f.name)) for f in obj._meta.fields}
    for i, rec in enumerate(records[:limit]):
        changes = []
        older = records[i + 1] if i + 1 < len(records) else None
        if older is not None and rec.history_type == "~":
            delta = rec.diff_against(older)
            for change in delta.changes:
                if change.field in ("name_key", "vat_key"):
                    continue
                changes.append((labels.get(change.field, change.field), change.old, change.new))
        out.append(
            {
                "when": rec.history_date,
                "who": rec.history_user.get_username() if rec.history_user else _("system"),
                "action": {"+": _("created"), "~": _("changed"), "-": _("deleted")}[rec.history_type],
                "changes": changes,
            }
        )
    return out


def chart(rows: list[CostRow], currency: str) -> dict:
    """Chart data for ``json_script``: amounts as 2-decimal strings."""
    return {
        "currency": currency,
        "labels": [period_text(r.label) for r in rows],  # months
        "net": [fmt(r.net) for r in rows],
        "tax": [fmt(r.vat) for r in rows],
        "gross": [fmt(r.gross) for r in rows],
        "invoices": [r.invoices for r in rows],
    }


def months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def year_month(request: HttpRequest) -> tuple[int | None, int | None, str | None]:
    """``(year, month, error)`` from ``?year=&month=``."""
    try:
        year = int(request.GET["year"]) if request.GET.get("year") else None
        month = int(request.GET["month"]) if request.GET.get("month") else None
    except ValueError:
        return None, None, _("year and month must be numbers")
    if year is not None and not 1900 <= year <= 9999:
        return None, None, _("year must be between 1900 and 9999")
    if month is not None and not 1 <= month <= 12:
        return None, None, _("month must be between 1 and 12")
    if month is not None and year is None:
        return None, None, _("choose a year with the month")
    return year, month, None


def span(year: int | None, month: int | None) -> tuple[date | None, date | None]:
    if year is None:
        return None, None
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    end = months_back(date(year, month, 1), -1)
    return date(year, month, 1), date.fromordinal(end.toordinal() - 1)
