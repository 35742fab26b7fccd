"""``forecaster report revenue [--from D] [--to D] [--by year|month|day] [--system S]
[--format table|json|csv] [--basis invoice|paid]`` — the revenue report on standard output.

Rate warnings (several currencies on one rate) and what the revenue cannot tell apart with a
system's API role go to standard error, so JSON and CSV output
stays machine-readable.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecaster.reports import exports
from forecaster.reports.extensions import REPORT_COMMANDS
from forecaster.reports.params import ParamError, parse_report_params
from forecaster.reports.queries import BASES, GROUPINGS, revenue
from forecaster.reports.rates import rate_warnings
from forecaster.sync.ledger import revenue_notes
from forecaster.systems.models import AccountingSystem


class Command(BaseCommand):
    help = "Reports. `report revenue|costs|result` prints revenue, costs or the result per period."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True, metavar="REPORT")
        rev = sub.add_parser("revenue", help="Paid revenue in the base currency.")
        rev.add_argument(
            "--from",
            dest="date_from",
            metavar="YYYY-MM-DD",
            help="First day included (invoice date, or date paid with --basis paid).",
        )
        rev.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="Last day included.")
        rev.add_argument("--by", choices=GROUPINGS, default="month")
        rev.add_argument("--system", metavar="SYSTEM", help="A system's id or exact name (default: all).")
        rev.add_argument("--format", dest="fmt", choices=("table", "json", "csv"), default="table")
        rev.add_argument(
            "--basis",
            choices=BASES,
            default="invoice",
            help="Date invoices by their invoice date (default) or their date paid.",
        )
        for extension in REPORT_COMMANDS:  # `report costs` and `report result`
            extension.add_parsers(sub)

    def handle(self, *args: Any, **opts: Any) -> None:
        for extension in REPORT_COMMANDS:
            if opts["report"] in extension.REPORTS:
                extension.handle(self, opts)
                return
        if opts["report"] != "revenue":  # argparse already refuses others; kept for call_command
            raise CommandError(f"unknown report {opts['report']!r}")
        try:
            params = parse_report_params(
                {
                    "from": opts.get("date_from"),
                    "to": opts.get("date_to"),
                    "by": opts.get("by"),
                    "system": opts.get("system"),
                    "basis": opts.get("basis"),
                }
            )
        except ParamError as exc:
            raise CommandError(str(exc)) from None
        report = revenue(params.date_from, params.date_to, params.by, params.system_id, params.basis)
        systems = [params.system] if params.system else list(AccountingSystem.objects.all())
        for warning in rate_warnings(systems):
            self.stderr.write(f"warning: {warning}")
        for note in revenue_notes(systems):
            self.stderr.write(f"note: {note}")
        fmt = opts.get("fmt") or "table"
        if fmt == "json":
            self.stdout.write(json.dumps(exports.to_json(report), ensure_ascii=False))
        elif fmt == "csv":
            self.stdout.write(exports.to_csv(report), ending="")
        else:
            self.stdout.write(exports.to_table(report), ending="")
