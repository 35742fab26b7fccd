"""Builders for the cost side that read like the contract: ``agreement(expires="2027-03-31",
notice=(3, "months"), renews=True)``, ``commitment("Transit", amount="1000.00", agreement=a)``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from forecaster.costs.models import Agreement, Commitment, CostInvoice, Counterparty, PriceStep

D = date.fromisoformat


def party(name: str = "Datacenter One") -> Counterparty:
    return Counterparty.objects.get_or_create(company_name=name)[0]


def agreement(
    title: str = "Colocation",
    starts: str = "2024-01-01",
    expires: str | None = "2026-12-31",
    notice: tuple[int, str] | None = (3, "months"),
    renews: bool = False,
    renewal_months: int | None = None,
    **extra,
) -> Agreement:
    return Agreement.objects.create(
        counterparty=party(),
        title=title,
        starts_on=D(starts),
        expires_on=D(expires) if expires else None,
        indefinite=expires is None,
        notice_value=notice[0] if notice else None,
        notice_unit=notice[1] if notice else "months",
        tacit_renewal=renews,
        renewal_months=renewal_months,
        **extra,
    )


def commitment(
    name: str,
    amount: str | None = None,
    currency: str = "USD",
    frequency: str = "monthly",
    agreement: Agreement | None = None,
    starts: str | None = None,
    ends: str | None = None,
    indefinite: bool = False,
    steps: dict[str, str] | None = None,
    **extra,
) -> Commitment:
    c = Commitment.objects.create(
        name=name,
        counterparty=None if agreement else party(),
        agreement=agreement,
        starts_on=D(starts) if starts else None,
        ends_on=D(ends) if ends else None,
        indefinite=indefinite,
        expected_amount=Decimal(amount) if amount is not None else None,
        expected_currency=currency if amount is not None else "",
        frequency=frequency,
        **extra,
    )
    for day, value in (steps or {}).items():
        PriceStep.objects.create(commitment=c, effective_on=D(day), amount=Decimal(value))
    return c


_numbers = iter(range(1, 10**9))


def cost(
    day: str,
    net: str,
    vat: str = "0.00",
    currency: str = "USD",
    commitment: Commitment | None = None,
    due=None,
) -> CostInvoice:
    return CostInvoice.objects.create(
        counterparty=party(),
        number=f"C/{next(_numbers)}",
        document_date=D(day),
        due_date=D(due) if due else None,
        net=Decimal(net),
        vat=Decimal(vat),
        gross=Decimal(net) + Decimal(vat),
        currency=currency,
        commitment=commitment,
    )
