"""The cost forecast: what each commitment will cost per month, and the cost invoices already
known but not yet counted.

    >>> cf = cost_forecast(today=date(2026, 12, 2), months=[date(2026, 12, 1), date(2027, 1, 1)])
    >>> [(l.name, l.method, [str(a) for a in l.amounts]) for l in cf.lines]
    [('Transit 10G', 'schedule', ['1000.00', '1000.00']), ('Rack A12', 'to_end', ['333.34', '333.33'])]
    >>> cf.total_for(date(2026, 12, 1))

Costs are **net** amounts in the base currency (VAT is recovered), like the revenue forecast.
Per commitment, first match wins:

* ``schedule`` (exact) — the expected cost schedule: each due date in the month at the amount of
  the price step in force then, until the agreement's end; a tacitly renewing agreement keeps
  renewing (unless a scenario cancels it at its next cancel-by date). Converted with today's rate
  of the schedule's currency (the same rules as cost invoices; a scenario may shift it).
* ``to_end`` (estimate) — the original's "To end" of the commitment spread evenly over the months
  left, cent-exact (the first months take the odd cents); an indefinite commitment goes on at its
  average per month for the whole horizon (the original counted 12 months left).

Cost invoices already received but not yet counted as actual cost (document date in the current
month or later) are *known*: they count in the month of their due date (the current month when
it has passed or is missing). A commitment's known invoice in a month replaces its scheduled or
estimated amount for that month — the invoice is the fact.

Actual months (before the current one) are the cost invoices by document date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import CharField, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils.translation import gettext_lazy as _

from forecaster.costs import periods
from forecaster.costs import terms as T
from forecaster.costs.conversion import NoRate, rate_for
from forecaster.costs.models import Commitment, CostInvoice
from forecaster.currency.money import convert
from forecaster.forecasts.history import add_months, month_key, month_start

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

METHOD_LABELS = {
    "schedule": _("expected cost schedule (exact)"),
    "to_end": _("estimate: the original's “To end” spread evenly over the months left"),
    "invoices": _("cost invoices already received, by due date"),
    "added": _("added by the scenario"),
}


@dataclass
class Adjustments:
    """What a scenario changes on the cost side (all optional)."""

    inflation_pct: Decimal = ZERO  # per year, ramped linearly month by month
    fx_shift_pct: dict[str, Decimal] = field(default_factory=dict)  # currency → % change of its rate
    cancel: set[int] = field(default_factory=set)  # commitment ids cancelled at the next cancel-by
    added: list[dict] = field(default_factory=list)  # {"name", "amount", "currency", "from", "until"}


@dataclass
class CostLine:
    """One commitment's (or the known unassigned invoices') forecast, one amount per month."""

    key: str
    name: str
    method: str
    amounts: list[Decimal]
    notes: list[str] = field(default_factory=list)  # inputs, for the explanation of a cell
    estimate: bool = False
    known: dict[int, Decimal] = field(default_factory=dict)  # month index → known invoices

    @property
    def method_label(self) -> str:
        return str(METHOD_LABELS[self.method])

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)


@dataclass
class CostForecast:
    today: date
    months: list[date]
    lines: list[CostLine]
    problems: list[str] = field(default_factory=list)

    def total_for(self, index: int) -> Decimal:
        return sum((line.amounts[index] for line in self.lines), ZERO)

    @property
    def totals(self) -> list[Decimal]:
        return [self.total_for(i) for i in range(len(self.months))]


def spread(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` split into ``parts`` amounts to the cent that add up exactly; the first months
    take the odd cents. ``spread(Decimal("1000.00"), 3) == [333.34, 333.33, 333.33]``."""
    if parts <= 0:
        return []
    cents = int((total * 100).to_integral_value())
    base, extra = divmod(abs(cents), parts)
    sign = -1 if cents < 0 else 1
    return [Decimal(sign * (base + (1 if i < extra else 0))).scaleb(-2) for i in range(parts)]


def _ramp(pct: Decimal, index: int) -> Decimal:
    """The factor of a yearly % change in the ``index``-th forecast month (0 = current): linear,
    ``index / 12`` of the yearly change."""
    return Decimal(1) + pct / 100 * Decimal(index) / 12


def _rate(currency: str, today: date, adj: Adjustments, problems: list[str]) -> Decimal | None:
    key = (currency.upper(), today)
    if key not in _rates:
        try:
            _rates[key] = rate_for(currency, today)[0]
        except NoRate as exc:
            _rates[key] = None
            if str(exc) not in problems:
                problems.append(str(exc))
    rate = _rates[key]
    if rate is None:
        return None
    shift = adj.fx_shift_pct.get(currency.upper())
    if shift:
        rate = rate * (Decimal(1) + shift / 100)
    return rate


