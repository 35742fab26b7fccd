"""Decoding WHMCS's JSON answers: one decoder (msgspec) for every answer, numbers never through
``float``.

    >>> decode(b'{"result": "success", "totalresults": 1, "invoices": {"invoice": [{"id": 7,'
    ...        b' "total": 12.30, "firstname": "never kept"}]}}', invoices=True)["invoices"]
    {'invoice': [{'id': 7, 'total': Decimal('12.30')}]}

A JSON number with a fraction or an exponent becomes a ``Decimal`` of exactly the digits sent
(``0.10`` stays ``Decimal('0.10')``, ``1e2`` is ``Decimal('1E+2')``); whole numbers become
``int``. A UTF-8 byte order mark before the answer (some WHMCS installations send one) is
skipped.

A GetInvoices answer (``invoices=True``) is decoded into typed records that declare only the
fields the sync may keep (:data:`FIELDS`): everything else
WHMCS sends (client names, e-mail, notes, payment method) is skipped while decoding and never
becomes a Python object. The fields themselves are not typed: a record whose values have an
unexpected type is read by :func:`~forecaster.systems.whmcs.records.parse_invoice`'s rules, and
quarantined there, one record at a time. An answer of another shape (a single invoice as an
object, a list that is not a list) is decoded as plain JSON, and the invoices' unknown fields
dropped afterwards (:func:`~forecaster.systems.whmcs.records.whitelisted`), so every path keeps
the same fields and reads them by the same rules.
"""

from __future__ import annotations

import codecs
from decimal import Decimal
from typing import Any

import msgspec

__all__ = ["FIELDS", "DecodeError", "decode"]

# Every field of a GetInvoices record that is read; the decoder keeps these and drops the rest.
# (Here, without Django: the bare-fetch benchmark decodes with this module alone.)
FIELDS = ("id", "invoicenum", "date", "duedate", "datepaid", "status", "subtotal", "tax", "tax2", "credit",
          "total", "taxrate", "taxrate2", "currencycode")  # fmt: skip

DecodeError = msgspec.DecodeError
_UNSET = msgspec.UNSET


# A GetInvoices record: the whitelisted fields only, each of any JSON type (the parser's rules
# judge the values); then its list (``""`` when WHMCS has none) and the answer. A field absent
# from the answer stays absent in the dicts (``omit_defaults``): a record without ``total`` is
# not one with ``total: null``.
_ANSWER = ("result", "status", "message", "totalresults", "startnumber", "numreturned")
_Invoice: Any = msgspec.defstruct("_Invoice", [(name, Any, _UNSET) for name in FIELDS], omit_defaults=True)
_Invoices: Any = msgspec.defstruct(
    "_Invoices", [("invoice", list[_Invoice] | str | None, None)], omit_defaults=True
)
_InvoicesAnswer: Any = msgspec.defstruct(
    "_InvoicesAnswer",
    [*((name, Any, _UNSET) for name in _ANSWER), ("invoices", _Invoices | str | None, None)],
    omit_defaults=True,
)

_PLAIN = msgspec.json.Decoder(float_hook=Decimal)
_INVOICES = msgspec.json.Decoder(_InvoicesAnswer, float_hook=Decimal)


def decode(content: bytes, *, invoices: bool = False) -> object:
    """The answer's data as dicts and lists; raises :class:`DecodeError` when it is not JSON."""
    content = content.removeprefix(codecs.BOM_UTF8)
    if invoices:
        try:
            answer = _INVOICES.decode(content)
        except msgspec.ValidationError:
            pass  # valid JSON of another shape: read as plain JSON below
        else:
            return msgspec.to_builtins(answer, builtin_types=(Decimal,))
    return _PLAIN.decode(content)
