"""Amounts and rates on the cost pages with the reader's separators (1,500.00; 1 500,00 in
Polish with Django's non-breaking space), a rate as it was entered (4.2, 4,2 in Polish)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from forecaster.costs.models import Annex, CostCurrencyRate, PriceStep
from forecaster.costs.tests.builders import agreement, commitment, inv, party

pytestmark = pytest.mark.django_db

NBSP = "\xa0"  # Django's Polish thousands separator
READERS = [
    ("en", "1,500.00", "2,500.00", "1,845.00"),
    ("pl", f"1{NBSP}500,00", f"2{NBSP}500,00", f"1{NBSP}845,00"),
]


def _page(client, url: str, lang: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("lang", "amount", "other", "gross"), READERS)
def test_cost_invoice_list_and_invoice_show_amounts_with_the_readers_separators(
    admin_client, lang, amount, other, gross
):
    i = inv(party(), "F/1", "2024-01-31", "1500.00", "345.00")
    for url in ("/costs/invoices/", f"/costs/invoices/{i.pk}/"):
        page = _page(admin_client, url, lang)
        assert amount in page and gross in page and "1500.00" not in page and "1845.00" not in page


@pytest.mark.parametrize(("lang", "amount", "other", "gross"), READERS)
def test_commitment_page_shows_schedule_and_price_steps_with_the_readers_separators(
    admin_client, lang, amount, other, gross
):
    today = timezone.localdate()
    c = commitment(
        "Rack",
        counterparty=party(),
        starts_on=date(today.year - 1, 1, 1),
        expected_amount=Decimal("1500.00"),
        expected_currency="USD",
        frequency="monthly",
        schedule_from=today.replace(day=1),
    )
    PriceStep.objects.create(commitment=c, effective_on=date(today.year + 3, 1, 1), amount=Decimal("2500.00"))
    page = _page(admin_client, f"/costs/commitments/{c.pk}/", lang)
    schedule = page.split("Next 12 months" if lang == "en" else "</h3>")[0]
    assert f"{amount} USD" in schedule and f"{other} USD" in page
    assert "1500.00" not in page and "2500.00" not in page


@pytest.mark.parametrize(("lang", "amount", "other", "gross"), READERS)
def test_agreement_page_shows_prices_with_the_readers_separators(admin_client, lang, amount, other, gross):
    ag = agreement(party(), price=Decimal("1500.00"), currency="EUR")
    Annex.objects.create(
        agreement=ag, effective_on=date(2024, 6, 1), price=Decimal("2500.00"), currency="EUR"
    )
    page = _page(admin_client, f"/costs/agreements/{ag.pk}/", lang)
    # The annex's price: in the annexes table and, being in force, in the terms.
    assert page.count(f"{other} EUR") == 2 and "1500.00" not in page and "2500.00" not in page


@pytest.mark.parametrize(("lang", "shown"), [("en", "4.2"), ("pl", "4,2")])
def test_rates_page_shows_a_rate_as_entered_in_the_readers_format(admin_client, lang, shown):
    CostCurrencyRate.objects.create(currency="EUR", rate=Decimal("4.2"))
    page = _page(admin_client, "/costs/rates/", lang)
    assert f'<td class="num">{shown}</td>' in page and "4.200000" not in page
