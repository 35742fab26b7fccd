"""Run the sandbox WHMCS on loopback inside a test — for any app's tests.

With the context manager::

    from forecaster.sandbox.testing import running_sandbox

    def test_sync_gets_every_paid_invoice():
        with running_sandbox(invoices=300, seed=3) as sb:
            system = make_system(url=sb.url, identifier=sb.identifier, secret=sb.secret)
            run_full_sync(system)
            assert stored_amounts(system) == sb.paid_invoices()
            assert sb.requests.count == 4

or with the ready-made fixture (200 invoices, seed 1), imported into a ``conftest.py``::

    from forecaster.sandbox.testing import sandbox  # noqa: F401

Both give a :class:`~forecaster.sandbox.server.SandboxServer`, already serving:

``url``, ``identifier``, ``secret``
    what to connect with (``http://127.0.0.1:<free port>/includes/api.php``).
``paid_invoices() -> dict[int, dict]``
    the authoritative expected result of a sync: every Paid invoice GetInvoices can return,
    ``id → {"invoicenum", "date", "datepaid", "subtotal", "credit", "tax", "tax2", "total",
    "taxrate", "taxrate2", "currencycode", "status"}``, amounts as ``Decimal``.
``state``
    the data, changeable between or during requests: ``pay(id)``, ``refund(id)``,
    ``cancel(id)``, ``delete(id)``, ``set_status(id, status)``, ``set_amounts(id, ...)``,
    ``add_invoice(...) -> id``, ``delete_client(userid)``, ``refund(id, amount=None)``,
    ``chargeback(id)``, ``add_deposit(...)``, ``add_mass_payment(ids, when=...)``,
    ``mark_malformed(id)``; reads: ``ids(status=None)``, ``invoice(id)`` (as GetInvoices
    renders it), ``client(userid)``, ``transactions(id)``, ``item_kind(id)``.
``controls``
    faults (:class:`~forecaster.sandbox.faults.Controls`): ``latency_ms``, ``fail_every``,
    ``html_every``, ``truncate_every``, ``fail_next(kind, times)``, ``before_getinvoices``
    (e.g. ``faults.churn(pay=2, refund=2)``), ``reset()``.
``requests``
    the log (:class:`~forecaster.sandbox.faults.RequestLog`): ``count``, ``records``,
    ``count_action(name)``, ``count_status(status)``, ``clear()``.
``policy``
    access rules (:class:`~forecaster.sandbox.api.AccessPolicy`), mutable: e.g.
    ``sb.policy.allowed_ips = set()`` makes the next call fail with ``Invalid IP 127.0.0.1``;
    ``sb.policy.permissions = set()`` makes it fail with ``Invalid Permissions``.
``unban(ip=None)``
    lift the ban that three failed logins cause.
``cash(by="month")``, ``revenue_truth(basis="invoice", by="month")``, ``pipeline_truth(since)``
    the sandbox's own truth: money received minus returned per (period, currency),
    revenue by the product's definition per (period, currency) as ``(net, tax)``, and the net
    of the Unpaid invoices due from ``since`` on per (due month, currency).

The dataset is generated in the test's process (about 7 s per million invoices); for
benchmarks that measure memory, run ``forecaster sandbox`` as a separate process instead.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from forecaster.sandbox.api import DEFAULT_IDENTIFIER, DEFAULT_SECRET, LOOPBACK, AccessPolicy
from forecaster.sandbox.data import DEFAULT_TODAY, DatasetSpec, generate
from forecaster.sandbox.server import SandboxServer

__all__ = ["running_sandbox", "sandbox"]


@contextmanager
def running_sandbox(
    invoices: int = 200,
    *,
    seed: int = 1,
    currency: str = "USD",
    mixed_currencies: bool = False,
    orphans: int = 0,
    today: date = DEFAULT_TODAY,
    identifier: str = DEFAULT_IDENTIFIER,
    secret: str = DEFAULT_SECRET,
    permissions: Iterable[str] = ("getinvoices",),
    allowed_ips: Iterable[str] | None = LOOPBACK,
    access_key: str | None = None,
    legacy_strings: bool = False,
    tls: ssl.SSLContext | None = None,
    deposits: int = 0,
    mass_payments: int = 0,
    partial_refunds: int = 0,
    full_refunds: int = 0,
    chargebacks: int = 0,
    unpaid_ahead: int = 0,
    ignore_orderby: bool = False,
    page_cap: int | None = None,
    malformed_utf8_invoices: Iterable[int] = (),
) -> Iterator[SandboxServer]:
    """Serve a fresh sandbox on a free loopback port for the duration of the ``with`` block.

    ``allowed_ips=None`` switches the IP allow-list off; ``permissions`` lists the lower-case
    actions the API role allows; ``tls`` (an ``ssl.SSLContext`` with a certificate loaded)
    serves HTTPS, e.g. with a self-signed certificate to test TLS verification.
    ``deposits``, ``mass_payments``, ``partial_refunds``, ``full_refunds``, ``chargebacks``
    add those money cases; ``unpaid_ahead`` adds Unpaid invoices due 1 to 6 months after
    ``today`` (the forecast's pipeline); ``ignore_orderby`` answers like WHMCS before 7.7; ``page_cap``
    caps the rows per page; ``malformed_utf8_invoices`` gives those invoices' clients a record
    that JSON cannot encode (see the sandbox README).
    """
    state = generate(
        DatasetSpec(
            invoices=invoices, seed=seed, currency=currency,
            mixed_currencies=mixed_currencies, orphans=orphans, today=today,
            deposits=deposits, mass_payments=mass_payments, partial_refunds=partial_refunds,
            full_refunds=full_refunds, chargebacks=chargebacks, unpaid_ahead=unpaid_ahead,
        )
    )  # fmt: skip
    for invoice_id in malformed_utf8_invoices:
        state.mark_malformed(invoice_id)
    policy = AccessPolicy(
        identifier=identifier,
        secret=secret,
        permissions={p.lower() for p in permissions},
        allowed_ips=None if allowed_ips is None else set(allowed_ips),
        access_key=access_key,
    )
    server = SandboxServer(
        state, policy=policy, port=0, legacy_strings=legacy_strings, tls=tls,
        ignore_orderby=ignore_orderby, page_cap=page_cap,
    )  # fmt: skip
    with server:
        yield server


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox with 200 invoices (seed 1) on a free loopback port; see the module docstring."""
    with running_sandbox() as server:
        yield server
