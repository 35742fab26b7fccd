"""Fill a data directory with cost invoices for the latency figures (``make bench``).

    FORECASTER_DATA_DIR=… [DATABASE_URL=…] python -m bench.costs_seed --count 100000

Creates 200 counterparties, 400 commitments, 12 tags and ``--count`` cost invoices spread over
the last five years in three currencies (fixed rates, so no ECB lookup), a third of them tagged.
Rows are written with ``bulk_create`` and the same conversion the model's ``save`` does, then
the report aggregates are rebuilt; the change history is not written (no report reads it).
Prints one JSON line of counts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import date, timedelta
from decimal import Decimal


def seed(count: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    import django

    django.setup()
    from django.db import transaction

    from forecaster.costs import aggregates
    from forecaster.costs.models import Commitment, CostCurrencyRate, CostInvoice, Counterparty, Tag
    from forecaster.currency.base import base_currency
    from forecaster.currency.money import base_amounts

    base = base_currency()
    rates = {"EUR": Decimal("1.080000"), "PLN": Decimal("0.250000"), base: Decimal("1.000000")}
    rnd = random.Random(7)
    today = date.today()
    with transaction.atomic():
        for cur, rate in rates.items():
            if cur != base:
                CostCurrencyRate.objects.update_or_create(currency=cur, defaults={"rate": rate})
        parties = Counterparty.objects.bulk_create(
            [Counterparty(company_name=f"Supplier {i}", name_key=f"supplier {i}") for i in range(200)]
        )
        commitments = Commitment.objects.bulk_create(
            [Commitment(name=f"Commitment {i}", counterparty=parties[i % 200]) for i in range(400)]
        )
        tags = Tag.objects.bulk_create([Tag(name=f"bench-tag-{i}") for i in range(12)])
        batch: list[CostInvoice] = []
        currencies = list(rates)
        for n in range(count):
            cur = currencies[n % len(currencies)]
            net = Decimal(rnd.randint(100, 2_000_000)) / 100
            vat = (net * Decimal("0.23")).quantize(Decimal("0.01"))
            c = commitments[n % 400] if n % 5 else None
            p = c.counterparty if c else parties[n % 200]
            net_base, vat_base = base_amounts(rates[cur], net, vat)
            batch.append(
                CostInvoice(
                    counterparty=p,
                    number=f"B-{n}",
                    document_date=today - timedelta(days=rnd.randint(0, 5 * 365)),
                    net=net,
                    vat=vat,
                    gross=net + vat,
                    currency=cur,
                    rate=rates[cur],
                    rate_kind="specific",
                    base_currency=base,
                    net_base=net_base,
                    vat_base=vat_base,
                    net_base_cents=int(net_base * 100),
                    vat_base_cents=int(vat_base * 100),
                    commitment=c,
                )
            )
            if len(batch) == 5000:
                CostInvoice.objects.bulk_create(batch)
                batch = []
        if batch:
            CostInvoice.objects.bulk_create(batch)
        through = CostInvoice.tags.through
        ids = list(CostInvoice.objects.filter(number__startswith="B-").values_list("id", flat=True))
        links = [through(costinvoice_id=i, tag_id=tags[i % 12].pk) for i in ids if i % 3 == 0]
        through.objects.bulk_create(links, batch_size=5000)
        aggregates.rebuild()  # bulk_create bypasses the per-save upkeep
    return {"cost_invoices": count, "tagged": len(links)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(seed(args.count)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
