"""Small helpers for the sandbox's own tests: real HTTP calls with httpx."""

from __future__ import annotations

import httpx

from forecaster.sandbox.server import SandboxServer

_clients: dict[int, httpx.Client] = {}


def call(
    sb: SandboxServer,
    *,
    responsetype: str | None = "json",
    credentials: bool = True,
    client: httpx.Client | None = None,
    **params: object,
) -> httpx.Response:
    """POST a form-encoded API call to ``sb``: GetInvoices, JSON, with credentials, unless
    told otherwise. Keyword arguments become request parameters."""
    data: dict[str, object] = {"action": "GetInvoices"}
    if credentials:
        data.update(identifier=sb.identifier, secret=sb.secret)
    if responsetype is not None:
        data["responsetype"] = responsetype
    data.update(params)
    data = {k: v for k, v in data.items() if v is not None}
    if client is not None:
        return client.post(sb.url, data=data)
    with httpx.Client(timeout=10) as fresh:
        return fresh.post(sb.url, data=data)


def fetch_all(sb: SandboxServer, client: httpx.Client, step: int = 100, **params: object) -> list:
    """Page through GetInvoices until an empty page; returns every invoice object."""
    invoices: list = []
    start = 0
    while True:
        body = call(sb, client=client, limitstart=start, limitnum=step, **params).json()
        if body["numreturned"] == 0:
            return invoices
        invoices.extend(body["invoices"]["invoice"])
        start += step
