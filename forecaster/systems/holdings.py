"""What the apps above systems hold for a system, as the systems pages and CLI show it.

The sync app (invoices held) and the reports app (revenue totals, re-conversion after a rate
change) import this app's models, so this app must not import them: they provide these
functions from their ``AppConfig.ready()`` with :func:`provide`, and the systems views, forms
and commands call them here.

    >>> invoices_held(system.pk)
    1234
    >>> totals()[system.pk]["gross"]
    Decimal('17607.50')
    >>> reconvert(system)                  # after its exchange rate changed
    1234
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

_provided: dict[str, Callable[..., Any]] = {}
_NAMES = (
    "invoices_held",
    "totals",
    "reconvert",
    "refresh_revenue",
    "blind_spot",
    "revenue_notes",
    "remember_actions",
)


def provide(**functions: Callable[..., Any]) -> None:
    """Register the functions behind the names in ``_NAMES`` (each app its own)."""
    unknown = set(functions) - set(_NAMES)
    if unknown:
        raise TypeError(f"unknown holdings: {', '.join(sorted(unknown))}")
    _provided.update(functions)


def invoices_held(system_id: int) -> int:
    """How many invoices are held for the system (0 before any sync)."""
    return int(_provided["invoices_held"](system_id))


def totals() -> dict[int, dict[str, Decimal | int]]:
    """``{system_id: {"invoices", "net", "tax", "gross"}}`` of the paid invoices held."""
    return dict(_provided["totals"]())


def reconvert(system: Any) -> int:
    """Re-convert the invoices held for ``system`` with its current rates; how many changed."""
    return int(_provided["reconvert"](system))


def refresh_revenue(system_id: int) -> None:
    """Rebuild the system's revenue aggregates (after a change of how its refunds are dated)."""
    _provided["refresh_revenue"](system_id)


def blind_spot(system: Any) -> str:
    """What the system's API role cannot tell apart in its revenue ("" when nothing)."""
    return str(_provided["blind_spot"](system) or "")


def revenue_notes(systems: Any) -> list[str]:
    """The :func:`blind_spot` of each of ``systems`` that has one."""
    return list(_provided["revenue_notes"](systems))


def remember_actions(system: Any, permissions: dict[str, bool]) -> None:
    """Keep which API actions the system's role allows (found by Test connection)."""
    _provided["remember_actions"](system, permissions)
