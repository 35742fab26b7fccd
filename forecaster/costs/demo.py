"""Demo data: a small hosting company's costs over the last two years, in EUR and PLN.

    >>> summary = load(today=date(2026, 12, 2))
    >>> summary["cost_invoices"] > 100
    True

Suppliers: a datacenter (colocation, renewing yearly, 3 months' notice, two annexes), an IP
transit carrier (fixed term, then indefinite with 30 days' notice), a licence vendor (yearly
invoices), a landlord (office rent, indefinite, 3 months' notice) and a power company (billed
with the datacenter's rack). Deterministic: the same day gives the same data.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from django.db import transaction

from forecaster.costs import terms as T
from forecaster.costs.models import (
    Agreement,
    Annex,
    Commitment,
    CostInvoice,
    Counterparty,
    PriceStep,
    Tag,
)
from forecaster.costs.signals import demo_loaded

CENT = Decimal("0.01")


def _first(day: date) -> date:
    return day.replace(day=1)


def _vat(net: Decimal, pct: int) -> Decimal:
    return (net * pct / 100).quantize(CENT)


def load(today: date) -> dict[str, int]:
    """Create the demo cost data (in one transaction); ``ValueError`` when cost data exists."""
    if Counterparty.objects.exists() or CostInvoice.objects.exists():
        raise ValueError("cost data already exists; the demo only fills an empty installation")
    rnd = random.Random(today.toordinal())
    start = T.add_months(_first(today), -24)
    with transaction.atomic():
        tags = {
            n: Tag.objects.create(name=n) for n in ("datacenter", "network", "licences", "office", "power")
        }
        dc = Counterparty.objects.create(
            company_name="Nordic Colo GmbH", vat_id="DE 123 456 789", country="DE", city="Frankfurt am Main",
            address="Hanauer Landstraße 300", postcode="60314", email="billing@nordic-colo.example",
        )  # fmt: skip
        transit = Counterparty.objects.create(
            company_name="Baltic Transit Sp. z o.o.", vat_id="PL 526-000-12-46", country="PL",
            city="Warszawa",
            address="ul. Przyokopowa 33", postcode="01-208", email="faktury@baltic-transit.example",
        )  # fmt: skip
        licences = Counterparty.objects.create(
            company_name="PanelSoft Ltd", vat_id="IE 6388047V", country="IE", city="Dublin",
            email="accounts@panelsoft.example",
        )  # fmt: skip
        landlord = Counterparty.objects.create(
            company_name="Biurowiec Mokotów S.A.", vat_id="PL 951-234-56-78", country="PL", city="Warszawa",
            address="ul. Postępu 14", postcode="02-676", first_name="Anna", last_name="Nowak",
        )  # fmt: skip

        # Datacenter: yearly renewal, 3 months' notice; annex 1 raises the price, annex 2 shortens notice.
        colo = Agreement.objects.create(
            counterparty=dc, title="Colocation, 2 racks, Frankfurt", number="NC-2021-118",
            concluded_on=date(start.year - 1, 5, 10), starts_on=date(start.year - 1, 6, 1),
            expires_on=date(start.year, 5, 31), tacit_renewal=True, renewal_months=12,
            notice_value=3, notice_unit="months", price=Decimal("3800.00"), currency="EUR",
        )  # fmt: skip
        step1 = T.add_months(start, 10)
        Annex.objects.create(
            agreement=colo, number="A1", effective_on=step1, price=Decimal("4150.00"), currency="EUR",
            notes="Energy surcharge included in the rack price.",
        )  # fmt: skip
        Annex.objects.create(
            agreement=colo, number="A2", effective_on=T.add_months(start, 18),
            notice_value=60, notice_unit="days",
        )  # fmt: skip
        # Transit: fixed term for a year, then indefinite with 30 days' notice.
        ip = Agreement.objects.create(
            counterparty=transit, title="IP transit 10 Gbit/s", number="BT/2024/77", starts_on=start,
            expires_on=date.fromordinal(T.add_months(start, 12).toordinal() - 1),
            notice_value=1, notice_unit="months", price=Decimal("9500.00"), currency="PLN",
        )  # fmt: skip
        Annex.objects.create(
            agreement=ip, number="1", effective_on=T.add_months(start, 12), indefinite="yes",
            notice_value=30, notice_unit="days", price=Decimal("8900.00"), currency="PLN",
        )  # fmt: skip
        lease = Agreement.objects.create(
            counterparty=landlord, title="Office lease, 2nd floor", number="NAJ/12/2019",
            starts_on=date(start.year - 3, 1, 1), indefinite=True, notice_value=3, notice_unit="months",
            price=Decimal("6200.00"), currency="PLN",
        )  # fmt: skip

        c_colo = Commitment.objects.create(
            name="Colocation Frankfurt", agreement=colo, expected_amount=Decimal("3800.00"),
            expected_currency="EUR", frequency="monthly", schedule_from=date(start.year - 1, 6, 1),
        )  # fmt: skip
        PriceStep.objects.create(commitment=c_colo, effective_on=step1, amount=Decimal("4150.00"))
        c_ip = Commitment.objects.create(
            name="IP transit", agreement=ip, expected_amount=Decimal("9500.00"), expected_currency="PLN",
            frequency="monthly", schedule_from=start,
        )  # fmt: skip
        PriceStep.objects.create(
            commitment=c_ip, effective_on=T.add_months(start, 12), amount=Decimal("8900.00")
        )
        c_lic = Commitment.objects.create(
            name="Control panel licences", counterparty=licences, starts_on=start, indefinite=True,
            expected_amount=Decimal("2400.00"), expected_currency="EUR", frequency="yearly",
        )  # fmt: skip
        c_rent = Commitment.objects.create(
            name="Office rent", agreement=lease, expected_amount=Decimal("6200.00"), expected_currency="PLN",
            frequency="monthly", schedule_from=start,
        )  # fmt: skip

        n = 0
        for k in range(24):
            month = T.add_months(start, k)
            if month > today:
                break
            colo_net = Decimal("4150.00") if month >= step1 else Decimal("3800.00")
            power = Decimal(rnd.randint(61000, 98000)) / 100
            # EU supplier, reverse charge: no VAT on the invoice.
            inv = CostInvoice.objects.create(
                counterparty=dc, number=f"NC-{month:%Y%m}-{118 + k}", document_date=month,
                receipt_date=T.add_months(month, 0).replace(day=3), due_date=month.replace(day=14),
                net=colo_net + power, vat=Decimal("0.00"), gross=colo_net + power, currency="EUR",
                commitment=c_colo, notes="Racks and metered power.",
            )  # fmt: skip
            inv.tags.set([tags["datacenter"], tags["power"]])
            ip_net = Decimal("8900.00") if k >= 12 else Decimal("9500.00")
            last_day = T.add_months(month, 1).toordinal() - 1
            inv = CostInvoice.objects.create(
                counterparty=transit, number=f"FV/{k + 1}/{month:%m/%Y}",
                document_date=date.fromordinal(last_day),
                due_date=date.fromordinal(last_day + 14), net=ip_net, vat=_vat(ip_net, 23),
                gross=ip_net + _vat(ip_net, 23), currency="PLN", commitment=c_ip,
            )  # fmt: skip
            inv.tags.set([tags["network"]])
            rent = Decimal("6200.00") + Decimal(rnd.randint(0, 45000)) / 100  # plus service charges
            inv = CostInvoice.objects.create(
                counterparty=landlord, number=f"{month:%Y}/{month:%m}/C{k + 11}",
                document_date=month.replace(day=5),
                due_date=month.replace(day=15), net=rent, vat=_vat(rent, 23), gross=rent + _vat(rent, 23),
                currency="PLN", commitment=c_rent,
            )  # fmt: skip
            inv.tags.set([tags["office"]])
            n += 3
            if k % 12 == 0:
                inv = CostInvoice.objects.create(
                    counterparty=licences, number=f"PS-{month:%Y}-{4410 + k}",
                    document_date=month.replace(day=2),
                    due_date=month.replace(day=28), net=Decimal("2400.00"), vat=Decimal("0.00"),
                    gross=Decimal("2400.00"), currency="EUR", commitment=c_lic,
                )  # fmt: skip
                inv.tags.set([tags["licences"]])
                n += 1
        roles = {"colocation": c_colo, "transit": c_ip, "licences": c_lic, "rent": c_rent}
        added = demo_loaded.send(sender=load, today=today, commitments=roles)
    return {
        "scenarios": sum(int(count or 0) for _receiver, count in added),
        "counterparties": Counterparty.objects.count(),
        "agreements": Agreement.objects.count(),
        "annexes": Annex.objects.count(),
        "commitments": Commitment.objects.count(),
        "cost_invoices": n,
    }
