"""The one place tests build their data: accounting systems and invoices that read like money.

    system = make_system(name="PL", rate="0.25")            # a system on an example URL
    system = make_system(sb, step=10)                       # pointed at a running sandbox
    inv(system, id=7, date="2024-01-31", net="10.00", tax="2.30")
    assert_exact(system, sb)                                 # local copy == the sandbox's paid set

Invoices are stored the way the sync engine stores them — original amounts kept, the rate and
the converted amounts from the per-invoice money rule — then the aggregates are refreshed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from forecaster.currency.rates import RateBook, convert_invoice
from forecaster.reports import aggregates
from forecaster.sync.models import PAID, Invoice
from forecaster.systems.models import AccountingSystem

# Step of a system pointed at a sandbox: small, so a test sandbox of 100–200 invoices takes pages.
SANDBOX_STEP = 25


def make_system(
    sandbox=None,
    *,
    name: str = "Main WHMCS",
    rate: str = "1",
    secret: str | None = None,
    **fields,
) -> AccountingSystem:
    """A saved accounting system.

    With ``sandbox`` (a running ``SandboxServer``) it points at it, with the sandbox's identifier
    and secret and Step 25 unless given. Without, it gets an example URL and identifier derived
    from ``name`` and a secret only when ``secret`` is given. Any other model field may be passed.
    """
    if sandbox is not None:
        fields.setdefault("url", sandbox.url)
        fields.setdefault("identifier", sandbox.identifier)
        fields.setdefault("step", SANDBOX_STEP)
        secret = sandbox.secret if secret is None else secret
    else:
        fields.setdefault("url", f"https://{name.lower()}.example/includes/api.php")
        fields.setdefault("identifier", f"id-{name}")
    system = AccountingSystem(name=name, exchange_rate=Decimal(rate), **fields)
    if secret is not None:
        system.set_secret(secret)
    system.save()
    return system


def inv(
    sys: AccountingSystem,
    id: int,
    date: str,
    net: str,
    tax: str = "0.00",
    tax2: str = "0.00",
    currency: str = "USD",
    status: str = PAID,
    paid: str | None = None,
    refresh: bool = True,
) -> Invoice:
    """One invoice; ``paid`` is the date paid (default: the invoice date, at noon UTC)."""
    day = _date(date)
    paid_day = _date(paid) if paid else day
    book = RateBook(sys)
    rate, net_base, tax_base = convert_invoice(book, currency, day, Decimal(net), Decimal(tax), Decimal(tax2))
    total = Decimal(net) + Decimal(tax) + Decimal(tax2)
    row = Invoice.objects.create(
        system=sys,
        whmcs_id=id,
        number=f"FV/{id}",
        date=day,
        date_paid=datetime(paid_day.year, paid_day.month, paid_day.day, 12, tzinfo=UTC),
        status=status,
        subtotal=Decimal(net),
        tax=Decimal(tax),
        tax2=Decimal(tax2),
        credit=Decimal("0.00"),
        total=total,
        taxrate=Decimal("0"),
        taxrate2=Decimal("0"),
        currency=currency,
        rate=rate,
        net_base=net_base,
        tax_base=tax_base,
    )
    if refresh:
        aggregates.refresh(sys.pk)
    return row


def _date(value: str) -> date:
    return date.fromisoformat(value)


def held(system) -> dict[int, dict]:
    """The invoices held for ``system`` in the shape of ``SandboxServer.paid_invoices()``."""
    out = {}
    for row in Invoice.objects.filter(system=system):
        out[row.whmcs_id] = {
            "invoicenum": row.number,
            "date": row.date,
            "datepaid": row.date_paid.replace(tzinfo=None) if row.date_paid else None,
            "subtotal": row.subtotal,
            "credit": row.credit,
            "tax": row.tax,
            "tax2": row.tax2,
            "total": row.total,
            "taxrate": row.taxrate,
            "taxrate2": row.taxrate2,
            "currencycode": row.currency,
            "status": row.status,
        }
    return out


def assert_exact(system, sb) -> None:
    """Held invoices equal the sandbox's paid set, field by field, to the cent."""
    mine, theirs = held(system), sb.paid_invoices()
    missing = sorted(set(theirs) - set(mine))
    extra = sorted(set(mine) - set(theirs))
    assert not missing and not extra, f"missing {missing[:10]}, extra {extra[:10]}"
    diff = [i for i in theirs if mine[i] != theirs[i]]
    assert not diff, f"differs: {diff[:5]}: {mine[diff[0]]} != {theirs[diff[0]]}"
