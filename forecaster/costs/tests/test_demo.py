"""`forecaster demo` fills an empty installation and refuses to run twice."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from forecaster.costs.models import Agreement, Annex, CostInvoice, Counterparty

pytestmark = pytest.mark.django_db


def test_demo_fills_every_cost_page(admin_user, capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert "Demo costs loaded" in out and "forecaster sandbox" in out
    assert Counterparty.objects.count() >= 4 and Annex.objects.count() >= 3
    assert set(CostInvoice.objects.values_list("currency", flat=True)) == {"EUR", "PLN"}
    dates = CostInvoice.objects.order_by("document_date").values_list("document_date", flat=True)
    assert (dates.last() - dates.first()).days > 600
    assert Agreement.objects.filter(notice_value__isnull=False).count() >= 3
    client = Client()
    client.force_login(admin_user)
    for url in (
        "/",
        "/costs/counterparties/",
        "/costs/agreements/",
        "/costs/commitments/",
        "/costs/invoices/",
        "/costs/reports/costs/?by=counterparty",
        "/costs/reports/result/",
    ):
        assert client.get(url).status_code == 200, url
    for model in (Counterparty, Agreement):
        for obj in model.objects.all():
            assert client.get(obj.get_absolute_url()).status_code == 200
    with pytest.raises(CommandError, match="already exists"):
        call_command("demo")
