"""Read one WHMCS GetInvoices invoice object into the fields we are allowed to keep.

    >>> rec = parse_invoice({"id": 7, "invoicenum": "FV/1", "date": "2024-01-05",
    ...     "datepaid": "0000-00-00 00:00:00", "status": "Paid", "subtotal": "10.00",
    ...     "tax": "2.30", "tax2": "0.00", "credit": "0.00", "total": "12.30",
    ...     "taxrate": "23.000", "taxrate2": "0.000", "currencycode": "PLN",
    ...     "firstname": "never kept"})
    >>> rec.whmcs_id, rec.total, rec.date_paid
    (7, Decimal('12.30'), None)

This is a *whitelist*: only the fields of :class:`InvoiceRecord` are read, so anything else
WHMCS sends (client names, company, e-mail, notes, user id, payment method) is never stored
(product S5, reliability P1/P2); the decoder already drops every other field
(:mod:`~forecaster.systems.whmcs.decoding`, :data:`FIELDS`). Numbers may arrive as ints,
strings or ``Decimal`` (a JSON fraction is decoded as ``Decimal``); older WHMCS versions send
every field as a string.

A record that cannot be read raises :class:`BadRecord`; the sync quarantines it (id + reason,
no content) and goes on. :func:`parse_page` raises :class:`FormatChanged` when a required field
is missing from *every* record of a page: that is a changed API, not a bad record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from forecaster.lib.money import parse_amount
from forecaster.systems.source import BadRecord, FormatChanged, InvoiceRecord, UnpaidRecord
from forecaster.systems.whmcs.decoding import FIELDS

__all__ = [
    "FIELDS",
    "BadRecord",
    "FormatChanged",
    "InvoiceRecord",
    "invoice_id",
    "parse_invoice",
    "parse_page",
    "record_id",
    "whitelisted",
]

_FIELD_SET = frozenset(FIELDS)

# Fields a record cannot be read without. The rest default when absent (older versions).
REQUIRED = ("id", "date", "status", "subtotal", "total")
# Bounds checked before any arithmetic on a value (a quantize of 1e27 raises, a day in year 9999
# overflows when it moves to another time zone, an id of 2**63 does not fit a BIGINT).
#
# Amounts: at most 11 digits before the point (99,999,999,999.99). Two reasons, both about what
# happens after import: (1) every amount then has at most 13 significant digits, and SQLite
# keeps a decimal column's value as a double, read back at 15 significant digits, so a wider
# amount (16 digits: 99,999,999,999,999.99) would come back different and every sync would
# count it "changed" again; (2) reports sum whole cents in 64-bit integers, and with at most
# 10**13 cents an invoice, 922,337 invoices all at the limit still fit (at the old 10**14 limit,
# 1,000 invoices of 99,999,999,999,999.99 overflowed). No real invoice comes near the bound.
AMOUNT_DIGITS = 11
AMOUNT_LIMIT = Decimal(10) ** AMOUNT_DIGITS
_RATE_DIGITS = 7  # DecimalField(max_digits=10, decimal_places=3)
_RATE_LIMIT = Decimal(10) ** _RATE_DIGITS
# Invoice dates and dates paid: years 1900–2999. Any such moment converts to and from any time
# zone without leaving Python's date range (year 1 to 9999).
FIRST_YEAR, LAST_YEAR = 1900, 2999
# WHMCS ids are unsigned integers; ours are stored in a signed 64-bit column.
_ID = re.compile(r"[0-9]{1,19}").fullmatch
ID_LIMIT = 2**63
_CURRENCY = re.compile(r"^[A-Za-z0-9]{1,8}$")
_ZERO_DATES = ("", "0000-00-00", "0000-00-00 00:00:00")
_UTC = ZoneInfo("UTC")
# The shapes WHMCS sends nearly always: "15.95" (amounts) and "23.000" (tax rates). A string of
# exactly this shape is a valid value within the column's limits, and Decimal(text) is already
# what the general path below would return, so it skips the general path's checks. Anything
# else (ints, Decimals, spaces, other scales, junk) takes the general path.
_PLAIN_AMOUNT = re.compile(rf"-?[0-9]{{1,{AMOUNT_DIGITS}}}\.[0-9]{{2}}").fullmatch
_PLAIN_RATE = re.compile(rf"-?[0-9]{{1,{_RATE_DIGITS}}}\.[0-9]{{3}}").fullmatch
# The plain texts already read, and their values (invoices repeat the same few prices, taxes
# and rates): a text of a plain shape gives the same exact Decimal every time, so it is read
# once. Bounded: emptied when full.
_AMOUNTS: dict[str, Decimal] = {}
_RATES: dict[str, Decimal] = {}
_REMEMBERED = 4096


def _plain(text: str, known: dict[str, Decimal], shape: Callable[[str], object]) -> Decimal | None:
    """``Decimal(text)`` when ``text`` has the plain ``shape`` (remembered in ``known``)."""
    value = known.get(text)
    if value is None and shape(text):
        if len(known) >= _REMEMBERED:
            known.clear()
        value = known[text] = Decimal(text)
    return value


def parse_invoice(raw: dict, tz: ZoneInfo | None = None) -> InvoiceRecord:
    """Parse one GetInvoices invoice dict; raises :class:`BadRecord` when it cannot be read.

    ``datepaid`` is WHMCS server local time; ``tz`` (default UTC) says which zone that is.
    Whatever goes wrong while reading a record — including an exception nobody foresaw — is a
    :class:`BadRecord` with a reason, never an error that stops the sync.
    """
    try:
        whmcs_id = _id(raw.get("id"))
    except BadRecord:
        raise
    except Exception as exc:  # one odd record must never stop a sync
        raise BadRecord(None, f"invoice id could not be read ({type(exc).__name__})") from None
    try:
        number = raw.get("invoicenum")
        number = "" if number is None else str(number).strip()
        if len(number) > 100:
            raise ValueError("invoice number longer than 100 characters")
        status = raw.get("status")
        if not isinstance(status, str) or not status.strip() or len(status) > 20:
            raise ValueError("status is not a WHMCS status")
        currency = raw.get("currencycode")
        currency = "" if currency is None else currency
        if not isinstance(currency, str) or (currency and not _CURRENCY.match(currency.strip())):
            raise ValueError("currency code is unreadable")
        return InvoiceRecord(
            whmcs_id=whmcs_id,
            number=number,
            date=_date(raw.get("date"), "date"),
            date_paid=_datetime(raw.get("datepaid"), tz),
            status=status.strip(),
            subtotal=_amount(raw.get("subtotal"), "subtotal"),
            tax=_amount(raw.get("tax", "0"), "tax"),
            tax2=_amount(raw.get("tax2", "0"), "tax2"),
            credit=_amount(raw.get("credit", "0"), "credit"),
            total=_amount(raw.get("total"), "total"),
            taxrate=_rate(raw.get("taxrate", "0"), "taxrate"),
            taxrate2=_rate(raw.get("taxrate2", "0"), "taxrate2"),
            currency=currency.strip().upper(),
        )
    except ValueError as exc:
        raise BadRecord(whmcs_id, str(exc)) from None
    except Exception as exc:  # the reason names the error class, never the data
        raise BadRecord(whmcs_id, f"invoice could not be read ({type(exc).__name__})") from None


def parse_unpaid(raw: object, tz: ZoneInfo | None = None) -> UnpaidRecord:
    """Parse one GetInvoices ``status=Unpaid`` invoice by the same rules and bounds as a paid
    one (:func:`parse_invoice`), plus its ``duedate``; raises :class:`BadRecord`."""
    if not isinstance(raw, dict):
        raise BadRecord(None, "invoice is not an object")
    rec = parse_invoice(raw, tz)
    try:
        due = _date(raw.get("duedate"), "duedate")
    except ValueError as exc:
        raise BadRecord(rec.whmcs_id, str(exc)) from None
    return UnpaidRecord(
        whmcs_id=rec.whmcs_id,
        date=rec.date,
        due_date=due,
        subtotal=rec.subtotal,
        tax=rec.tax,
        tax2=rec.tax2,
        total=rec.total,
        currency=rec.currency,
    )


def invoice_id(value: object) -> int | None:
    """The invoice id ``value`` as a stored id, or ``None`` when it is not one (a sync
    positions its pages by these ids, so an id out of range must not reach arithmetic).

        >>> invoice_id("12"), invoice_id("²"), invoice_id(2**63), invoice_id(True)
        (12, None, None, None)
    """
    try:
        return _id(value)
    except BadRecord:
        return None


def parse_record(raw: object, tz: ZoneInfo | None = None) -> InvoiceRecord:
    """:func:`parse_invoice` of anything WHMCS may have put in a page's list."""
    if not isinstance(raw, dict):
        raise BadRecord(None, "invoice is not an object")
    return parse_invoice(raw, tz)


