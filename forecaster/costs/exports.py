"""Costs and result reports as JSON, CSV, XLSX or a text table — the same figures as the pages.

CSV as in the revenue report: UTF-8, one header row, dot decimals, one row per group and no
total row; text cells a spreadsheet would run as a formula are prefixed with ``'``.

    costs:  key,label,invoices,net,vat,gross
    result: period,revenue_net,costs_net,result_net,revenue_gross,costs_gross,result_gross
"""

from __future__ import annotations

import csv
import io
from typing import Any

from forecaster.costs.queries import CostReport, CostRow, ResultReport, ResultRow
from forecaster.lib.money import fmt
from forecaster.reports.exports import safe_text

COST_HEADER = ("key", "label", "invoices", "net", "vat", "gross")
RESULT_HEADER = (
    "period",
    "revenue_net",
    "costs_net",
    "result_net",
    "revenue_gross",
    "costs_gross",
    "result_gross",
)


def _cost_amounts(row: CostRow) -> dict[str, Any]:
    return {"invoices": row.invoices, "net": fmt(row.net), "vat": fmt(row.vat), "gross": fmt(row.gross)}


def _result_amounts(row: ResultRow) -> dict[str, str]:
    return {
        "revenue_net": fmt(row.revenue_net),
        "costs_net": fmt(row.costs_net),
        "result_net": fmt(row.result_net),
        "revenue_gross": fmt(row.revenue_gross),
        "costs_gross": fmt(row.costs_gross),
        "result_gross": fmt(row.result_gross),
    }


def _dates(report: CostReport | ResultReport) -> dict[str, Any]:
    return {
        "currency": report.currency,
        "by": report.by,
        "from": report.date_from.isoformat() if report.date_from else None,
        "to": report.date_to.isoformat() if report.date_to else None,
    }


def costs_json(report: CostReport) -> dict[str, Any]:
    return {
        **_dates(report),
        "filters": report.filters,
        "rows": [{"key": r.key, "label": r.label, **_cost_amounts(r)} for r in report.rows],
        "total": _cost_amounts(report.total),
    }


def result_json(report: ResultReport) -> dict[str, Any]:
    return {
        **_dates(report),
        "rows": [{"period": r.period, **_result_amounts(r)} for r in report.rows],
        "total": _result_amounts(report.total),
    }


def _lines(report: CostReport | ResultReport) -> tuple[tuple[str, ...], list[list], list]:
    if isinstance(report, CostReport):
        rows = [[r.key, r.label, r.invoices, r.net, r.vat, r.gross] for r in report.rows]
        t = report.total
        return COST_HEADER, rows, ["", "Total", t.invoices, t.net, t.vat, t.gross]
    rows = [
        [r.period, r.revenue_net, r.costs_net, r.result_net, r.revenue_gross, r.costs_gross, r.result_gross]
        for r in report.rows
    ]
    t = report.total
    return (
        RESULT_HEADER,
        rows,
        ["Total", t.revenue_net, t.costs_net, t.result_net, t.revenue_gross, t.costs_gross, t.result_gross],
    )


def _cell(value: object) -> str:
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, int):
        return str(value)
    return fmt(value)


def to_csv(report: CostReport | ResultReport) -> str:
    header, rows, _total = _lines(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def to_xlsx(report: CostReport | ResultReport, title: str) -> bytes:
    """A workbook with numeric cells (2-decimal format) and a bold total row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    header, rows, total = _lines(report)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31] or "Report")
    bold = Font(bold=True)

    def cells(values: list, font: Font | None = None) -> list:
        out = []
        for value in values:
            cell = WriteOnlyCell(ws, value=safe_text(value) if isinstance(value, str) else value)
            if font is not None:
                cell.font = font
            if not isinstance(value, (str, int)):
                cell.number_format = "#,##0.00"
            out.append(cell)
        return out

    ws.append(cells([title], bold))
    ws.append(
        [
            f"Currency: {report.currency}",
            f"By: {report.by}",
            f"From: {report.date_from or '—'}",
            f"To: {report.date_to or '—'}",
        ]
    )
    ws.append(cells(list(header), bold))
    for row in rows:
        ws.append(cells(row))
    ws.append(cells(total, bold))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_table(report: CostReport | ResultReport) -> str:
    """A plain text table for the terminal, with a total line."""
    header, rows, total = _lines(report)
    if isinstance(report, CostReport):  # the key is for machines; people read the label
        header, rows, total = header[1:], [r[1:] for r in rows], total[1:]
    head = tuple(
        h if h in ("key", "label", "period", "invoices") else f"{h} {report.currency}" for h in header
    )
    lines = [tuple(_cell(v) if not isinstance(v, str) else v for v in r) for r in rows]
    foot = tuple(_cell(v) if not isinstance(v, str) else v for v in total)
    widths = [max(len(x[i]) for x in [head, foot, *lines]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(x) for x in lines), rule, line(foot)]) + "\n"
