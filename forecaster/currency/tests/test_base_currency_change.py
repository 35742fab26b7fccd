"""A change of base currency re-converts every amount held, or reports keep showing the old
currency until it has — amounts are never relabelled with the new currency's code."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from forecaster.costs.models import CostInvoice
from forecaster.costs.tests import builders as costs
from forecaster.currency.ecb import ecb_rate
from forecaster.currency.models import SystemRatePolicy
from forecaster.currency.money import convert
from tests.builders import inv, make_system
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db
DAY = date(2024, 1, 31)


@pytest.fixture
def held():
    """Two USD invoices of a system converting with ECB rates (base USD: rate 1)."""
    system = make_system(name="US", rate="1")
    SystemRatePolicy.objects.create(system=system, source="ecb")
    inv(system, 1, DAY.isoformat(), "10.01", "2.30")
    inv(system, 2, DAY.isoformat(), "5.00", "1.15")
    return system


def report(client) -> dict:
    data = json.loads(client.get("/reports/revenue/export.json?by=year").content)
    return {"currency": data["currency"], "net": data["total"]["net"], "tax": data["total"]["tax"]}


def in_pln(*amounts: str) -> str:
    rate = ecb_rate("USD", "PLN", DAY)
    return str(sum(convert(Decimal(a), rate) for a in amounts))


def test_without_reconversion_reports_keep_the_old_currency_until_reconverted(admin_client, held):
    assert report(admin_client) == {"currency": "USD", "net": "15.01", "tax": "3.45"}
    response = csrf_post(admin_client, "/reports/settings/", {"base_currency": "PLN"})
    assert response.status_code == 302
    # Not relabelled: the amounts are still USD amounts, and the report says so.
    assert report(admin_client) == {"currency": "USD", "net": "15.01", "tax": "3.45"}
    page = admin_client.get("/reports/settings/").content.decode()
    assert "You chose <strong>PLN</strong>" in page
    # Invoices imported meanwhile are converted into the currency still in effect.
    inv(held, 3, DAY.isoformat(), "1.00")
    assert report(admin_client) == {"currency": "USD", "net": "16.01", "tax": "3.45"}

    response = csrf_post(admin_client, "/reports/settings/", {"base_currency": "PLN", "reconvert": "on"})
    assert response.status_code == 302
    assert report(admin_client) == {
        "currency": "PLN",
        "net": in_pln("10.01", "5.00", "1.00"),
        "tax": in_pln("2.30", "1.15"),
    }
    assert "You chose" not in admin_client.get("/reports/settings/").content.decode()


def test_a_change_with_reconversion_converts_at_once(admin_client, held):
    csrf_post(admin_client, "/reports/settings/", {"base_currency": "pln", "reconvert": "on"})
    assert report(admin_client) == {
        "currency": "PLN",
        "net": in_pln("10.01", "5.00"),
        "tax": in_pln("2.30", "1.15"),
    }
    # Choosing the previous currency back without re-converting does not relabel either.
    csrf_post(admin_client, "/reports/settings/", {"base_currency": "USD"})
    assert report(admin_client)["currency"] == "PLN"
    # Choosing the currency in effect again cancels the pending change.
    csrf_post(admin_client, "/reports/settings/", {"base_currency": "PLN"})
    assert "You chose" not in admin_client.get("/reports/settings/").content.decode()


def test_with_nothing_held_the_new_currency_applies_at_once(admin_client):
    csrf_post(admin_client, "/reports/settings/", {"base_currency": "PLN"})
    assert report(admin_client) == {"currency": "PLN", "net": "0.00", "tax": "0.00"}


def test_cost_invoices_are_reconverted_too(admin_client):
    costs.inv(costs.party(), "C-1", DAY.isoformat(), "100.00", "23.00", currency="USD")
    csrf_post(admin_client, "/reports/settings/", {"base_currency": "PLN"})
    assert CostInvoice.objects.get().base_currency == "USD"
    csrf_post(admin_client, "/reports/settings/", {"base_currency": "PLN", "reconvert": "on"})
    row = CostInvoice.objects.get()
    assert (row.base_currency, str(row.net_base), str(row.vat_base)) == (
        "PLN",
        in_pln("100.00"),
        in_pln("23.00"),
    )


def test_a_reconversion_that_cannot_convert_an_amount_changes_nothing(admin_client, held):
    costs.inv(costs.party(), "C-1", DAY.isoformat(), "100.00", "23.00", currency="EUR")
    response = csrf_post(admin_client, "/reports/settings/", {"base_currency": "ABC", "reconvert": "on"})
    assert response.status_code == 400
    assert "No exchange rate for EUR" in response.content.decode()
    assert report(admin_client) == {"currency": "USD", "net": "15.01", "tax": "3.45"}
    assert CostInvoice.objects.get().base_currency == "USD"
