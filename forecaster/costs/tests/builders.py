"""Tiny builders for cost tests: ``party("DC")``, ``inv(p, "F/1", "2024-01-31", "10.00", "2.30")``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from forecaster.costs.models import Agreement, Commitment, CostInvoice, Counterparty


def d(text: str | date | None) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) else text


def party(name: str = "Datacenter One", **kw) -> Counterparty:
    return Counterparty.objects.create(company_name=name, **kw)


def agreement(
    p: Counterparty, title: str = "Rack", starts="2024-01-01", expires="2024-12-31", **kw
) -> Agreement:
    return Agreement.objects.create(
        counterparty=p,
        title=title,
        starts_on=d(starts),
        expires_on=d(expires),
        indefinite=expires is None,
        **kw,
    )


def commitment(name: str = "Transit", **kw) -> Commitment:
    for key in ("starts_on", "ends_on"):
        if key in kw:
            kw[key] = d(kw[key])
    return Commitment.objects.create(name=name, **kw)


def inv(
    p: Counterparty, number: str, day: str, net: str, vat: str = "0.00", currency: str = "USD", **kw
) -> CostInvoice:
    return CostInvoice.objects.create(
        counterparty=p,
        number=number,
        document_date=d(day),
        net=Decimal(net),
        vat=Decimal(vat),
        gross=Decimal(net) + Decimal(vat),
        currency=currency,
        **kw,
    )
