"""The outlook and the deadlines as JSON, CSV, XLSX, text (CLI), PDF and iCalendar.

    >>> outlook_json(o)["months"][0]
    {'month': '2025-12', 'kind': 'actual', 'revenue': '1234.56', 'costs': '400.00', ...}

Same conventions as the revenue report: amounts are two-decimal strings (numbers with a
two-decimal format in XLSX), CSV is UTF-8 with one header row and no total row, and text cells a
spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from forecaster.forecasts.deadlines import Deadline
from forecaster.forecasts.explain import explain_data
from forecaster.forecasts.outlook import Outlook
from forecaster.lib.money import fmt
from forecaster.reports.exports import safe_text


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


# --- outlook ----------------------------------------------------------------------------------
def outlook_json(o: Outlook) -> dict[str, Any]:
    return {
        "currency": o.currency,
        "today": o.today.isoformat(),
        "horizon": o.horizon,
        "scenario": o.scenario_name or None,
        "systems": [{"id": sid, "name": name} for sid, name in o.systems],
        "months": [
            {
                "month": m.key,
                "kind": "actual" if m.actual else "forecast",
                "revenue": fmt(m.revenue.amount),
                "revenue_low": _opt(m.revenue.lower),
                "revenue_high": _opt(m.revenue.upper),
                "revenue_pipeline": _opt(m.revenue.pipeline),
                "revenue_by_system": {
                    str(sid): fmt(c.amount) for (sid, _n), c in zip(o.systems, m.systems, strict=True)
                },
                "costs": fmt(m.costs.amount),
                "costs_estimated": m.costs.estimate,
                "result": fmt(m.result),
                "cumulative_result": _opt(m.cumulative),
                "explain": {"revenue": explain_data(m.revenue.parts), "costs": explain_data(m.costs.parts)},
            }
            for m in o.months
        ],
        "forecast_result": fmt(o.total_result),
        "problems": o.problems,
    }


OUTLOOK_HEADER = [
    "month", "kind", "revenue", "revenue_low", "revenue_high", "revenue_pipeline", "costs",
    "costs_estimated", "result", "cumulative_result",
]  # fmt: skip


def _outlook_rows(o: Outlook) -> list[list]:
    rows = []
    for m in o.months:
        rows.append(
            [
                m.key,
                "actual" if m.actual else "forecast",
                m.revenue.amount,
                m.revenue.lower,
                m.revenue.upper,
                m.revenue.pipeline,
                m.costs.amount,
                "yes" if m.costs.estimate else "no",
                m.result,
                m.cumulative,
                *[c.amount for c in m.systems],
            ]
        )
    return rows


def _header(o: Outlook) -> list[str]:
    return OUTLOOK_HEADER + [f"revenue_system_{sid}" for sid, _n in o.systems]


def outlook_csv(o: Outlook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_header(o))
    for row in _outlook_rows(o):
        writer.writerow([_cell_text(v) for v in row])
    return out.getvalue()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return fmt(value)
    return safe_text(str(value))


def _xlsx(title: str, meta: list[str], header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    bold = Font(bold=True)

    def cells(values: list, font: Font | None = None) -> list:
        out = []
        for value in values:
            if isinstance(value, str):
                value = safe_text(value)
            elif isinstance(value, date):
                value = value.isoformat()
            cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            out.append(cell)
        return out

    ws.append(cells([title], bold))
    ws.append(cells(meta))
    ws.append(cells(header, bold))
    for row in rows:
        ws.append(cells(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def outlook_xlsx(o: Outlook) -> bytes:
    meta = [f"Currency: {o.currency}", f"Made on: {o.today}", f"Scenario: {o.scenario_name or '—'}"]
    return _xlsx("Outlook", meta, _header(o), _outlook_rows(o))


def outlook_table(o: Outlook) -> str:
    head = [
        "Month",
        "",
        f"Revenue {o.currency}",
        "Low",
        "High",
        "Pipeline",
        f"Costs {o.currency}",
        "Result",
        "Cumulative",
    ]
    lines = [
        [
            m.key,
            "actual" if m.actual else "forecast",
            fmt(m.revenue.amount),
            _opt(m.revenue.lower) or "",
            _opt(m.revenue.upper) or "",
            _opt(m.revenue.pipeline) or "",
            fmt(m.costs.amount) + ("*" if m.costs.estimate else ""),
            fmt(m.result),
            _opt(m.cumulative) or "",
        ]
        for m in o.months
    ]
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    text = "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(x) for x in lines)]) + "\n"
    text += (
        "Forecast revenue = the model's point + the pipeline (unpaid invoices already issued and due\n"
        "in that month, synced from WHMCS); Low/High are the model's 80 % interval plus the pipeline.\n"
    )
    if any(m.costs.estimate for m in o.months):
        text += "* includes estimated costs (the original's To end rule)\n"
    return text


# --- deadlines --------------------------------------------------------------------------------
DEADLINE_HEADER = [
    "agreement_id", "agreement", "counterparty", "kind", "term_end", "cancel_by", "notice", "days_left",
    "missed", "next_possible_end", "cost_at_stake",
]  # fmt: skip


def _deadline_row(d: Deadline) -> list:
    return [
        d.agreement_id,
        d.title,
        d.counterparty,
        d.kind,
        d.term_end,
        d.cancel_by,
        d.notice,
        d.days_left,
        d.missed,
        d.next_possible_end,
        d.at_stake,
    ]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def deadlines_json(rows: list[Deadline], currency: str) -> dict[str, Any]:
    return {
        "currency": currency,
        "deadlines": [
            {
                "agreement_id": d.agreement_id,
                "agreement": d.title,
                "counterparty": d.counterparty,
                "kind": d.kind,
                "term_end": _iso(d.term_end),
                "cancel_by": _iso(d.cancel_by),
                "notice": d.notice,
                "days_left": d.days_left,
                "missed": d.missed,
                "next_possible_end": _iso(d.next_possible_end),
                "cost_at_stake": fmt(d.at_stake),
            }
            for d in rows
        ],
    }


def deadlines_csv(rows: list[Deadline]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DEADLINE_HEADER)
    for d in rows:
        writer.writerow(
            [
                ""
                if v is None
                else (fmt(v) if isinstance(v, Decimal) else safe_text(str(v)) if isinstance(v, str) else v)
                for v in _deadline_row(d)
            ]
        )
    return out.getvalue()


def deadlines_xlsx(rows: list[Deadline], currency: str) -> bytes:
    return _xlsx("Deadlines", [f"Currency: {currency}"], DEADLINE_HEADER, [_deadline_row(d) for d in rows])


def deadlines_table(rows: list[Deadline], currency: str) -> str:
    head = ["Action by", "Agreement", "Kind", "End of term", "Notice", f"At stake {currency}"]
    lines = [
        [
            _iso(d.action_date) + (" (missed)" if d.missed else ""),
            f"{d.title} ({d.counterparty})",
            d.kind,
            _iso(d.term_end or d.next_possible_end) or "",
            d.notice,
            fmt(d.at_stake),
        ]
        for d in rows
    ]
    if not lines:
        return "No agreement ends or needs notice in the next 12 months.\n"
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i == 5 else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    return "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(x) for x in lines)]) + "\n"


def deadlines_ical(rows: list[Deadline], currency: str) -> bytes:
    """An iCalendar (RFC 5545) of all-day events: each cancel-by date and each end of term."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Commitment Forecaster//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Contract deadlines"))
    stamp = timezone.now()
    for d in rows:
        events = []
        if d.cancel_by is not None and not d.missed and d.kind != "rolling":
            events.append(
                (
                    "cancel-by",
                    d.cancel_by,
                    _("Last day to give notice: %(agreement)s") % {"agreement": d.title},
                )
            )
        if d.term_end is not None:
            summary = (
                _("Renews unless cancelled: %(agreement)s")
                if d.kind == "renews"
                else _("Expires: %(agreement)s")
            ) % {"agreement": d.title}
            events.append(("end", d.term_end, summary))
        for what, day, summary in events:
            event = Event()
            uid = hashlib.sha256(f"{d.agreement_id}:{what}:{day}".encode()).hexdigest()[:32]
            event.add("uid", f"{uid}@commitment-forecaster")
            event.add("dtstamp", stamp)
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("summary", summary)
            event.add(
                "description",
                _(
                    "%(counterparty)s. Notice: %(notice)s. "
                    "Cost at stake until the next possible end: %(stake)s %(cur)s."
                )
                % {
                    "counterparty": d.counterparty,
                    "notice": d.notice or "—",
                    "stake": fmt(d.at_stake),
                    "cur": currency,
                },
            )
            cal.add_component(event)
    return cal.to_ical()