def record_id(raw: object) -> int | None:
    """A page item's invoice id, or ``None`` when it has no valid one."""
    return invoice_id(raw.get("id")) if isinstance(raw, dict) else None


def unpaid_record(raw: object, tz: ZoneInfo | None = None) -> tuple[UnpaidRecord, bool]:
    """:func:`parse_unpaid`, and whether the row really is Unpaid (WHMCS filtered; be sure)."""
    rec = parse_unpaid(raw, tz)
    status = raw.get("status", "") if isinstance(raw, dict) else ""
    return rec, str(status).strip().lower() == "unpaid"


def whitelisted(records: list[dict]) -> list[dict]:
    """``records`` without the fields that are never read (a record holding only read fields
    is kept as it is).

        >>> whitelisted([{"id": 7, "firstname": "never kept"}])
        [{'id': 7}]
    """
    return [
        raw if raw.keys() <= _FIELD_SET else {k: v for k, v in raw.items() if k in _FIELD_SET}
        for raw in records
    ]


def parse_page(raws: list[dict], tz: ZoneInfo | None = None) -> tuple[list[InvoiceRecord], list[BadRecord]]:
    """Parse a page of records: ``(good records, bad ones)``; :class:`FormatChanged` if a required
    field is missing from every record of a non-empty page."""
    good: list[InvoiceRecord] = []
    bad: list[BadRecord] = []
    for raw in raws:
        try:
            if not isinstance(raw, dict):
                raise BadRecord(None, "invoice is not an object")
            good.append(parse_invoice(raw, tz))
        except BadRecord as exc:
            bad.append(exc)
        except Exception as exc:  # parse_invoice already wraps; belt and braces
            bad.append(BadRecord(None, f"invoice could not be read ({type(exc).__name__})"))
    if raws and not good:
        for field in REQUIRED:
            if not any(isinstance(r, dict) and field in r for r in raws):
                raise FormatChanged(field)
    return good, bad


