"""The floor: fetch every page a full sync fetches, parse it, and do nothing else.

    python -m bench.bare_fetch --url URL --identifier ID --secret SECRET --step 100

Pages ``status=Paid`` ordered by id, ``step`` invoices per request, with one keep-alive httpx
client, exactly as a sequential importer must, and decodes each answer with the sync's own
decoder (:func:`forecaster.systems.whmcs.decoding.decode`: the kept fields only, amounts as
``Decimal``). No validation, no database. Prints one JSON line:
``{"seconds": …, "requests": …, "invoices": …}``. No sequential importer can beat this time
against the same server, so a sync's time divided by it is its overhead factor.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import httpx

from forecaster.systems.whmcs.decoding import decode


def bare_fetch(url: str, identifier: str, secret: str, step: int) -> dict:
    """Fetch all Paid invoices page by page; returns the timing and counts."""
    started = time.perf_counter()
    requests = invoices = 0
    start = 0
    with httpx.Client(timeout=60) as client:
        while True:
            response = client.post(url, data={
                "action": "GetInvoices", "identifier": identifier, "secret": secret,
                "responsetype": "json", "status": "Paid", "orderby": "id", "order": "asc",
                "limitstart": str(start), "limitnum": str(step),
            })  # fmt: skip
            requests += 1
            response.raise_for_status()
            body = decode(response.content, invoices=True)
            if not isinstance(body, dict):
                raise SystemExit(f"not a WHMCS answer: {response.content[:80]!r}")
            page = body.get("invoices") or {}
            rows = page.get("invoice", []) if isinstance(page, dict) else []
            invoices += len(rows)
            start += len(rows)
            # Stop on an empty page or once every counted invoice has been seen.
            if not rows or start >= int(body.get("totalresults", 0)):
                break
    return {"seconds": time.perf_counter() - started, "requests": requests, "invoices": invoices}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--identifier", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--step", type=int, default=100)
    args = parser.parse_args(argv)
    print(json.dumps(bare_fetch(args.url, args.identifier, args.secret, args.step)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
