"""No money is counted twice: for any mix of deposits (all spent), invoices paid from credit,
mass payments, refunds and chargebacks, the revenue summed over all periods equals the money
received minus the money returned (the sandbox's ``cash``), per currency — one WHMCS per
currency, each synced over real HTTP and read through the CLI report."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecaster.sandbox.testing import running_sandbox
from forecaster.sync.engine import run_sync
from forecaster.systems.models import AccountingSystem
from tests.builders import make_system

START = date(2024, 1, 1)
PRICES = ["4.99", "10.00", "19.95", "120.00", "0.01"]
TAX_RATES = ["0", "8", "23"]

days = st.integers(min_value=0, max_value=900)
lines = st.tuples(st.sampled_from(PRICES), st.sampled_from(TAX_RATES), days)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("sale"), lines),
        st.tuples(st.just("deposit"), st.lists(lines, min_size=1, max_size=3)),
        st.tuples(st.just("mass"), st.lists(lines, min_size=2, max_size=4)),
        st.tuples(st.just("refund"), st.integers(0, 50), st.sampled_from([None, 1, 2, 3])),
        st.tuples(st.just("chargeback"), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=12,
)


def _when(day: int, hour: int = 10) -> datetime:
    return datetime.combine(START + timedelta(days=day), datetime.min.time()) + timedelta(hours=hour)


def _invoice(state, userid: int, line: tuple, **kwargs) -> int:
    price, tax, day = line
    return state.add_invoice(
        userid=userid, subtotal=price, taxrate=tax, invoice_date=START + timedelta(days=day), **kwargs
    )


def _play(state, ops) -> None:
    """Book ``ops`` in the sandbox the way WHMCS would."""
    userid = next(iter(state.clients))
    sales: list[int] = []  # invoices paid with money: the ones a refund can take back
    for op in ops:
        kind = op[0]
        if kind == "sale":
            sales.append(_invoice(state, userid, op[1], status="Paid", paid_at=_when(op[1][2])))
        elif kind == "deposit":
            first = min(d for _p, _t, d in op[1])
            spent = [_invoice(state, userid, line, status="Draft") for line in op[1]]
            rows = [state.row_of(i) for i in spent]
            amount = sum(state.subtotal[r] + state.tax[r] + state.tax2[r] for r in rows)
            state.add_deposit(userid=userid, amount=Decimal(amount) / 100, when=_when(first, 8))
            for invoice_id, (_p, _t, d) in zip(spent, op[1], strict=True):
                r = state.row_of(invoice_id)
                state.credit[r] = state.subtotal[r] + state.tax[r] + state.tax2[r]
                state.total[r] = 0
                state.set_status(invoice_id, "Unpaid")
                state.pay(invoice_id, when=_when(max(d, first), 12))
        elif kind == "mass":
            children = [_invoice(state, userid, line, status="Unpaid") for line in op[1]]
            state.add_mass_payment(children, when=_when(max(d for _p, _t, d in op[1]) + 3))
        elif sales:
            invoice_id = sales[op[1] % len(sales)]
            row = state.row_of(invoice_id)
            left = state._refundable(row)
            if left <= 0:
                continue  # nothing left to take back
            when = datetime(2026, 11, 1) + timedelta(hours=op[1])
            if kind == "chargeback":
                state.chargeback(invoice_id, when=when)
            elif op[2] is None or left < 4:
                state.refund(invoice_id, when=when)
            else:
                state.refund(invoice_id, when=when, amount=Decimal(left * op[2] // 4) / 100)


def _revenue_total(system: AccountingSystem, basis: str) -> Decimal:
    out = io.StringIO()
    call_command(
        "report", "revenue", "--by", "year", "--basis", basis, "--system", str(system.pk),
        "--format", "json", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return Decimal(json.loads(out.getvalue())["total"]["gross"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["USD", "EUR", "PLN"]), operations, min_size=1, max_size=2))
def test_no_money_is_counted_twice(db, by_currency):
    AccountingSystem.objects.all().delete()
    for currency, ops in by_currency.items():
        perms = ["getinvoices", "getinvoice", "gettransactions"]
        with running_sandbox(invoices=0, currency=currency, permissions=perms) as sb:
            _play(sb.state, ops)
            system = make_system(sb, name=f"WHMCS {currency}", step=7)
            run = run_sync(system, "full", "cli")
            assert run.status == "succeeded", run.error_message
            received_minus_returned = sum(sb.cash(by="year").values(), Decimal("0.00"))
            for basis in ("invoice", "paid"):
                assert _revenue_total(system, basis) == received_minus_returned, (currency, basis)
