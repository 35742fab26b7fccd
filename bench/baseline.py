"""The original module's full synchronization, ported as a baseline to measure ours against.

    FORECASTER_DATA_DIR=… python -m bench.baseline SYSTEM_ID

What the original did on "Full synchronization": delete every invoice of the system, then
fetch the invoices page by page (Step per request) and write each one with its own INSERT,
committed on its own. Nothing is staged, so until it finishes the reports show a partial copy
(and a crash leaves one). It is here only to be timed; it is not product code.

Prints one JSON line: ``{"seconds": …, "requests": …, "invoices": …}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from decimal import Decimal


def run(system_id: int) -> dict:
    """Delete all, then one autocommitted INSERT per fetched invoice."""
    import httpx
    from django.db import connection
    from django.utils import timezone

    from forecaster.currency.money import base_amounts
    from forecaster.sync.models import Invoice
    from forecaster.systems.models import AccountingSystem

    system = AccountingSystem.objects.get(pk=system_id)
    secret = system.get_secret()
    rate = system.exchange_rate
    started = time.perf_counter()
    Invoice.objects.filter(system=system).delete()  # the original's first step

    # One INSERT statement per invoice, in autocommit mode: each is its own transaction.
    fields = [f for f in Invoice._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(Invoice._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # names from the model

    requests = invoices = start = 0
    with httpx.Client(timeout=60) as client, connection.cursor() as cursor:
        while True:
            response = client.post(system.url, data={
                "action": "GetInvoices", "identifier": system.identifier, "secret": secret,
                "responsetype": "json", "status": "Paid", "orderby": "id", "order": "asc",
                "limitstart": str(start), "limitnum": str(system.step),
            })  # fmt: skip
            requests += 1
            body = json.loads(response.content, parse_float=Decimal)
            page = body.get("invoices") or {}
            rows = page.get("invoice", []) if isinstance(page, dict) else []
            for row in rows:
                invoice = _invoice(system, row, rate, base_amounts)
                invoice.synced_at = timezone.now()
                values = [f.get_db_prep_save(getattr(invoice, f.attname), connection) for f in fields]
                cursor.execute(sql, values)
                invoices += 1
            start += len(rows)
            if not rows or start >= int(body.get("totalresults", 0)):
                break
    return {"seconds": time.perf_counter() - started, "requests": requests, "invoices": invoices}


def _invoice(system, row: dict, rate: Decimal, base_amounts):
    from django.utils import timezone

    from forecaster.sync.models import Invoice

    subtotal, tax, tax2 = Decimal(row["subtotal"]), Decimal(row["tax"]), Decimal(row["tax2"])
    paid = row.get("datepaid") or ""
    date_paid = None
    if paid and not paid.startswith("0000"):
        date_paid = timezone.make_aware(datetime.fromisoformat(paid), timezone.get_default_timezone())
    net_base, tax_base = base_amounts(rate, subtotal, tax, tax2)
    invoice = Invoice(
        system=system, whmcs_id=int(row["id"]), number=row.get("invoicenum") or "",
        date=datetime.strptime(row["date"], "%Y-%m-%d").date(), date_paid=date_paid,
        status=row["status"], subtotal=subtotal, tax=tax, tax2=tax2,
        credit=Decimal(row["credit"]), total=Decimal(row["total"]),
        taxrate=Decimal(row["taxrate"]), taxrate2=Decimal(row["taxrate2"]),
        currency=row.get("currencycode", ""), rate=rate,
        net_base=net_base, tax_base=tax_base,
    )  # fmt: skip
    # Fields other apps may add later keep their model defaults.
    for field in Invoice._meta.concrete_fields:
        if getattr(invoice, field.attname, None) is None and field.has_default():
            setattr(invoice, field.attname, field.get_default())
    return invoice


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", type=int, help="the system's id")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    import django

    django.setup()
    print(json.dumps(run(args.system)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
