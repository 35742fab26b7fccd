"""Revenue report queries: groupings, totals and date filters agree with the invoices held."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from forecaster.currency.models import SystemCurrencyRate
from forecaster.currency.money import convert
from forecaster.reports.queries import revenue, total, totals_by_system
from forecaster.sync.models import PAID, Invoice
from tests.builders import inv, make_system

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def three_systems():
    """USD at 1, PLN at 0.25 (with a EUR rate too), EUR at 1.0837: odd cents everywhere."""
    usd = make_system(name="US", rate="1")
    pln = make_system(name="PL", rate="0.25")
    SystemCurrencyRate.objects.create(system=pln, currency="EUR", rate=D("1.08"))
    eur = make_system(name="EU", rate="1.0837")
    inv(usd, 1, "2023-12-31", "100.00", "23.00")
    inv(usd, 2, "2024-01-01", "10.01", "2.30")
    inv(usd, 3, "2024-01-31", "0.05", "0.01", "0.01")
    inv(pln, 1, "2024-01-15", "10.02", "2.31", currency="PLN")  # 2.505 → 2.51, 0.5775 → 0.58
    inv(pln, 2, "2024-02-01", "33.33", "7.67", currency="PLN")
    inv(pln, 3, "2024-02-29", "5.00", "1.15", currency="EUR")  # 5.40, 1.242 → 1.24
    inv(eur, 1, "2024-12-31", "19.99", "4.60", currency="EUR")
    inv(eur, 2, "2025-01-01", "1.00", "0.00", currency="EUR")
    inv(eur, 3, "2024-06-10", "50.00", "11.50", currency="EUR", status="Cancelled")
    return usd, pln, eur


def expected(date_from=None, date_to=None, system_id=None):
    """The per-invoice rounded sums, straight from the invoices held."""
    qs = Invoice.objects.filter(status=PAID)
    if system_id:
        qs = qs.filter(system_id=system_id)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    rows = list(qs)
    for r in rows:  # the stored amounts follow the money rules
        assert D(r.net_base) == convert(D(r.subtotal), D(r.rate))
        assert D(r.tax_base) == convert(D(r.tax) + D(r.tax2), D(r.rate))
    return (
        len(rows),
        sum((D(r.net_base) for r in rows), D("0.00")),
        sum((D(r.tax_base) for r in rows), D("0.00")),
    )


def test_month_rows_match_invoices_to_the_cent(three_systems):
    report = revenue(by="month")
    assert [(r.period, r.invoices, r.net, r.tax, r.gross) for r in report.rows] == [
        ("2023-12", 1, D("100.00"), D("23.00"), D("123.00")),
        ("2024-01", 3, D("10.01") + D("0.05") + D("2.51"), D("2.30") + D("0.02") + D("0.58"), D("15.47")),
        ("2024-02", 2, D("8.33") + D("5.40"), D("1.92") + D("1.24"), D("16.89")),
        ("2024-12", 1, D("21.66"), D("4.99"), D("26.65")),
        ("2025-01", 1, D("1.08"), D("0.00"), D("1.08")),
    ]
    n, net, tax = expected()
    assert (report.total.invoices, report.total.net, report.total.tax) == (n, net, tax)


@pytest.mark.parametrize("by", ["year", "month", "day"])
def test_every_grouping_has_the_same_total(three_systems, by):
    report = revenue(by=by)
    n, net, tax = expected()
    assert (report.total.invoices, report.total.net, report.total.tax) == (n, net, tax)
    assert report.total.gross == net + tax
    assert [r.period for r in report.rows] == sorted(r.period for r in report.rows)
    assert all(len(r.period) == {"year": 4, "month": 7, "day": 10}[by] for r in report.rows)


def test_year_grouping(three_systems):
    report = revenue(by="year")
    assert [(r.period, r.invoices) for r in report.rows] == [("2023", 1), ("2024", 6), ("2025", 1)]


def test_per_system_reports_add_up_to_all_systems(three_systems):
    all_rows = revenue(by="year").total
    parts = [revenue(by="year", system=s.pk).total for s in three_systems]
    assert sum(p.net for p in parts) == all_rows.net
    assert sum(p.tax for p in parts) == all_rows.tax
    assert sum(p.invoices for p in parts) == all_rows.invoices
    for s in three_systems:
        n, net, _tax = expected(system_id=s.pk)
        assert (totals_by_system()[s.pk]["invoices"], totals_by_system()[s.pk]["net"]) == (n, net)


@pytest.mark.parametrize(
    ("date_from", "date_to", "periods"),
    [
        (date(2024, 1, 1), date(2024, 1, 31), ["2024-01"]),  # exact month, both edges inclusive
        (date(2024, 1, 2), date(2024, 1, 14), []),  # edges excluded → nothing
        (date(2023, 12, 31), date(2024, 1, 1), ["2023-12", "2024-01"]),
        (date(2024, 1, 1), date(2024, 12, 31), ["2024-01", "2024-02", "2024-12"]),  # exact year
        (None, date(2023, 12, 31), ["2023-12"]),
        (date(2025, 1, 1), None, ["2025-01"]),
    ],
)
def test_date_filters_are_inclusive_and_exact(three_systems, date_from, date_to, periods):
    report = revenue(date_from, date_to, by="month")
    assert [r.period for r in report.rows] == periods
    n, net, tax = expected(date_from, date_to)
    assert (report.total.invoices, report.total.net, report.total.tax) == (n, net, tax)
    assert total(date_from, date_to) == report.total


def test_edge_month_totals_by_day(three_systems):
    report = revenue(date(2024, 1, 31), date(2024, 2, 1), by="day")
    assert [(r.period, r.invoices) for r in report.rows] == [("2024-01-31", 1), ("2024-02-01", 1)]


def test_paid_basis_dates_by_date_paid(db):
    s = make_system(name="S")
    inv(s, 1, "2024-01-30", "10.00", paid="2024-02-02")
    inv(s, 2, "2024-02-03", "5.00", paid="2024-02-03")
    assert [r.period for r in revenue(by="month").rows] == ["2024-01", "2024-02"]
    paid = revenue(by="month", basis="paid")
    assert [(r.period, r.invoices, r.net) for r in paid.rows] == [("2024-02", 2, D("15.00"))]


def test_unpaid_invoices_never_count(db):
    s = make_system(name="S")
    inv(s, 1, "2024-01-30", "10.00", status="Unpaid")
    inv(s, 2, "2024-01-30", "10.00", status="Refunded")
    assert revenue().rows == []
    assert revenue().total.net == D("0.00")


def test_bad_grouping_is_refused(db):
    with pytest.raises(ValueError):
        revenue(by="week")
    with pytest.raises(ValueError):
        revenue(basis="due")
