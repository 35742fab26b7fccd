"""Time the revenue report and the report pages over a large synthetic invoice set.

    FORECASTER_DATA_DIR=/tmp/bench python -m forecaster.reports.benchmark --invoices 1000000

Fills a fresh database (migrate first) with ``--invoices`` paid invoices over ten years in
``--systems`` systems, rebuilds the aggregates as a full sync does, then prints the median
time of ``revenue(by=...)`` and of the dashboard and revenue pages. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--systems", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client

    from forecaster.reports import aggregates
    from forecaster.reports.queries import revenue
    from forecaster.sync.models import Invoice
    from forecaster.systems.models import AccountingSystem

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    if not Invoice.objects.exists():
        start = date(2016, 11, 1)
        t0 = time.perf_counter()
        per_system = args.invoices // args.systems
        for n in range(args.systems):
            system = AccountingSystem.objects.create(
                name=f"bench-{n}",
                url="https://bench.example/includes/api.php",
                identifier="bench",
                exchange_rate=Decimal("0.25"),
            )
            batch = []
            with transaction.atomic():
                for i in range(per_system):
                    day = start + timedelta(days=rng.randrange(3650))
                    net = Decimal(rng.randrange(100, 100000)).scaleb(-2)
                    tax = (net * Decimal("0.23")).quantize(Decimal("0.01"))
                    batch.append(
                        Invoice(
                            system=system,
                            whmcs_id=i + 1,
                            number=f"FV/{i + 1}",
                            date=day,
                            date_paid=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                            status="Paid",
                            subtotal=net,
                            tax=tax,
                            tax2=Decimal("0.00"),
                            credit=Decimal("0.00"),
                            total=net + tax,
                            taxrate=Decimal("23"),
                            taxrate2=Decimal("0"),
                            currency="PLN",
                            rate=Decimal("0.25"),
                            net_base=(net * Decimal("0.25")).quantize(Decimal("0.01")),
                            tax_base=(tax * Decimal("0.25")).quantize(Decimal("0.01")),
                        )
                    )
                    if len(batch) == 5000:
                        Invoice.objects.bulk_create(batch)
                        batch = []
                Invoice.objects.bulk_create(batch)
            t1 = time.perf_counter()
            with transaction.atomic():
                aggregates.refresh(system.pk)
            print(
                f"system {n}: {per_system} invoices inserted in {t1 - t0:.1f} s, "
                f"aggregates rebuilt in {time.perf_counter() - t1:.1f} s"
            )
            t0 = time.perf_counter()

    def timed(label: str, fn) -> None:
        fn()  # warm up
        samples = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1000)
        print(f"{label:<36} median {statistics.median(samples):7.1f} ms   max {max(samples):7.1f} ms")

    print(f"invoices held: {Invoice.objects.count()}")
    timed('revenue(by="month")', lambda: revenue(by="month"))
    timed('revenue(by="year")', lambda: revenue(by="year"))
    timed('revenue(by="day")', lambda: revenue(by="day"))
    timed('revenue(by="month", basis="paid")', lambda: revenue(by="month", basis="paid"))
    user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_user(
        "bench", password="bench-password-1", is_staff=True
    )
    client = Client()
    client.force_login(user)
    for url in [
        "/",
        "/reports/revenue/",
        "/reports/revenue/?by=day",
        "/reports/revenue/export.csv",
        "/reports/revenue/export.xlsx",
        f"/reports/rates/{AccountingSystem.objects.first().pk}/",
    ]:
        status = client.get(url).status_code
        assert status == 200, (url, status)
        timed(f"GET {url}", lambda url=url: client.get(url))


if __name__ == "__main__":
    main()
