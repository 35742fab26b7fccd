"""The WHMCS sandbox in a process of its own, steered through standard input.

    python -m bench.sandbox_proc --port 8765 --invoices 1000000 --seed 1 \\
        --identifier ID --secret SECRET [--latency-ms 0]

Prints ``ready <url>`` once it serves, then answers one line per command read from stdin:

``count``          API calls received since start (or the last ``reset-count``)
``reset-count``    restart the request count at 0 → ``ok``
``add N``          add N new Paid invoices (ids above every existing one) → ``ok``
``paid``           how many Paid invoices GetInvoices can return
``latency MS``     add MS milliseconds to every API answer → ``ok``

End of input (the parent closing the pipe or dying) stops the server. Used by the benchmarks
and the fault suite (``tests.harness.SandboxProcess``) so the sandbox's own work
never shares a CPU timeline or a GIL with the process being measured.
"""

from __future__ import annotations

import argparse
import sys

from forecaster.sandbox.api import AccessPolicy
from forecaster.sandbox.data import DatasetSpec, generate
from forecaster.sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--invoices", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--identifier", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)

    state = generate(DatasetSpec(invoices=args.invoices, seed=args.seed))
    # The IP allow-list stays on (loopback), as on a correctly configured WHMCS; no bans, so
    # a misbehaving benchmark cannot lock itself out halfway.
    policy = AccessPolicy(identifier=args.identifier, secret=args.secret, ban_after=0)
    server = SandboxServer(state, policy=policy, port=args.port)
    server.controls.latency_ms = args.latency_ms
    server.start()
    print(f"ready {server.url}", flush=True)
    try:
        for line in sys.stdin:
            print(_answer(server, line.split()), flush=True)
    finally:
        server.stop()
    return 0


def _answer(server: SandboxServer, words: list[str]) -> str:
    if not words:
        return "error: empty command"
    verb, rest = words[0], words[1:]
    if verb == "count":
        return str(server.requests.count)
    if verb == "count-unpaid":  # of the counted requests, those that read the unpaid pipeline
        return str(server.requests.count_status("Unpaid"))
    if verb == "reset-count":
        server.requests.clear()
        return "ok"
    if verb == "add" and rest:
        for _ in range(int(rest[0])):
            server.state.add_invoice(status="Paid", subtotal="19.95", taxrate="23")
        return "ok"
    if verb == "paid":
        return str(len(server.state.ids("Paid")))
    if verb == "latency" and rest:
        server.controls.latency_ms = float(rest[0])
        return "ok"
    return f"error: unknown command {' '.join(words)!r}"


if __name__ == "__main__":
    sys.exit(main())