def _commitment_end(c: Commitment, today: date, adj: Adjustments) -> tuple[date | None, str]:
    """The last day a commitment costs, and a note. ``None``: runs past the horizon."""
    if c.pk in adj.cancel:
        if c.agreement_id:
            ending = T.earliest_end(c.agreement.terms_on(today), today)
            if ending.ends_on is not None:
                return ending.ends_on, str(
                    _("cancelled at its cancel-by date %(by)s, ends %(end)s")
                    % {"by": ending.cancel_by or "—", "end": ending.ends_on}
                )
        end = date.fromordinal(month_start(add_months(today, 1)).toordinal() - 1)
        return end, str(_("cancelled: ends with the current month"))
    return None, ""


# Rates of one forecast run (``cost_forecast`` clears it): one look-up per currency, not per line.
_rates: dict[tuple[str, date], Decimal | None] = {}


def cost_forecast(today: date, months: list[date], adj: Adjustments | None = None) -> CostForecast:
    """Every commitment's cost in each of ``months`` (first days, the current month first)."""
    adj = adj or Adjustments()
    problems: list[str] = []
    _rates.clear()
    if not months:
        return CostForecast(today, months, [], problems)
    first, last = months[0], months[-1]
    horizon_end = date.fromordinal(add_months(last, 1).toordinal() - 1)
    index = {month_key(m): i for i, m in enumerate(months)}
    known = _known_invoices(first, horizon_end, index, today, adj, problems)
    lines = []
    commitments = Commitment.objects.select_related("agreement", "counterparty").prefetch_related(
        "price_steps", "agreement__annexes"
    )
    totals = periods.invoice_totals()
    for c in commitments:
        line = _commitment_line(c, today, months, index, horizon_end, adj, problems, totals.get(c.pk))
        found = known.pop(c.pk, {})
        for i, amount in found.items():
            line.amounts[i] = amount
            line.known[i] = amount
        if line.method == "none" and not found:
            continue
        if line.method == "none":
            line.method = "invoices"
        lines.append(line)
    unassigned = known.pop(None, {})
    if unassigned:
        amounts = [unassigned.get(i, ZERO) for i in range(len(months))]
        lines.append(
            CostLine(
                "invoices",
                str(_("Cost invoices without a commitment")),
                "invoices",
                amounts,
                known=unassigned,
            )
        )
    for extra_index, extra in enumerate(adj.added):
        lines.append(_added_line(extra_index, extra, today, months, index, adj, problems))
    if adj.inflation_pct:
        _inflate(lines, len(months), adj.inflation_pct)
    return CostForecast(today, months, lines, problems)


def _inflate(lines: list[CostLine], months: int, inflation_pct: Decimal) -> None:
    """Ramp the scheduled (not yet invoiced) amounts of every line up by the scenario's inflation."""
    for line in lines:
        if line.method == "invoices":
            continue
        for i in range(months):
            if i not in line.known:
                line.amounts[i] = (line.amounts[i] * _ramp(inflation_pct, i)).quantize(CENT)


