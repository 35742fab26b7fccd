"""Small builders shared by the sync tests."""

from __future__ import annotations

from decimal import Decimal

from forecaster.sync.models import Invoice
from forecaster.systems.models import AccountingSystem


def make_system(
    sb, *, name: str = "Main WHMCS", step: int = 25, rate: str = "1", auto_sync: bool = False
) -> AccountingSystem:
    """An accounting system pointed at a running sandbox."""
    system = AccountingSystem(
        name=name,
        url=sb.url,
        identifier=sb.identifier,
        step=step,
        exchange_rate=Decimal(rate),
        auto_sync=auto_sync,
    )
    system.set_secret(sb.secret)
    system.save()
    return system


def held(system) -> dict[int, dict]:
    """The invoices held for ``system`` in the shape of ``SandboxServer.paid_invoices()``."""
    out = {}
    for inv in Invoice.objects.filter(system=system):
        out[inv.whmcs_id] = {
            "invoicenum": inv.number,
            "date": inv.date,
            "datepaid": inv.date_paid.replace(tzinfo=None) if inv.date_paid else None,
            "subtotal": inv.subtotal,
            "credit": inv.credit,
            "tax": inv.tax,
            "tax2": inv.tax2,
            "total": inv.total,
            "taxrate": inv.taxrate,
            "taxrate2": inv.taxrate2,
            "currencycode": inv.currency,
            "status": inv.status,
        }
    return out


def expected(sb) -> dict[int, dict]:
    return sb.paid_invoices()


def assert_exact(system, sb) -> None:
    """Held invoices equal the sandbox's paid set, field by field, to the cent."""
    mine, theirs = held(system), expected(sb)
    missing = sorted(set(theirs) - set(mine))
    extra = sorted(set(mine) - set(theirs))
    assert not missing and not extra, f"missing {missing[:10]}, extra {extra[:10]}"
    diff = [i for i in theirs if mine[i] != theirs[i]]
    assert not diff, f"differs: {diff[:5]}: {mine[diff[0]]} != {theirs[diff[0]]}"
