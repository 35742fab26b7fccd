"""Where an outlook number comes from, kept as parts and worded only when it is shown.

A cell of the outlook carries its explanation as ``Part``\\ s: a method code and its typed inputs
(amounts as ``Decimal``, counts as ``int``, names and codes as ``str``)::

    >>> Part("cost_line", {"name": "Rack", "amount": Decimal("1500.00"), "method": "schedule"})

A page words them in the reader's language with the reader's number format
(:func:`explain_text`: ``Rack: 1 500,00 (…)`` in Polish); downloads and the API keep the parts
with machine formats (:func:`explain_data`: ``{"code": "cost_line", "inputs": {"amount":
"1500.00", …}}``: dot decimals, no grouping).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from forecaster.forecasts import costs
from forecaster.forecasts import revenue as model
from forecaster.lib.display import count_text, money_text, rate_text
from forecaster.lib.money import fmt

# Inputs that are money: two decimals on the page and in the data. Other decimals (percentages,
# factors, shares) are shown as exchange rates are, without trailing zeros.
MONEY = frozenset({"amount", "point", "lower", "upper", "pipeline"})

# The sentence of each part; ``%(…)s`` are its inputs as the reader writes them.
SENTENCES: dict[str, Promise] = {
    "actual_system": _("actual: paid invoices of %(name)s"),
    "actual_revenue": _("actual: paid invoices, net, by invoice date"),
    "actual_costs": _("actual: cost invoices, net, by document date"),
    "no_history": _("no forecast: %(months)s closed months of history, the model needs 3"),
    "no_revenue": _("no revenue synced yet"),
    "model": _(
        "model %(point)s: %(method)s on %(months)s closed months; 80 %% interval %(lower)s – %(upper)s"
    ),
    "scenario_growth": _("scenario: growth %(pct)s %% a year (× %(factor)s this month)"),
    "scenario_fx": _("scenario: %(currency)s %(shift)s %% on %(share)s %% of revenue"),
    "revenue_sum": _(
        "sum of the systems' forecasts: the model plus the pipeline of unpaid invoices due "
        "(%(pipeline)s); 80 %% interval %(lower)s – %(upper)s (the systems' bounds added)"
    ),
    "cost_line": _("%(name)s: %(amount)s (%(method)s)"),
    "no_costs": _("no commitment or known cost invoice in this month"),
}

# Every part's code (the pipeline's sentence has a plural, so it is worded in ``part_text``).
CODES = (*SENTENCES, "pipeline")

# Codes given as an input ("method"), worded by the part they belong to.
KNOWN_INVOICE = "known"
LABELS: dict[str, dict[str, Any]] = {
    "model": model.METHOD_LABELS,
    "cost_line": {**costs.METHOD_LABELS, KNOWN_INVOICE: _("known invoice")},
}


@dataclass(frozen=True)
class Part:
    code: str
    inputs: dict[str, Any] = field(default_factory=dict)


def _shown(key: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return count_text(value)
    if isinstance(value, Decimal):
        return money_text(value) if key in MONEY else rate_text(value)
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def part_text(part: Part) -> str:
    """One part as a sentence in the active language, its numbers in the language's format."""
    values = {k: _shown(k, v) for k, v in part.inputs.items()}
    labels = LABELS.get(part.code, {})
    if "method" in values and part.inputs["method"] in labels:
        values["method"] = str(labels[part.inputs["method"]])
    if part.code == "pipeline":
        count = part.inputs["count"]
        return (
            ngettext(
                "pipeline %(amount)s: %(count)s unpaid invoice already issued and due this month "
                "(net, at the rate of its invoice date; synced from WHMCS)",
                "pipeline %(amount)s: %(count)s unpaid invoices already issued and due this month "
                "(net, at the rate of their invoice date; synced from WHMCS)",
                count,
            )
            % values
        )
    return str(SENTENCES[part.code]) % values


def explain_text(parts: Iterable[Part]) -> str:
    """A cell's explanation as a page shows it: its parts' sentences joined by ``;``."""
    return "; ".join(part_text(p) for p in parts)


def _machine(key: str, value: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt(value) if key in MONEY else format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def explain_data(parts: Iterable[Part]) -> list[dict[str, Any]]:
    """A cell's explanation for downloads and the API: each part's code and inputs in machine
    formats (amounts as two-decimal strings, other decimals with a dot, dates in ISO)."""
    return [{"code": p.code, "inputs": {k: _machine(k, v) for k, v in p.inputs.items()}} for p in parts]
