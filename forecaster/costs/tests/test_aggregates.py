"""The maintained aggregates agree with the invoices after every kind of change, and reports
over ranges that cut months in half add the partial months from the invoices."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from forecaster.costs import aggregates, periods, queries
from forecaster.costs.models import Commitment, CostDay, CostInvoice, Tag
from forecaster.costs.tests.builders import commitment, inv, party

pytestmark = pytest.mark.django_db
D = date


def by_hand(by: str, date_from=None, date_to=None) -> dict:
    """The report computed in Python from the invoices themselves."""
    out: dict = defaultdict(lambda: Decimal("0.00"))
    for i in CostInvoice.objects.prefetch_related("tags"):
        if (date_from and i.document_date < date_from) or (date_to and i.document_date > date_to):
            continue
        if by == "month":
            keys = [f"{i.document_date:%Y-%m}"]
        elif by == "counterparty":
            keys = [str(i.counterparty_id)]
        elif by == "commitment":
            keys = [str(i.commitment_id or "")]
        else:
            keys = [str(t.pk) for t in i.tags.all()] or [""]
        for k in keys:
            out[k] += i.gross_base
    return dict(out)


def report(by: str, date_from=None, date_to=None) -> dict:
    return {r.key: r.gross for r in queries.costs(date_from, date_to, by=by).rows}


def commitments_by_hand() -> dict:
    """``{commitment id: (net, gross, first document date, last)}`` from the invoices themselves."""
    out: dict = {}
    for i in CostInvoice.objects.exclude(commitment=None):
        net, gross, first, last = out.get(i.commitment_id, (Decimal("0.00"), Decimal("0.00"), None, None))
        first = i.document_date if first is None else min(first, i.document_date)
        last = i.document_date if last is None else max(last, i.document_date)
        out[i.commitment_id] = (net + i.net_base, gross + i.gross_base, first, last)
    return out


def check_all() -> None:
    assert periods.invoice_totals() == commitments_by_hand()
    for by in ("month", "counterparty", "commitment", "tag"):
        for window in [
            (None, None),
            (D(2024, 1, 15), D(2024, 3, 10)),
            (D(2024, 2, 1), D(2024, 2, 29)),
            (D(2024, 2, 3), D(2024, 2, 20)),
            (None, D(2024, 2, 10)),
            (D(2024, 2, 10), None),
        ]:
            assert report(by, *window) == by_hand(by, *window), (by, window)


def test_aggregates_follow_edits_deletes_tags_and_commitment_deletes():
    a, b = party("A"), party("B")
    c = commitment("Rack", counterparty=a)
    power, rack = Tag.objects.create(name="power"), Tag.objects.create(name="rack")
    i1 = inv(a, "1", "2024-01-31", "10.00", "2.30", commitment=c)
    i2 = inv(a, "2", "2024-02-01", "100.00", "23.00", commitment=c)
    i3 = inv(b, "3", "2024-02-15", "7.77", "0.00")
    inv(b, "4", "2024-03-31", "1.01", "0.23")
    i1.tags.add(power)
    i2.tags.add(rack)
    i3.tags.add(rack, power)
    check_all()
    i2.document_date = D(2024, 3, 5)  # moves to another month
    i2.save()
    check_all()
    other = commitment("Transit", counterparty=a)
    i1.commitment = other  # same day and amounts, another commitment
    i1.save()
    check_all()
    i1.document_date = D(2024, 1, 2)  # same month and commitment, another day
    i1.save()
    check_all()
    i1.commitment = c
    i1.save()
    check_all()
    i3.delete()
    check_all()
    i1.tags.clear()
    i2.tags.remove(rack)
    check_all()
    Commitment.objects.get(pk=c.pk).delete()
    check_all()
    assert CostDay.objects.filter(day=D(2024, 2, 1)).count() == 0


def test_rebuild_equals_the_upkeep():
    p = party()
    c = commitment("Rack", counterparty=p)
    for n, day in enumerate(("2023-12-31", "2024-01-01", "2024-01-01", "2024-02-29")):
        inv(p, str(n), day, "3.33", "0.77", commitment=c if n % 2 else None)
    before = {r.key: r for r in queries.costs(by="day").rows}
    aggregates.rebuild()
    assert {r.key: r for r in queries.costs(by="day").rows} == before
    assert periods.invoice_totals() == commitments_by_hand()
    assert queries.total().gross == Decimal("16.40")
