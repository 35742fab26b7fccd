"""Query strings and CLI options → cost/result report arguments (same names on page, API, CLI).

Every problem raises ``forecaster.reports.params.ParamError`` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from forecaster.costs.queries import GROUPINGS, PERIODS
from forecaster.reports.params import ParamError, _choice, parse_date
from forecaster.reports.queries import BASES


@dataclass(frozen=True)
class CostParams:
    date_from: date | None = None
    date_to: date | None = None
    by: str = "month"
    counterparty: int | None = None
    commitment: int | None = None
    tag: int | None = None
    basis: str = "invoice"


def _id(value: str | None, name: str) -> int | None:
    if value is None or value.strip() in ("", "all"):
        return None
    text = value.strip()
    if not text.isdigit() or len(text) > 18:
        raise ParamError(f"{name}: give the id number of a {name}")
    return int(text)


def parse_cost_params(
    data: Mapping[str, str | None], *, api: bool = False, result: bool = False
) -> CostParams:
    """``from``, ``to``, ``by`` and (costs) ``counterparty``, ``commitment``, ``tag`` or
    (result) ``basis``. ``from`` after ``to`` is an error for people, an empty report for the API."""
    date_from = parse_date(data.get("from"), "from", strict=api)
    date_to = parse_date(data.get("to"), "to", strict=api)
    if not api and date_from and date_to and date_from > date_to:
        raise ParamError(f"from ({date_from}) is after to ({date_to})")
    by = _choice(data.get("by"), "by", PERIODS if result else GROUPINGS, "month", strict=api)
    if result:
        basis = _choice(data.get("basis"), "basis", BASES, "invoice", strict=api)
        return CostParams(date_from, date_to, by, basis=basis)
    return CostParams(
        date_from,
        date_to,
        by,
        _id(data.get("counterparty"), "counterparty"),
        _id(data.get("commitment"), "commitment"),
        _id(data.get("tag"), "tag"),
    )
