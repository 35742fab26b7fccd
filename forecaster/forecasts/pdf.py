"""The outlook as a PDF for the accountant: the chart (an SVG drawn here, on the server) and the
table, rendered from HTML by xhtml2pdf (pure Python; no browser). The text is set in an embedded
Unicode font (DejaVu Sans, Debian's fonts-dejavu-core, which ``make install`` installs; another
TrueType file by ``FORECASTER_PDF_FONT``): the PDF's built-in Helvetica has no Polish or Cyrillic
letters.

    >>> data = outlook_pdf(outlook(today, 12))
    >>> data[:5]
    b'%PDF-'
"""

from __future__ import annotations

import base64
import io
import logging
import os
from decimal import Decimal
from html import escape

from django.template.loader import render_to_string
from django.utils import timezone

from forecaster.forecasts.outlook import Outlook
from forecaster.lib.display import count_text, period_text

WIDTH, HEIGHT = 720, 260
PAD_L, PAD_R, PAD_T, PAD_B = 60, 10, 10, 30
# Where Debian puts DejaVu Sans; FORECASTER_PDF_FONT names another TrueType file (regular weight;
# a bold file beside it, "<name>-Bold.ttf", is used for headings when present).
DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

log = logging.getLogger(__name__)


def _polylines(color: str, actual: list[tuple[float, float]], ahead: list[tuple[float, float]]) -> list[str]:
    """One series: the actual months solid, the forecast dashed and joined to the last actual."""
    if actual and ahead:
        ahead = [actual[-1], *ahead]
    out = []
    for pts, dash in ((actual, ""), (ahead, ' stroke-dasharray="5,3"')):
        if len(pts) > 1:
            line = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            out.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
    return out


def chart_svg(o: Outlook) -> str:
    """Revenue (blue), costs (red) and result (green): actual months solid, forecast dashed, the
    revenue interval as a pale band and a red line at today; the axis labels in the reader's
    number and month format."""
    months = o.months
    if not months:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"></svg>'
    values: list[Decimal] = []
    for m in months:
        values += [m.revenue.amount, m.costs.amount, m.result, m.revenue.upper or m.revenue.amount]
    lo, hi = min([Decimal(0), *values]), max([Decimal(1), *values])
    span = float(hi - lo) or 1.0
    n = len(months)
    step = (WIDTH - PAD_L - PAD_R) / max(n - 1, 1)

    def x(i: int) -> float:
        return PAD_L + i * step

    def y(v: Decimal) -> float:
        return PAD_T + (HEIGHT - PAD_T - PAD_B) * (1 - float(v - lo) / span)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}">']
    parts.append(f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>')
    # Axis: zero line and the top value.
    zero = y(Decimal(0))
    top = escape(count_text(int(hi.quantize(Decimal(1)))))
    parts.append(
        f'<line x1="{PAD_L}" y1="{zero:.1f}" x2="{WIDTH - PAD_R}" y2="{zero:.1f}" stroke="#999999"/>'
    )
    parts.append(f'<text x="2" y="{PAD_T + 10}" font-size="9" fill="#333333">{top}</text>')
    parts.append(f'<text x="2" y="{y(Decimal(0)):.1f}" font-size="9" fill="#333333">0</text>')
    forecast = [i for i, m in enumerate(months) if not m.actual]
    if forecast:
        upper = [(x(i), y(months[i].revenue.upper or months[i].revenue.amount)) for i in forecast]
        lower = [(x(i), y(months[i].revenue.lower or months[i].revenue.amount)) for i in reversed(forecast)]
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in upper + lower)
        parts.append(f'<polygon points="{points}" fill="#c7d7f0" stroke="none"/>')
        today_x = x(forecast[0]) - (step / 2 if forecast[0] > 0 else 0)
        parts.append(
            f'<line x1="{today_x:.1f}" y1="{PAD_T}" x2="{today_x:.1f}" '
            f'y2="{HEIGHT - PAD_B}" stroke="#b3261e"/>'
        )
    for color, get in (
        ("#1f5fbf", lambda m: m.revenue.amount),
        ("#b3261e", lambda m: m.costs.amount),
        ("#1e7d32", lambda m: m.result),
    ):
        actual = [(x(i), y(get(m))) for i, m in enumerate(months) if m.actual]
        ahead = [(x(i), y(get(m))) for i, m in enumerate(months) if not m.actual]
        parts += _polylines(color, actual, ahead)
    for i, m in enumerate(months):
        if i % 3 == 0:
            label = escape(period_text(m.key))
            parts.append(
                f'<text x="{x(i) - 14:.1f}" y="{HEIGHT - 8}" font-size="9" fill="#333333">{label}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def unicode_font() -> dict[str, str]:
    """The TrueType files the PDF's text is set in: ``{"regular": path, "bold": path}`` (bold
    only when its file exists), or ``{}`` when no file is there (Helvetica then, which shows
    English only: logged as a warning)."""
    regular = os.environ.get("FORECASTER_PDF_FONT") or DEFAULT_FONT
    if not os.path.isfile(regular):
        log.warning("PDF font %s not found: Polish and Russian letters will be missing", regular)
        return {}
    bold = regular.removesuffix(".ttf") + "-Bold.ttf"
    return {"regular": regular, "bold": bold} if os.path.isfile(bold) else {"regular": regular}


def outlook_pdf(o: Outlook) -> bytes:
    from xhtml2pdf import pisa

    svg = chart_svg(o)
    font = unicode_font()
    html = render_to_string(
        "forecasts/outlook_pdf.html",
        {
            "o": o,
            "chart_src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
            "made_at": timezone.localtime(),
            "font": font,
        },
    )
    out = io.BytesIO()
    # The font's folder is the only place the renderer may read files from (the chart is inline).
    folder = os.path.dirname(font["regular"]) + os.sep if font else ""
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", path=folder)
    if result.err:
        raise RuntimeError("the PDF could not be rendered")
    return out.getvalue()