# --- field readers: each raises ValueError with a reason that quotes no client data ----------


def _id(value: object) -> int:
    if isinstance(value, bool):
        raise BadRecord(None, "invoice id is missing")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and _ID(value.strip()):  # ASCII digits only: "²" is no id
        result = int(value.strip())
    else:
        raise BadRecord(None, "invoice id is missing or not a whole number")
    if not 0 < result < ID_LIMIT:
        raise BadRecord(None, "invoice id is out of range")
    return result


def _amount(value: object, name: str) -> Decimal:
    if value.__class__ is str and (plain := _plain(value, _AMOUNTS, _PLAIN_AMOUNT)) is not None:  # type: ignore[arg-type]
        return plain
    if value is None:
        raise ValueError(f"{name} is missing")
    if isinstance(value, str) and not value.strip():
        value = "0"
    try:
        amount = parse_amount(value)
    except ValueError:
        raise ValueError(f"{name} is not an amount") from None
    # The size first, from the exponent alone: quantize() of 1e27 or 1E+309 raises.
    if amount and amount.adjusted() >= AMOUNT_DIGITS:
        raise ValueError(f"{name} is too large (more than {AMOUNT_DIGITS} digits before the point)")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{name} has more than two decimals")
    return amount.quantize(Decimal("0.01"))


def _rate(value: object, name: str) -> Decimal:
    if value.__class__ is str and (plain := _plain(value, _RATES, _PLAIN_RATE)) is not None:  # type: ignore[arg-type]
        return plain
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.000")
    try:
        rate = parse_amount(value)
    except ValueError:
        raise ValueError(f"{name} is not a tax rate") from None
    if rate and rate.adjusted() >= _RATE_DIGITS:  # before quantize(): 1e30 would raise there
        raise ValueError(f"{name} is not a tax rate (too large)")
    rounded = rate.quantize(Decimal("0.001"))
    if rounded != rate:
        raise ValueError(f"{name} is not a tax rate")
    return rounded


def _date(value: object, name: str) -> date:
    if value.__class__ is str and len(value) == 10 and value != "0000-00-00":
        try:
            return _plausible(date.fromisoformat(value), name)
        except ValueError:
            pass  # the general path gives the reason
    if not isinstance(value, str) or value.strip() in _ZERO_DATES:
        raise ValueError(f"{name} is missing")
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(f"{name} is not a date") from None
    return _plausible(day, name)


def _plausible(moment: date, name: str) -> date:
    """``moment`` (a date or datetime) when its year is within the bounds, else ValueError."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"{name} is out of range (years {FIRST_YEAR} to {LAST_YEAR})")
    return moment


def _datetime(value: object, tz: ZoneInfo | None) -> datetime | None:
    if value is None or (isinstance(value, str) and value.strip() in _ZERO_DATES):
        return None
    if not isinstance(value, str):
        raise ValueError("datepaid is not a date")
    if len(value) == 19 and value[10] == " ":  # "YYYY-MM-DD HH:MM:SS", WHMCS's own shape
        try:
            p = datetime.fromisoformat(value)
            _plausible(p, "datepaid")
        except ValueError:
            pass  # the general path gives the reason
        else:
            # p.replace(tzinfo=...), built directly: replace() cost more than the parsing.
            return datetime(p.year, p.month, p.day, p.hour, p.minute, p.second, p.microsecond, tz or _UTC)
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text if len(text) > 10 else text + " 00:00:00")
    except ValueError:
        raise ValueError("datepaid is not a date") from None
    _plausible(parsed, "datepaid")
    if parsed.tzinfo is None:
        # replace() never raises on DST gaps, unlike make_aware(); WHMCS gives local wall time.
        parsed = parsed.replace(tzinfo=tz or _UTC)
    return parsed
