"""The JSON-file source: the system's URL field holds the path of a file like

{"invoices": [{"id": 7, "number": "A-7", "date": "2024-01-31", "paid": "2024-02-01 10:00:00",
               "net": "10.00", "tax": "2.30", "currency": "EUR", "status": "Paid"}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from forecaster.systems.source import BadRecord, ConnectionResult, InvoiceRecord, InvoiceSource

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FilePage:
    total: int
    start: int
    returned: int
    records: list


class JsonFileSource(InvoiceSource):
    """Every request reads the file again, so a test can change it between syncs."""

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
        self.requests_made += 1
        rows = json.loads(self.path.read_text(), parse_float=Decimal)["invoices"]
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

    def invoice_id(self, raw: object) -> int | None:
        value = raw.get("id") if isinstance(raw, dict) else None
        return value if isinstance(value, int) and value > 0 else None

    def test_connection(self) -> ConnectionResult:
        return ConnectionResult(ok=True, paid_invoices=self.get_invoices(limitnum=0).total)
