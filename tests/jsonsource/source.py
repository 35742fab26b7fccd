"""The JSON-file source: the system's URL field holds the path of a file like

{"invoices": [{"id": 7, "number": "A-7", "date": "2024-01-31", "paid": "2024-02-01 10:00:00",
               "net": "10.00", "tax": "2.30", "currency": "EUR", "status": "Paid"},
              {"id": 8, ..., "kind": "deposit"}, {"id": 9, ..., "status": "Refunded"}],
 "transactions": [{"id": 1, "invoice": 9, "date": "2024-03-05", "out": "12.30"}]}

A page none of whose invoices has ``net`` is a changed format (:class:`FormatChanged`, in the
seam's own words). An invoice's ``kind`` (``sale`` unless given) and the transactions are what
the sync's ledger reads through the seam (``tells_invoice_kinds``, ``lists_transactions``,
``returned_statuses``); :class:`PaidOnlyJsonSource` offers none of it, as a source that cannot
tell them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from forecaster.systems.source import (
    SALE,
    BadRecord,
    ConnectionResult,
    FormatChanged,
    InvoiceDetails,
    InvoiceRecord,
    InvoiceSource,
    Transaction,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FilePage:
    total: int
    start: int
    returned: int
    records: list


class JsonFileSource(InvoiceSource):
    """Every request reads the file again, so a test can change it between syncs."""

    tells_invoice_kinds = True
    lists_transactions = True
    returned_statuses = ("Refunded",)

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests_made = 0
        self.notes: list[str] = []

    @classmethod
    def for_system(cls, system: object) -> JsonFileSource:
        return cls(Path(system.url))  # type: ignore[attr-defined]

    def get_invoices(
        self,
        *,
        limitstart: int = 0,
        limitnum: int = 25,
        status: str = "Paid",
        orderby: str = "id",
        order: str = "asc",
    ) -> FilePage:
        rows = self._read()["invoices"]
        rows = [r for r in rows if not status or r.get("status", "Paid") == status]
        rows.sort(key=lambda r: r["id"], reverse=order == "desc")
        chunk = rows[limitstart : limitstart + limitnum]
        return FilePage(total=len(rows), start=limitstart, returned=len(chunk), records=chunk)

    def parse_invoice(self, raw: dict, tz: ZoneInfo | None = None) -> InvoiceRecord:
        try:
            net, tax = Decimal(raw["net"]), Decimal(raw["tax"])
            paid = datetime.fromisoformat(raw["paid"]).replace(tzinfo=UTC) if raw.get("paid") else None
            return InvoiceRecord(
                whmcs_id=int(raw["id"]),
                number=str(raw.get("number", "")),
                date=date.fromisoformat(raw["date"]),
                date_paid=paid,
                status=raw.get("status", "Paid"),
                subtotal=net,
                tax=tax,
                tax2=ZERO,
                credit=ZERO,
                total=net + tax,
                taxrate=Decimal("0.000"),
                taxrate2=Decimal("0.000"),
                currency=raw.get("currency", ""),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise BadRecord(self.invoice_id(raw), f"unreadable ({type(exc).__name__})") from None

    def parse_page(
        self, raws: list, tz: ZoneInfo | None = None
    ) -> tuple[list[InvoiceRecord], list[BadRecord]]:
        if raws and not any(isinstance(r, dict) and "net" in r for r in raws):
            raise FormatChanged("net")
        return super().parse_page(raws, tz)

    def invoice_id(self, raw: object) -> int | None:
        value = raw.get("id") if isinstance(raw, dict) else None
        return value if isinstance(value, int) and value > 0 else None

    def test_connection(self) -> ConnectionResult:
        return ConnectionResult(ok=True, paid_invoices=self.get_invoices(limitnum=0).total)

    def invoice_details(self, invoice_id: int) -> InvoiceDetails | None:
        data = self._read()
        raw = next((r for r in data["invoices"] if r["id"] == invoice_id), None)
        if raw is None:
            return None
        txs = [t for t in self._transactions(data) if t.invoice == invoice_id]
        return InvoiceDetails(kind=raw.get("kind", SALE), transactions=txs)

    def transactions(self) -> list[Transaction]:
        return self._transactions(self._read())

    def _read(self) -> dict:
        self.requests_made += 1
        return json.loads(self.path.read_text(), parse_float=Decimal)

    @staticmethod
    def _transactions(data: dict) -> list[Transaction]:
        return [
            Transaction(
                id=t["id"],
                invoice=t["invoice"],
                day=date.fromisoformat(t["date"]),
                money_in=Decimal(t.get("in", "0.00")),
                money_out=Decimal(t.get("out", "0.00")),
            )
            for t in data.get("transactions", [])
        ]


class PaidOnlyJsonSource(JsonFileSource):
    """The same file read as a source that tells paid invoices only: no kinds, no transactions,
    no returned invoices."""

    tells_invoice_kinds = False
    lists_transactions = False
    returned_statuses = ()
