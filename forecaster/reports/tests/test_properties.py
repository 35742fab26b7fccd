"""Property: every grouping's total equals the sum of its rows and the per-invoice rounded sums."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecaster.currency.money import convert
from forecaster.reports import aggregates
from forecaster.reports.queries import revenue
from forecaster.sync.models import PAID, Invoice
from tests.builders import inv, make_system

pytestmark = pytest.mark.django_db(transaction=False)

amounts = st.decimals(min_value=Decimal("-500.00"), max_value=Decimal("99999.99"), places=2)
rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("50"), places=6)
invoice = st.tuples(
    st.integers(0, 2),  # which system
    st.dates(date(2022, 12, 25), date(2024, 1, 8)),  # around year and month edges
    amounts,
    amounts,
    amounts,  # subtotal, tax, tax2
    st.sampled_from([PAID, PAID, PAID, "Refunded", "Unpaid"]),
    st.integers(0, 40),  # days until paid
)


class Rollback(Exception):
    pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    system_rates=st.lists(rates, min_size=3, max_size=3),
    invoices=st.lists(invoice, max_size=25),
    window=st.tuples(st.dates(date(2022, 12, 1), date(2024, 1, 31)), st.integers(0, 400)),
)
def test_totals_are_sums_of_rows_and_of_rounded_invoices(db, system_rates, invoices, window):
    try:
        with transaction.atomic():
            check(system_rates, invoices, window)
            raise Rollback
    except Rollback:
        pass


def check(system_rates, invoices, window):
    systems = [make_system(name=f"S{i}", rate=str(r)) for i, r in enumerate(system_rates)]
    for n, (s, day, net, tax, tax2, status, delay) in enumerate(invoices):
        inv(
            systems[s],
            n,
            day.isoformat(),
            str(net),
            str(tax),
            str(tax2),
            currency="XXX",
            status=status,
            paid=(day + timedelta(days=delay)).isoformat(),
            refresh=False,
        )
    for s in systems:
        aggregates.refresh(s.pk)

    date_from, length = window
    date_to = date_from + timedelta(days=length)
    held = [i for i in Invoice.objects.filter(status=PAID) if date_from <= i.date <= date_to]
    want_net = sum((convert(i.subtotal, i.rate) for i in held), Decimal("0.00"))
    want_tax = sum((convert(i.tax + i.tax2, i.rate) for i in held), Decimal("0.00"))
    for by in ("year", "month", "day"):
        report = revenue(date_from, date_to, by=by)
        total = report.total
        assert total.invoices == len(held) == sum(r.invoices for r in report.rows)
        assert total.net == want_net == sum((r.net for r in report.rows), Decimal("0.00"))
        assert total.tax == want_tax
        assert total.gross == want_net + want_tax
        assert all(r.invoices > 0 for r in report.rows)  # empty periods omitted
        assert [r.period for r in report.rows] == sorted({r.period for r in report.rows})
        per_system = [revenue(date_from, date_to, by=by, system=s.pk).total for s in systems]
        assert sum((p.net for p in per_system), Decimal("0.00")) == total.net
    paid = revenue(by="month", basis="paid").total
    assert paid.invoices == Invoice.objects.filter(status=PAID).count()
