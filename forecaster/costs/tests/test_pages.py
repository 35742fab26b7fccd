"""The cost pages through the HTTP client with CSRF: administrators change, viewers read."""

from decimal import Decimal

import pytest

from forecaster.costs.models import Agreement, Annex, Commitment, CostInvoice, Counterparty
from forecaster.costs.tests.builders import agreement, commitment, inv, party
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db

PAGES = [
    "/costs/counterparties/",
    "/costs/agreements/",
    "/costs/commitments/",
    "/costs/invoices/",
    "/costs/rates/",
    "/costs/reports/costs/",
    "/costs/reports/result/",
    "/",
]


@pytest.mark.parametrize("url", PAGES)
def test_empty_pages_say_what_to_do_next(admin_client, url):
    r = admin_client.get(url)
    assert r.status_code == 200
    text = r.content.decode()
    if url == "/costs/counterparties/":
        assert "No counterparties yet" in text and "New counterparty" in text


def _party_form(**kw):
    data = {"company_name": "Datacenter One", "vat_id": "PL 123-456-32-18", "country": "pl"}
    data.update(kw)
    return data


def test_admin_creates_counterparty_and_duplicates_are_refused_with_a_link(admin_client):
    r = csrf_post(admin_client, "/costs/counterparties/new/", _party_form())
    assert r.status_code == 302
    first = Counterparty.objects.get()
    assert (first.country, first.vat_key) == ("PL", "1234563218")
    r = csrf_post(
        admin_client, "/costs/counterparties/new/", _party_form(company_name="Other", vat_id="PL1234563218")
    )
    assert r.status_code == 400
    assert f'href="/costs/counterparties/{first.pk}/"' in r.content.decode()
    assert "already has this VAT id" in r.content.decode()
    r = csrf_post(
        admin_client, "/costs/counterparties/new/", _party_form(company_name=" datacenter  ONE", vat_id="")
    )
    assert r.status_code == 400 and "already exists" in r.content.decode()
    assert Counterparty.objects.count() == 1


def test_every_field_of_the_forms_has_help_text(admin_client):
    p = party()
    for url in (
        "/costs/counterparties/new/",
        "/costs/agreements/new/",
        "/costs/commitments/new/",
        "/costs/invoices/new/",
        f"/costs/agreements/{agreement(p).pk}/annexes/new/",
    ):
        text = admin_client.get(url).content.decode()
        assert text.count('<div class="field') == text.count('<small class="help"'), url


def test_viewer_reads_but_cannot_change(viewer_client):
    p = party()
    assert viewer_client.get(f"/costs/counterparties/{p.pk}/").status_code == 200
    assert (
        "Edit"
        not in viewer_client.get(f"/costs/counterparties/{p.pk}/").content.decode().split('id="content"')[1]
    )
    for url in (
        "/costs/counterparties/new/",
        f"/costs/counterparties/{p.pk}/edit/",
        f"/costs/counterparties/{p.pk}/delete/",
        "/costs/invoices/new/",
        "/costs/invoices/import/",
    ):
        assert viewer_client.get(url).status_code == 403
    r = csrf_post(viewer_client, f"/costs/counterparties/{p.pk}/delete/")
    assert r.status_code == 403
    r = csrf_post(viewer_client, "/costs/rates/", {"action": "set", "currency": "EUR", "rate": "4"})
    assert r.status_code == 403
    assert Counterparty.objects.count() == 1


def test_post_without_csrf_token_is_refused(admin_client):
    r = admin_client.post("/costs/counterparties/new/", _party_form())
    assert r.status_code == 403
    assert not Counterparty.objects.exists()


def test_delete_is_refused_while_referenced_and_says_what(admin_client):
    p = party()
    inv(p, "F/1", "2024-01-31", "10.00")
    agreement(p)
    r = admin_client.get(f"/costs/counterparties/{p.pk}/delete/")
    text = r.content.decode()
    assert "1 cost invoice(s)" in text and "1 agreement(s)" in text
    r = csrf_post(admin_client, f"/costs/counterparties/{p.pk}/delete/")
    assert r.status_code == 409
    assert Counterparty.objects.filter(pk=p.pk).exists()
    CostInvoice.objects.all().delete()
    Agreement.objects.all().delete()
    assert csrf_post(admin_client, f"/costs/counterparties/{p.pk}/delete/").status_code == 302
    assert not Counterparty.objects.exists()


def test_agreement_with_annex_shows_terms_and_cancel_by(admin_client):
    p = party()
    r = csrf_post(
        admin_client,
        "/costs/agreements/new/",
        {
            "counterparty": p.pk,
            "title": "Rack A12",
            "starts_on": "2020-06-01",
            "expires_on": "2021-05-31",
            "tacit_renewal": "on",
            "notice_value": "3",
            "notice_unit": "months",
        },
    )
    assert r.status_code == 302, r.content.decode()
    ag = Agreement.objects.get()
    r = csrf_post(
        admin_client,
        f"/costs/agreements/{ag.pk}/annexes/new/",
        {
            "effective_on": "2021-01-01",
            "notice_value": "1",
            "notice_unit": "months",
            "tacit_renewal": "unknown",
            "indefinite": "",
        },
    )
    assert r.status_code == 302, r.content.decode()
    assert Annex.objects.get().tacit_renewal is None
    page = admin_client.get(f"/costs/agreements/{ag.pk}/").content.decode()
    assert 'data-term="end">' in page
    # deleting the agreement says the annex goes with it
    assert "1 annex(es)" in admin_client.get(f"/costs/agreements/{ag.pk}/delete/").content.decode()


