"""Which days' aggregates a change touches: invoice dates, and dates paid in the local zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def local_day(value: datetime, tz: ZoneInfo) -> date:
    """The day of ``value`` in ``tz`` (a naive value is taken as UTC)."""
    if timezone.is_naive(value):
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(tz).date()


def add_days(row: dict, days: set[date], paid_days: set[date], tz: ZoneInfo) -> None:
    """Add a held or remote row's invoice day and paid day."""
    days.add(row["date"])
    if row.get("date_paid") is not None:
        paid_days.add(local_day(row["date_paid"], tz))


def collect_days(cur: Any, days: set[date], paid_days: set[date]) -> None:
    """Add the ``(date, date_paid)`` rows a cursor returns (text on SQLite, typed elsewhere)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    for day, paid in cur.fetchall():
        if isinstance(day, str):
            day = date.fromisoformat(day[:10])
        days.add(day)
        if paid is not None:
            if isinstance(paid, str):
                paid = datetime.fromisoformat(paid)
            paid_days.add(local_day(paid, tz))
