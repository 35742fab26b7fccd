"""Turning user input (query strings, CLI options) into ``revenue()`` arguments.

    >>> p = parse_report_params({"from": "2024-01-01", "by": "year"})
    >>> p.date_from, p.by
    (datetime.date(2024, 1, 1), 'year')

Every problem raises ``ParamError`` with a one-line message meant for the user (HTTP 400,
a form error, or the CLI's stderr).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from forecaster.reports.queries import BASES, GROUPINGS
from forecaster.systems import lookup
from forecaster.systems.models import AccountingSystem

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ParamError(ValueError):
    """A report parameter the user has to correct."""


class UnknownSystem(ParamError):
    """The ``system`` parameter names no system (the API answers 404)."""


@dataclass(frozen=True)
class ReportParams:
    date_from: date | None = None
    date_to: date | None = None
    by: str = "month"
    system: AccountingSystem | None = None
    basis: str = "invoice"

    @property
    def system_id(self) -> int | None:
        return self.system.pk if self.system is not None else None


def parse_date(value: str | None, name: str, strict: bool = False) -> date | None:
    """``YYYY-MM-DD`` → ``date``; empty → ``None``; anything else → ``ParamError``.

    ``strict`` (the API): no surrounding spaces, and an empty value is an error (omit the
    parameter for an open period).
    """
    if value is None:
        return None
    if strict and value == "":
        raise ParamError(f"{name}: empty; give a date in the form YYYY-MM-DD or omit {name}")
    if value.strip() == "":
        return None
    text = value if strict else value.strip()
    if not _ISO_DATE.fullmatch(text):
        raise ParamError(f"{name}: not a date in the form YYYY-MM-DD: {text[:40]!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ParamError(f"{name}: no such date: {text!r}") from None


def find_system(value: str | None) -> AccountingSystem | None:
    """A system by id or exact name; empty/``all`` → ``None``; unknown → ``ParamError``."""
    if value is None or value.strip() == "" or value.strip().lower() == "all":
        return None
    found = lookup.find_system(value)
    if found is None:
        shown = value.strip() if value.isprintable() and len(value) <= 100 else "…"
        raise UnknownSystem(f"system: no system with the id or name {shown!r}")
    return found


def parse_report_params(data: Mapping[str, str | None], *, api: bool = False) -> ReportParams:
    """Read ``from``, ``to``, ``by``, ``system`` and ``basis`` from a mapping of strings.

    For people (page, CLI) ``from`` after ``to`` is an error, since it is surely a typo. The
    API (``api=True``) takes dates strictly but answers such a range with an empty report, as
    its schema promises a report for any two valid dates.
    """
    date_from = parse_date(data.get("from"), "from", strict=api)
    date_to = parse_date(data.get("to"), "to", strict=api)
    if not api and date_from and date_to and date_from > date_to:
        raise ParamError(f"from ({date_from}) is after to ({date_to})")
    by = _choice(data.get("by"), "by", GROUPINGS, "month", strict=api)
    basis = _choice(data.get("basis"), "basis", BASES, "invoice", strict=api)
    return ReportParams(date_from, date_to, by, find_system(data.get("system")), basis)


def _choice(value: str | None, name: str, choices: tuple[str, ...], default: str, strict: bool) -> str:
    """One of ``choices``; missing → ``default`` (also empty, except in ``strict`` mode)."""
    if value is None or (not strict and value.strip() == ""):
        return default
    text = value if strict else value.strip()
    if text not in choices:
        raise ParamError(f"{name}: must be one of {', '.join(choices)}")
    return text
