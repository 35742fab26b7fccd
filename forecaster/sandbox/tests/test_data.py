"""The generated data and its mutations: realistic, deterministic, exact to the cent."""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from forecaster.sandbox.data import DatasetSpec, generate
from forecaster.sandbox.testing import running_sandbox
from forecaster.sandbox.tests.helpers import call, fetch_all


@pytest.fixture(scope="module")
def state():
    return generate(DatasetSpec(invoices=5000, seed=11))


def all_rows(state):
    return [state.invoice(i) for i in state.ids()]


def test_same_seed_same_bytes():
    bodies = []
    for _ in range(2):
        with running_sandbox(invoices=300, seed=9) as sb:
            bodies.append(call(sb, limitnum=300, orderby="id").content)
    assert bodies[0] == bodies[1]
    with running_sandbox(invoices=300, seed=10) as sb:
        assert call(sb, limitnum=300, orderby="id").content != bodies[0]


def test_status_mix_is_mostly_paid(state):
    counts = Counter(row["status"] for row in all_rows(state))
    assert counts["Paid"] / 5000 > 0.8
    for status in ("Unpaid", "Cancelled", "Refunded", "Collections", "Payment Pending", "Draft"):
        assert counts[status] > 0, status


def test_ids_have_gaps_and_rise_with_the_date(state):
    ids = state.ids()
    assert len(ids) == 5000 and ids[-1] > 5000
    rows = all_rows(state)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


def test_proforma_numbering(state):
    rows = all_rows(state)
    for row in rows:
        if row["datepaid"] == "0000-00-00 00:00:00":
            assert row["invoicenum"] == ""
        else:
            year = row["datepaid"][:4]
            assert row["invoicenum"].startswith(f"FV/{year}/")
    # Sequential in order of payment within a year, with no holes.
    paid = sorted((r for r in rows if r["invoicenum"]), key=lambda r: r["datepaid"])
    by_year: dict[str, list[int]] = {}
    for row in paid:
        by_year.setdefault(row["invoicenum"][3:7], []).append(int(row["invoicenum"][8:]))
    for numbers in by_year.values():
        assert numbers == list(range(1, len(numbers) + 1))
    # …which is not the id order.
    assert [r["id"] for r in paid] != sorted(r["id"] for r in paid)


def test_amounts_add_up_and_taxes_vary(state):
    rows = all_rows(state)
    for row in rows:
        subtotal, credit, tax, tax2, total = (
            Decimal(row[k]) for k in ("subtotal", "credit", "tax", "tax2", "total")
        )
        assert total == subtotal + tax + tax2 - credit
        assert total >= 0
    assert any(Decimal(r["tax"]) > 0 for r in rows)
    assert any(Decimal(r["tax2"]) > 0 for r in rows)
    assert any(Decimal(r["credit"]) > 0 and Decimal(r["total"]) > 0 for r in rows)
    assert any(Decimal(r["credit"]) > 0 and Decimal(r["total"]) == 0 for r in rows)
    assert any(r["taxrate"] == "23.000" for r in rows)


def test_names_and_notes_are_hostile(state):
    rows = all_rows(state)
    text = " ".join(r["firstname"] + r["lastname"] + r["companyname"] + r["notes"] for r in rows)
    assert "<script>" in text and "&" in text and '"' in text and "'" in text
    assert any(ord(ch) > 0x2FF for ch in text)  # beyond Latin: Cyrillic, CJK…
    assert html.escape(text) != text
    clients = list(state.clients.values())
    assert all("@" in c.email for c in clients)


def test_zero_dates_and_old_rows_without_created_at(state):
    rows = all_rows(state)
    assert any(r["created_at"] == "0000-00-00 00:00:00" for r in rows)
    assert any(r["created_at"] != "0000-00-00 00:00:00" for r in rows)
    refunded = [r for r in rows if r["status"] == "Refunded"]
    assert all(r["date_refunded"] > r["datepaid"] for r in refunded)
    cancelled = [r for r in rows if r["status"] == "Cancelled"]
    assert all(r["date_cancelled"] != "0000-00-00 00:00:00" for r in cancelled)


def test_paid_invoices_are_exact_decimals(state):
    expected = state.paid_invoices()
    assert sorted(expected) == state.ids("Paid")
    some_id = next(iter(expected))
    entry = expected[some_id]
    row = state.invoice(some_id)
    assert entry["total"] == Decimal(row["total"]) and isinstance(entry["total"], Decimal)
    assert str(entry["subtotal"]) == row["subtotal"]
    assert str(entry["taxrate"]) == row["taxrate"]
    assert entry["datepaid"] == datetime.fromisoformat(row["datepaid"])
    assert entry["currencycode"] == "USD" and entry["invoicenum"] == row["invoicenum"]


def test_mutations_show_through_the_api():
    with running_sandbox(invoices=100, seed=3) as sb, httpx.Client() as client:
        state = sb.state
        unpaid = state.ids("Unpaid")[0]
        state.pay(unpaid)
        paid_row = state.invoice(unpaid)
        assert paid_row["status"] == "Paid" and paid_row["invoicenum"].startswith("FV/2026/")
        assert paid_row["datepaid"].startswith("2026-11-23 ")
        assert unpaid in sb.paid_invoices()

        victim = state.ids("Paid")[0]
        state.refund(victim)
        assert victim not in sb.paid_invoices()
        gone = state.ids("Paid")[1]
        state.delete(gone)
        with pytest.raises(KeyError):
            state.invoice(gone)
        cancelled = state.ids("Paid")[2]
        state.cancel(cancelled)

        changed = state.ids("Paid")[3]
        state.set_amounts(changed, subtotal="100.00", tax="23.00", tax2="0", credit="0")
        assert sb.paid_invoices()[changed]["total"] == Decimal("123.00")

        new_id = state.add_invoice(subtotal="10.00", taxrate="23", status="Paid")
        assert new_id > max(state.ids()) - 1
        assert sb.paid_invoices()[new_id]["total"] == Decimal("12.30")

        seen = {i["id"]: i for i in fetch_all(sb, client, status="Paid", orderby="id")}
        assert set(seen) == set(sb.paid_invoices())
        assert seen[changed]["subtotal"] == "100.00"
        assert victim not in seen and gone not in seen and cancelled not in seen

        state.set_status(unpaid, "Unpaid")  # UpdateInvoice can undo a payment
        assert unpaid not in sb.paid_invoices()
        state.pay(unpaid)
        # A repaid invoice keeps its first number.
        assert state.invoice(unpaid)["invoicenum"] == paid_row["invoicenum"]
