"""A ``Report`` as JSON, CSV, XLSX or a text table — the same figures as the page.

    >>> to_json(report)["total"]
    {'invoices': 12, 'net': '1234.56', 'tax': '283.95', 'gross': '1518.51'}

CSV: UTF-8, one header row ``period,invoices,net,tax,gross``, dot decimals, ISO periods, one
row per period and **no total row** (so every row parses the same way; the total is the sum
of the rows by construction). Text cells that a spreadsheet would run as a formula are
prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from forecaster.lib.money import fmt
from forecaster.reports.queries import Report, Row

HEADER = ("period", "invoices", "net", "tax", "gross")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_text(value: str) -> str:
    """Neutralise spreadsheet formula injection in a text cell."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _amounts(row: Row) -> dict[str, Any]:
    return {"invoices": row.invoices, "net": fmt(row.net), "tax": fmt(row.tax), "gross": fmt(row.gross)}


def to_json(report: Report) -> dict[str, Any]:
    """The product's JSON shape; amounts as 2-decimal strings, dates ISO or ``None``."""
    return {
        "currency": report.currency,
        "by": report.by,
        "from": report.date_from.isoformat() if report.date_from else None,
        "to": report.date_to.isoformat() if report.date_to else None,
        "rows": [{"period": r.period, **_amounts(r)} for r in report.rows],
        "total": _amounts(report.total),
    }


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in report.rows:
        writer.writerow([safe_text(r.period), r.invoices, fmt(r.net), fmt(r.tax), fmt(r.gross)])
    return out.getvalue()


def to_xlsx(report: Report, title: str = "Revenue") -> bytes:
    """A workbook with numeric cells (2-decimal format) and a bold total row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)  # streams rows: fast even for a by-day report of years
    ws = wb.create_sheet("Revenue")
    ws.column_dimensions["A"].width = 14
    for col in "BCDE":
        ws.column_dimensions[col].width = 16
    bold = Font(bold=True)

    def cells(values: list, font: Font | None = None) -> list:
        out = []
        for i, value in enumerate(values):
            cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
            if i >= 2 and not isinstance(value, str):
                cell.number_format = "#,##0.00"
            out.append(cell)
        return out

    ws.append(cells([title], bold))
    ws.append(
        [
            f"Currency: {report.currency}",
            f"By: {report.by}",
            f"Basis: {report.basis}",
            f"From: {report.date_from or '—'}",
            f"To: {report.date_to or '—'}",
        ]
    )
    ws.append(cells(list(HEADER), bold))
    for r in report.rows:
        ws.append(cells([r.period, r.invoices, r.net, r.tax, r.gross]))
    t = report.total
    ws.append(cells(["Total", t.invoices, t.net, t.tax, t.gross], bold))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_table(report: Report) -> str:
    """A plain text table for the terminal, with a total line."""
    lines = [(r.period, str(r.invoices), fmt(r.net), fmt(r.tax), fmt(r.gross)) for r in report.rows]
    t = report.total
    head = (
        "Period",
        "Invoices",
        f"Net {report.currency}",
        f"Tax {report.currency}",
        f"Gross {report.currency}",
    )
    foot = ("Total", str(t.invoices), fmt(t.net), fmt(t.tax), fmt(t.gross))
    widths = [max(len(x[i]) for x in [head, foot, *lines]) for i in range(5)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(x) for x in lines), rule, line(foot)]) + "\n"
