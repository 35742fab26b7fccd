"""A cell's explanation: parts worded in the reader's language and number format on pages, the
same parts in machine formats for downloads and the API."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from forecaster.forecasts.explain import Part, explain_data, explain_text

PARTS = [
    Part("cost_line", {"name": "Rack", "amount": Decimal("12345.5"), "method": "known"}),
    Part("scenario_growth", {"pct": Decimal("5.00"), "factor": Decimal("1.0417")}),
    Part("pipeline", {"amount": Decimal("2000.00"), "count": 1234}),
]


def test_pages_word_the_parts_in_the_readers_language_and_number_format():
    nbsp = "\xa0"
    with translation.override("en"):
        assert explain_text(PARTS) == (
            "Rack: 12,345.50 (known invoice); scenario: growth 5 % a year (× 1.0417 this month); "
            "pipeline 2,000.00: 1,234 unpaid invoices already issued and due this month "
            "(net, at the rate of their invoice date; synced from WHMCS)"
        )
    with translation.override("pl"):
        text = explain_text(PARTS)
        assert text.startswith(f"Rack: 12{nbsp}345,50 (otrzymana faktura kosztowa); scenariusz: wzrost 5 % ")
        assert f"(× 1,0417 w tym miesiącu); należności w toku 2{nbsp}000,00: 1{nbsp}234 " in text
    with translation.override("ru"):
        assert explain_text(PARTS[:1]) == f"Rack: 12{nbsp}345,50 (полученный счёт расходов)"


def test_downloads_and_the_api_keep_the_parts_in_machine_formats():
    with translation.override("pl"):
        assert explain_data(PARTS) == [
            {"code": "cost_line", "inputs": {"name": "Rack", "amount": "12345.50", "method": "known"}},
            {"code": "scenario_growth", "inputs": {"pct": "5", "factor": "1.0417"}},
            {"code": "pipeline", "inputs": {"amount": "2000.00", "count": 1234}},
        ]
