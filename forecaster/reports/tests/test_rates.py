"""Exchange rates: per-currency, fixed, base currency, ECB daily; warnings; history re-conversion."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from forecaster.currency.base import base_currency
from forecaster.currency.ecb import ecb_rate
from forecaster.currency.models import SiteSettings, SystemCurrencyRate, SystemRatePolicy
from forecaster.currency.rates import RateBook
from forecaster.reports.queries import revenue
from forecaster.reports.rates import apply_to_history, rate_warnings
from forecaster.sync.models import Invoice
from tests.builders import inv, make_system

pytestmark = pytest.mark.django_db
D = Decimal


def test_rules_in_order_specific_then_base_then_fixed(settings):
    settings.BASE_CURRENCY = "USD"
    s = make_system(name="PL", rate="0.25")
    SystemCurrencyRate.objects.create(system=s, currency="EUR", rate=D("1.08"))
    book = RateBook(s)
    assert book.rate("EUR", date(2024, 1, 1)) == D("1.080000")
    assert book.rate("USD", date(2024, 1, 1)) == D("1.000000")  # already in the base currency
    assert book.rate("PLN", date(2024, 1, 1)) == D("0.250000")  # the system's fixed rate
    assert book.rate("", date(2024, 1, 1)) == D("0.250000")


def test_ecb_rate_on_a_known_date():
    # ECB 2024-01-31: 1 EUR = 4.3330 PLN = 1.0837 USD  →  1 PLN = 1.0837 / 4.333 USD.
    assert ecb_rate("PLN", "USD", date(2024, 1, 31)) == D("0.250104")
    assert ecb_rate("EUR", "USD", date(2024, 1, 31)) == D("1.083700")
    assert ecb_rate("USD", "EUR", date(2024, 1, 31)) == (D(1) / D("1.0837")).quantize(D("0.000001"))
    assert ecb_rate("PLN", "PLN", date(2024, 1, 31)) == D("1.000000")
    assert ecb_rate("XYZ", "USD", date(2024, 1, 31)) is None


def test_ecb_policy_converts_each_invoice_on_its_date(settings):
    settings.BASE_CURRENCY = "USD"
    s = make_system(name="PL", rate="9")
    SystemRatePolicy.objects.create(system=s, source="ecb")
    row = inv(s, 1, "2024-01-31", "100.00", "23.00", currency="PLN")
    assert (row.rate, row.net_base, row.tax_base) == (D("0.250104"), D("25.01"), D("5.75"))
    # A weekend has no fixing: the converter falls back to the nearest published rates.
    assert RateBook(s).rate("PLN", date(2024, 2, 3)) > 0
    # A currency ECB does not publish falls back to the fixed rate (and warns).
    assert RateBook(s).rate("XYZ", date(2024, 1, 31)) == D("9.000000")


def test_ecb_policy_keeps_explicit_rates():
    s = make_system(name="PL", rate="1")
    SystemRatePolicy.objects.create(system=s, source="ecb")
    SystemCurrencyRate.objects.create(system=s, currency="PLN", rate=D("0.2"))
    assert RateBook(s).rate("PLN", date(2024, 1, 31)) == D("0.200000")


def test_several_currencies_on_one_rate_warn():
    s = make_system(name="Mixed", rate="0.25")
    inv(s, 1, "2024-01-02", "10.00", currency="PLN")
    inv(s, 2, "2024-01-02", "10.00", currency="EUR")
    inv(s, 3, "2024-01-02", "10.00", currency="USD")  # the base currency: rate 1, no warning
    warnings = rate_warnings([s])
    assert len(warnings) == 1
    assert "EUR, PLN" in str(warnings[0]) and "Mixed" in str(warnings[0])
    SystemCurrencyRate.objects.create(system=s, currency="EUR", rate=D("1.08"))
    assert rate_warnings([s]) == []


def test_foreign_currency_at_rate_one_warns(settings):
    settings.BASE_CURRENCY = "USD"
    s = make_system(name="PL", rate="1")
    inv(s, 1, "2024-01-02", "10.00", currency="PLN")
    assert "counted 1:1" in str(rate_warnings([s])[0])
    single = make_system(name="US", rate="1")
    inv(single, 1, "2024-01-02", "10.00", currency="USD")
    assert rate_warnings([single]) == []


def test_ecb_policy_silences_the_warning():
    s = make_system(name="Mixed", rate="0.25")
    inv(s, 1, "2024-01-02", "10.00", currency="PLN")
    inv(s, 2, "2024-01-02", "10.00", currency="EUR")
    SystemRatePolicy.objects.create(system=s, source="ecb")
    assert rate_warnings([s]) == []


def test_rate_change_applies_to_history_only_when_asked():
    s = make_system(name="PL", rate="0.25")
    inv(s, 1, "2024-01-15", "10.02", "2.31", currency="PLN")
    inv(s, 2, "2024-02-15", "100.00", "23.00", currency="PLN", status="Refunded")
    before = revenue(by="year").total
    assert before.net == D("2.51")

    s.exchange_rate = D("0.5")
    s.save()
    assert revenue(by="year").total == before  # history is never silently rewritten
    invoice = Invoice.objects.get(system=s, whmcs_id=1)
    assert (invoice.subtotal, invoice.currency, invoice.rate) == (D("10.02"), "PLN", D("0.25"))

    assert apply_to_history(s) == 2
    after = revenue(by="year").total
    assert (after.net, after.tax) == (D("5.01"), D("1.16"))  # 5.01, 1.155 → 1.16
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.rate, invoice.net_base) == (D("10.02"), D("0.5"), D("5.01"))
    assert apply_to_history(s) == 0  # idempotent


def test_base_currency_from_the_web_setting(settings):
    settings.BASE_CURRENCY = "USD"
    assert base_currency() == "USD"
    SiteSettings.objects.create(pk=1, base_currency="PLN")
    assert base_currency() == "PLN"
    assert revenue().currency == "PLN"
    SiteSettings.objects.filter(pk=1).update(base_currency="")
    assert base_currency() == "USD"
