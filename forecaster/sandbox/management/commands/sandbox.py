"""``forecaster sandbox``: serve a WHMCS-compatible API on loopback until Ctrl-C or SIGTERM.

    forecaster sandbox                         # 1000 invoices, seed 1, port 8765
    forecaster sandbox --invoices 1000000 --port 9000 --seed 7
    forecaster sandbox --fail-every 10 --latency-ms 50   # a flaky, slow WHMCS

Prints the URL, identifier and secret to connect with. The same options give the same data.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecaster.sandbox.api import DEFAULT_IDENTIFIER, DEFAULT_SECRET, LOOPBACK, AccessPolicy
from forecaster.sandbox.data import DEFAULT_TODAY, DatasetSpec, generate
from forecaster.sandbox.faults import Controls, churn
from forecaster.sandbox.server import SandboxServer, install_signal_handlers


class Command(BaseCommand):
    help = (
        "Serve a WHMCS-compatible API (GetInvoices, GetInvoice, GetTransactions) with realistic, "
        "deterministic invoices, "
        "for demos, tests and benchmarks."
    )
    # No database is involved: skip the checks so a million-invoice sandbox starts at once.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        data = parser.add_argument_group("server and data")
        data.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
        data.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any)")
        data.add_argument("--invoices", type=int, default=1000, help="number of invoices")
        data.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")
        data.add_argument("--currency", default="USD", help="the clients' currency (default USD)")
        data.add_argument(
            "--mixed-currencies", action="store_true",
            help="move about one client in ten to a second currency (EUR, or USD)",
        )  # fmt: skip
        data.add_argument(
            "--orphans", type=int, default=0,
            help="extra invoices of deleted clients: counted in totalresults, never returned",
        )  # fmt: skip
        data.add_argument(
            "--today", type=date.fromisoformat, default=DEFAULT_TODAY,
            help=f"the dataset's 'today' (YYYY-MM-DD, default {DEFAULT_TODAY.isoformat()})",
        )  # fmt: skip
        data.add_argument(
            "--legacy-strings", action="store_true",
            help="answer every value as a string, like old WHMCS versions",
        )  # fmt: skip

        cases = parser.add_argument_group("money cases (see the sandbox README)")
        for name, what in (
            ("deposits", "Add Funds deposits, each spent by later invoices paid from credit"),
            ("mass-payments", "Mass Payment invoices, each paying 2-4 invoices through credit"),
            ("partial-refunds", "paid invoices with part of the payment refunded (they stay Paid)"),
            ("full-refunds", "paid invoices refunded in full (status Refunded)"),
            ("chargebacks", "paid invoices whose payment was reversed (status Collections)"),
        ):
            cases.add_argument(f"--{name}", type=int, default=0, metavar="N", help=f"add N {what}")
        cases.add_argument(
            "--all-cases", type=int, default=0, metavar="N",
            help="shorthand: N of each money case above (explicit options win)",
        )  # fmt: skip
        cases.add_argument(
            "--unpaid-ahead", type=int, default=0, metavar="N",
            help="add N Unpaid invoices issued in the last 30 days and due 1-6 months after --today "
            "(the pipeline a forecast adds)",
        )  # fmt: skip
        cases.add_argument(
            "--malformed-utf8-invoice", type=int, action="append", default=[], metavar="ID",
            help="the client of invoice ID holds malformed UTF-8: every JSON page with its "
            "invoices answers 'Error generating JSON encoded response' (XML works); repeatable",
        )  # fmt: skip

        paging = parser.add_argument_group("paging quirks")
        paging.add_argument(
            "--ignore-orderby", action="store_true",
            help="behave like WHMCS before 7.7: ignore orderby/order (fixed order duedate DESC)",
        )  # fmt: skip
        paging.add_argument(
            "--page-cap", type=int, default=0, metavar="N",
            help="return at most N invoices per GetInvoices request, whatever limitnum asks",
        )  # fmt: skip

        access = parser.add_argument_group("access")
        access.add_argument("--identifier", default=DEFAULT_IDENTIFIER)
        access.add_argument("--secret", default=DEFAULT_SECRET)
        access.add_argument(
            "--allow-ip", action="append", metavar="IP",
            help="API IP allow-list entry, repeatable (default 127.0.0.1 and ::1; 'any' = off)",
        )  # fmt: skip
        access.add_argument("--access-key", help="an access key that bypasses the IP list")
        access.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS: certificate (PEM)")
        access.add_argument("--tls-key", metavar="FILE", help="serve HTTPS: private key (PEM)")
        access.add_argument(
            "--permission", action="append", metavar="ACTION",
            help="an action the API role allows, repeatable (default GetInvoices)",
        )  # fmt: skip
        access.add_argument(
            "--ban-after", type=int, default=3,
            help="ban an IP after this many failed logins in a row (default 3; 0 = never)",
        )  # fmt: skip

        faults = parser.add_argument_group("faults")
        faults.add_argument("--latency-ms", type=float, default=0, help="delay every API call")
        faults.add_argument("--fail-every", type=int, default=0, metavar="K",
                            help="every K-th API call answers HTTP 500")  # fmt: skip
        faults.add_argument("--html-every", type=int, default=0, metavar="K",
                            help="every K-th API call answers an HTML error page (HTTP 503)")  # fmt: skip
        faults.add_argument("--truncate-every", type=int, default=0, metavar="K",
                            help="every K-th API call answers a body cut in half")  # fmt: skip
        faults.add_argument(
            "--churn", type=int, default=0, metavar="K",
            help="before each GetInvoices answer, pay K unpaid and refund K paid invoices",
        )  # fmt: skip

    def handle(self, *args: object, **options: object) -> None:
        try:
            spec = DatasetSpec(
                invoices=options["invoices"], seed=options["seed"],
                currency=str(options["currency"]).upper(),
                mixed_currencies=options["mixed_currencies"], orphans=options["orphans"],
                today=options["today"], unpaid_ahead=options["unpaid_ahead"], **{
                    key: options[key] or options["all_cases"]
                    for key in ("deposits", "mass_payments", "partial_refunds", "full_refunds", "chargebacks")
                },
            )  # fmt: skip
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["page_cap"] < 0:
            raise CommandError("--page-cap must not be negative")
        allow = options["allow_ip"]
        policy = AccessPolicy(
            identifier=options["identifier"],
            secret=options["secret"],
            permissions={p.lower() for p in (options["permission"] or ["getinvoices"])},
            allowed_ips=None if allow and "any" in allow else set(allow or LOOPBACK),
            access_key=options["access_key"],
            ban_after=options["ban_after"],
        )
        controls = Controls(
            latency_ms=options["latency_ms"],
            fail_every=options["fail_every"],
            html_every=options["html_every"],
            truncate_every=options["truncate_every"],
            before_getinvoices=(
                churn(options["churn"], options["churn"], seed=spec.seed)
                if options["churn"] else None
            ),
        )  # fmt: skip

        tls = None
        if options["tls_cert"] or options["tls_key"]:
            if not (options["tls_cert"] and options["tls_key"]):
                raise CommandError("--tls-cert and --tls-key go together")
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            try:
                tls.load_cert_chain(options["tls_cert"], options["tls_key"])
            except (OSError, ssl.SSLError) as exc:
                raise CommandError(f"cannot load the TLS certificate or key: {exc}") from exc

        started = time.monotonic()
        state = generate(spec)
        for invoice_id in options["malformed_utf8_invoice"]:
            try:
                state.mark_malformed(invoice_id)
            except KeyError:
                raise CommandError(f"--malformed-utf8-invoice: there is no invoice {invoice_id}") from None
        try:
            server = SandboxServer(
                state, policy=policy, controls=controls, host=options["host"],
                port=options["port"], legacy_strings=options["legacy_strings"], tls=tls,
                ignore_orderby=options["ignore_orderby"], page_cap=options["page_cap"] or None,
            )  # fmt: skip
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        paid = len(state.ids("Paid"))
        write = self.stdout.write
        write(
            f"WHMCS sandbox: {len(state)} invoices ({paid} paid), seed {spec.seed}, "
            f"{spec.currency}, generated in {time.monotonic() - started:.1f} s"
        )
        write(f"  URL:        {server.url}")
        write(f"  Identifier: {policy.identifier}")
        write(f"  Secret:     {policy.secret}")
        if policy.allowed_ips is not None:
            write(f"  Allowed IPs: {', '.join(sorted(policy.allowed_ips))}")
        write("Press Ctrl-C to stop.")
        self.stdout.flush()
        install_signal_handlers()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
        write(f"Stopped after {server.requests.count} API calls.")