def test_invoice_gross_must_be_net_plus_vat_and_nothing_is_saved(admin_client):
    p = party()
    data = {
        "counterparty": p.pk,
        "number": "F/1",
        "document_date": "2024-01-31",
        "net": "100.00",
        "vat": "23.00",
        "gross": "123.01",
        "currency": "USD",
    }
    r = csrf_post(admin_client, "/costs/invoices/new/", data)
    assert r.status_code == 400
    assert "123.00, not 123.01" in r.content.decode()
    assert not CostInvoice.objects.exists()
    r = csrf_post(admin_client, "/costs/invoices/new/", {**data, "gross": "123.00", "currency": "XYZ"})
    assert r.status_code == 400 and "No exchange rate for XYZ" in r.content.decode()
    assert not CostInvoice.objects.exists()
    r = csrf_post(
        admin_client,
        "/costs/invoices/new/",
        {**data, "gross": "123.00", "currency": "eur", "tag_names": "power, Power, dc"},
    )
    assert r.status_code == 302
    saved = CostInvoice.objects.get()
    assert saved.currency == "EUR" and sorted(t.name for t in saved.tags.all()) == ["dc", "power"]
    r = csrf_post(admin_client, "/costs/invoices/new/", {**data, "gross": "123.00"})
    assert r.status_code == 400 and CostInvoice.objects.count() == 1  # same number twice


def test_commitment_from_invoice_links_it_and_page_shows_to_end(admin_client):
    p = party()
    i = inv(p, "F/1", "2024-01-31", "300.00", "69.00")
    page = admin_client.get(f"/costs/invoices/{i.pk}/").content.decode()
    assert f"/costs/commitments/new/?from_invoice={i.pk}" in page
    form = admin_client.get(f"/costs/commitments/new/?from_invoice={i.pk}").content.decode()
    assert "Datacenter One — F/1" in form
    r = csrf_post(
        admin_client,
        "/costs/commitments/new/",
        {
            "name": "Rack",
            "counterparty": p.pk,
            "from_invoice": i.pk,
            "starts_on": "2024-01-01",
            "ends_on": "2024-03-31",
            "frequency": "monthly",
        },
    )
    assert r.status_code == 302, r.content.decode()
    c = Commitment.objects.get()
    i.refresh_from_db()
    assert i.commitment == c
    page = admin_client.get(f"/costs/commitments/{c.pk}/").content.decode()
    assert 'data-kpi="incurred">300.00' in page


def test_commitment_list_flags_invoice_after_end_and_filters_by_month(admin_client):
    p = party()
    c = commitment("Transit", counterparty=p, starts_on="2024-01-01", ends_on="2024-02-29")
    inv(p, "1", "2024-01-15", "100.00", "23.00", commitment=c)
    inv(p, "2", "2024-03-15", "50.00", "0.00", commitment=c)
    page = admin_client.get("/costs/commitments/").content.decode()
    assert "invoice after end" in page and "150.00" in page and "173.00" in page
    page = admin_client.get("/costs/commitments/?year=2024&month=1").content.decode()
    assert "100.00" in page and "150.00" not in page
    assert admin_client.get("/costs/commitments/?month=13&year=2024").status_code == 400


def test_deleting_a_commitment_keeps_its_invoices(admin_client):
    p = party()
    c = commitment("Transit", counterparty=p)
    i = inv(p, "1", "2024-01-15", "100.00", commitment=c)
    assert (
        "1 cost invoice(s) are kept"
        in admin_client.get(f"/costs/commitments/{c.pk}/delete/").content.decode()
    )
    assert csrf_post(admin_client, f"/costs/commitments/{c.pk}/delete/").status_code == 302
    i.refresh_from_db()
    assert i.commitment is None


def test_history_shows_who_changed_what(admin_client):
    csrf_post(admin_client, "/costs/counterparties/new/", _party_form())
    p = Counterparty.objects.get()
    csrf_post(admin_client, f"/costs/counterparties/{p.pk}/edit/", _party_form(city="Warsaw"))
    page = admin_client.get(f"/costs/counterparties/{p.pk}/").content.decode()
    history = page.split('id="history"')[1]
    assert "admin" in history and "changed" in history and "Warsaw" in history and "created" in history


def test_profile_page_counts_and_sums(admin_client):
    p = party()
    inv(p, "1", "2020-01-15", "100.00", "23.00")
    page = admin_client.get(f"/costs/counterparties/{p.pk}/").content.decode()
    assert 'data-kpi="invoices">1<' in page
    assert 'data-kpi="total">100.00 USD' in page
    assert 'id="party-chart-data"' in page


def test_fixed_rate_page_converts_new_invoices(admin_client):
    r = csrf_post(admin_client, "/costs/rates/", {"action": "set", "currency": "pln", "rate": "0.25"})
    assert r.status_code == 302
    i = inv(party(), "1", "2024-01-15", "10.02", "0.00", currency="PLN")
    assert i.net_base == Decimal("2.51")


@pytest.mark.parametrize(("lang", "word"), [("pl", "Kontrahenci"), ("ru", "Контрагенты")])
def test_cost_pages_speak_polish_and_russian(admin_client, lang, word):
    p = party()
    inv(p, "F/1", "2024-01-31", "10.00")
    for url in ("/costs/counterparties/", f"/costs/counterparties/{p.pk}/", "/costs/reports/costs/", "/"):
        r = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert r.status_code == 200
    assert word in admin_client.get("/costs/counterparties/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
