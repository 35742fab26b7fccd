"""The cost models' own rules: conversion on save, net + VAT = gross, derived periods, schedules."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from forecaster.costs import periods
from forecaster.costs.conversion import NoRate
from forecaster.costs.models import (
    Agreement,
    Annex,
    Commitment,
    CostCurrencyRate,
    CostInvoice,
    Counterparty,
    PriceStep,
    normalise_vat_id,
)

pytestmark = pytest.mark.django_db
D = date


def party(name="Datacenter One", **kw):
    return Counterparty.objects.create(company_name=name, **kw)


def inv(cp, number, day, net, vat, currency="USD", **kw):
    return CostInvoice.objects.create(
        counterparty=cp,
        number=number,
        document_date=day,
        net=Decimal(net),
        vat=Decimal(vat),
        gross=Decimal(net) + Decimal(vat),
        currency=currency,
        **kw,
    )


def test_invoice_in_base_currency_keeps_its_amounts():
    i = inv(party(), "F/1", D(2024, 1, 31), "10.00", "2.30")
    assert (i.rate, i.rate_kind, i.net_base, i.vat_base, i.gross_base) == (
        Decimal("1.000000"),
        "base",
        Decimal("10.00"),
        Decimal("2.30"),
        Decimal("12.30"),
    )
    assert (i.net_base_cents, i.vat_base_cents) == (1000, 230)


def test_fixed_rate_wins_and_each_amount_rounds_half_up():
    CostCurrencyRate.objects.create(currency="PLN", rate=Decimal("0.250000"))
    i = inv(party(), "F/2", D(2024, 1, 31), "10.02", "2.30", currency="pln")
    # 10.02 × 0.25 = 2.505 → 2.51; 2.30 × 0.25 = 0.575 → 0.58
    assert (i.currency, i.rate_kind, i.net_base, i.vat_base) == (
        "PLN",
        "specific",
        Decimal("2.51"),
        Decimal("0.58"),
    )
    i.refresh_from_db()
    assert i.net == Decimal("10.02")  # the original amount is kept


def test_dated_ecb_rate_when_no_fixed_rate():
    i = inv(party(), "F/3", D(2024, 1, 31), "100.00", "23.00", currency="EUR")
    assert i.rate_kind == "ecb"
    assert i.net_base == (Decimal("100.00") * i.rate).quantize(Decimal("0.01"))


def test_unknown_currency_without_rate_is_refused_and_nothing_is_saved():
    cp = party()
    with pytest.raises(NoRate):
        inv(cp, "F/4", D(2024, 1, 31), "1.00", "0.00", currency="XYZ")
    assert CostInvoice.objects.count() == 0


def test_database_refuses_gross_that_is_not_net_plus_vat():
    cp = party()
    with pytest.raises(IntegrityError), transaction.atomic():
        CostInvoice.objects.create(
            counterparty=cp,
            number="X",
            document_date=D(2024, 1, 1),
            net=Decimal("0.10"),
            vat=Decimal("0.20"),
            gross=Decimal("0.31"),
            currency="USD",
        )
    # 0.1 + 0.2 is exactly 0.3 in money, whatever the engine's number type
    inv(cp, "Y", D(2024, 1, 1), "0.10", "0.20")


def test_vat_ids_are_normalised_per_country():
    assert normalise_vat_id("PL 123-456-32-18", "PL") == "1234563218"
    assert normalise_vat_id("de.123 456 789", "DE") == "123456789"
    a = party("Alpha", vat_id="PL1234563218", country="PL")
    b = Counterparty(company_name="Beta", vat_id="123-456-32-18", country="pl")
    assert [(r, o.pk) for r, o in b.duplicates()] == [("vat", a.pk)]
    other_country = Counterparty(company_name="Gamma", vat_id="1234563218", country="DE")
    assert other_country.duplicates() == []
    same_name = Counterparty(company_name="  alpha ", country="DE")
    assert [(r, o.pk) for r, o in same_name.duplicates()] == [("name", a.pk)]


def test_commitment_bound_to_agreement_follows_its_annexes_and_renewals():
    cp = party()
    ag = Agreement.objects.create(
        counterparty=cp,
        title="Rack",
        starts_on=D(2023, 1, 1),
        expires_on=D(2023, 12, 31),
        notice_value=3,
        notice_unit="months",
    )
    c = Commitment.objects.create(name="Rack", agreement=ag)
    assert periods.period(c, D(2023, 6, 1)) == periods.Period(
        D(2023, 1, 1), D(2023, 12, 31), False, "agreement"
    )
    Annex.objects.create(agreement=ag, effective_on=D(2023, 10, 1), tacit_renewal=True, renewal_months=6)
    assert periods.period(c, D(2024, 1, 2)).end == D(2024, 6, 30)
    assert ag.terms_on(D(2023, 9, 30)).tacit_renewal is False
    Annex.objects.create(agreement=ag, effective_on=D(2024, 3, 1), indefinite="yes")
    assert periods.period(c, D(2024, 3, 1)) == periods.Period(D(2023, 1, 1), None, True, "agreement")


def test_commitment_without_dates_takes_them_from_its_invoices_and_is_flagged_after_end():
    cp = party()
    c = Commitment.objects.create(name="Transit", counterparty=cp)
    assert periods.period(c, D(2024, 1, 1)).source == "none"
    inv(cp, "1", D(2024, 2, 10), "100.00", "0.00", commitment=c)
    inv(cp, "2", D(2024, 4, 10), "100.00", "0.00", commitment=c)
    assert periods.period(c, D(2024, 5, 1)) == periods.Period(
        D(2024, 2, 10), D(2024, 4, 10), False, "invoices"
    )
    assert periods.flagged_ids(D(2024, 5, 1)) == set()
    c.starts_on, c.ends_on = D(2024, 1, 1), D(2024, 3, 31)
    c.save()
    assert periods.flagged_ids(D(2024, 5, 1)) == {c.pk}
    # Jan..Mar = 3 months, 200.00 → 66.67/month; on 1 May nothing is left
    assert periods.to_end(c, D(2024, 5, 1)).net == Decimal("0.00")
    assert periods.to_end(c, D(2024, 3, 1)).net == Decimal("66.67")


def test_schedule_steps_by_calendar_months_with_price_steps():
    c = Commitment.objects.create(
        name="Licences",
        starts_on=D(2024, 1, 31),
        ends_on=D(2024, 12, 31),
        expected_amount=Decimal("100.00"),
        expected_currency="EUR",
        frequency="monthly",
    )
    PriceStep.objects.create(commitment=c, effective_on=D(2024, 3, 1), amount=Decimal("110.00"))
    got = periods.schedule(c, D(2024, 1, 1), D(2024, 4, 30))
    assert got == [
        (D(2024, 1, 31), Decimal("100.00"), "EUR"),
        (D(2024, 2, 29), Decimal("100.00"), "EUR"),
        (D(2024, 3, 31), Decimal("110.00"), "EUR"),
        (D(2024, 4, 30), Decimal("110.00"), "EUR"),
    ]
    c.frequency = "quarterly"
    c.save()
    assert [d for d, _a, _c in periods.schedule(c, D(2024, 1, 1), D(2025, 12, 31))] == [
        D(2024, 1, 31),
        D(2024, 4, 30),
        D(2024, 7, 31),
        D(2024, 10, 31),
    ]
    c.frequency = "one_off"
    c.save()
    assert len(periods.schedule(c, D(2024, 1, 1), D(2025, 12, 31))) == 1