def _commitment_line(
    c: Commitment,
    today: date,
    months: list[date],
    index: dict[date, int],
    horizon_end: date,
    adj: Adjustments,
    problems: list[str],
    totals: list[Decimal] | None = None,
) -> CostLine:
    amounts = [ZERO] * len(months)
    key = f"commitment:{c.pk}"
    end, note = _commitment_end(c, today, adj)
    notes = [note] if note else []
    if c.expected_amount is not None:
        # Ask the schedule as of the horizon's end: for a tacitly renewing agreement the term
        # running then, so the schedule goes on through the renewals.
        payments = periods.schedule(c, months[0], horizon_end, today=horizon_end)
        rate = _rate(c.expected_currency, today, adj, problems) if payments else Decimal(1)
        if rate is None:
            return CostLine(key, c.name, "schedule", amounts, notes=notes)
        for due, amount, _currency in payments:
            if end is not None and due > end:
                continue
            i = index[month_key(due)]
            amounts[i] += convert(amount, rate)
        notes.append(
            str(
                _("%(amount)s %(currency)s %(frequency)s × rate %(rate)s")
                % {
                    "amount": c.expected_amount,
                    "currency": c.expected_currency,
                    "frequency": c.get_frequency_display(),
                    "rate": rate.normalize(),
                }
            )
        )
        if c.price_steps.all():
            notes.append(
                str(_("price steps: %(steps)s"))
                % {"steps": ", ".join(f"{s.effective_on}: {s.amount}" for s in c.price_steps.all())}
            )
        return CostLine(key, c.name, "schedule", amounts, notes=notes)
    net, gross, first, last = totals or (ZERO, ZERO, None, None)
    p = periods.period(c, today, (first, last))
    # The original's "To end" (costs.terms.to_end), from this run's invoice totals.
    te = T.to_end(net, gross, p.start, None if p.indefinite else p.end, today)
    if te.duration_months == 0 or te.average_net == 0:
        return CostLine(key, c.name, "none", amounts)
    if p.indefinite or p.end is None:
        count = len(months)
        per_month = [te.average_net] * count
        notes.append(
            str(_("indefinite: average %(avg)s per month over %(months)s months so far"))
            % {"avg": te.average_net, "months": te.duration_months}
        )
    else:
        per_month = spread(te.net, te.months_left)
        notes.append(
            str(_("To end %(net)s over %(left)s months left (average %(avg)s per month of %(months)s)"))
            % {"net": te.net, "left": te.months_left, "avg": te.average_net, "months": te.duration_months}
        )
    for i, amount in enumerate(per_month[: len(months)]):
        if end is not None and months[i] > end:
            break
        amounts[i] = amount
    return CostLine(key, c.name, "to_end", amounts, notes=notes, estimate=True)


def _known_invoices(
    first: date, horizon_end: date, index: dict[date, int], today: date, adj: Adjustments, problems: list[str]
) -> dict:
    """``{commitment id or None: {month index: net in base}}`` of invoices not yet counted."""
    out: dict = defaultdict(lambda: defaultdict(lambda: ZERO))
    rows = (
        CostInvoice.objects.filter(document_date__gte=first)
        .values("commitment_id", "due_date", "document_date", "currency")
        .annotate(net=Sum("net_base_cents"))
        .order_by()
    )
    for r in rows:
        due = r["due_date"] or r["document_date"]
        if due > horizon_end:
            continue
        i = index.get(month_key(due), 0)  # already due: counts now
        net = Decimal(int(r["net"] or 0)).scaleb(-2)
        shift = adj.fx_shift_pct.get(r["currency"])
        if shift:
            net = (net * (Decimal(1) + shift / 100)).quantize(CENT)
        out[r["commitment_id"]][i] += net
    return {k: dict(v) for k, v in out.items()}


def _added_line(
    n: int,
    extra: dict,
    today: date,
    months: list[date],
    index: dict[date, int],
    adj: Adjustments,
    problems: list[str],
) -> CostLine:
    """A commitment a scenario adds: ``amount`` per month in ``currency`` from ``from`` until ``until``."""
    amounts = [ZERO] * len(months)
    rate = _rate(extra.get("currency") or "", today, adj, problems)
    start = date.fromisoformat(extra["from"]) if extra.get("from") else months[0]
    until = date.fromisoformat(extra["until"]) if extra.get("until") else None
    if rate is not None:
        for i, m in enumerate(months):
            if m < month_start(start) or (until is not None and m > until):
                continue
            amounts[i] = convert(Decimal(extra["amount"]), rate)
    notes = [
        str(_("%(amount)s %(currency)s per month from %(start)s"))
        % {"amount": extra["amount"], "currency": extra.get("currency"), "start": start}
    ]
    return CostLine(
        f"added:{n}", extra.get("name") or str(_("Added commitment")), "added", amounts, notes=notes
    )


def actual_costs(date_from: date, date_to: date) -> dict[str, Decimal]:
    """``{"YYYY-MM": net}`` of the cost invoices by document date (base currency), from the
    maintained daily aggregates (a row per day, not per invoice), summed as whole cents in SQL."""
    from forecaster.costs.models import CostDay

    if connection.vendor == "sqlite":
        # SQLite keeps dates as ISO text: the first 7 characters are the month.
        month = Substr("day", 1, 7, output_field=CharField())
    else:
        month = TruncMonth("day")
    rows = (
        CostDay.objects.filter(day__gte=date_from, day__lte=date_to)
        .annotate(m=month)
        .values_list("m")
        .annotate(net=Sum("net_cents"))
        .order_by()
    )
    return {(m if isinstance(m, str) else month_key(m)): Decimal(int(n or 0)).scaleb(-2) for m, n in rows}
