"""``forecaster costs import FILE [--dry-run]`` — import cost invoices from CSV, all or nothing.

Exit status 1 with one line per wrong CSV line on standard error when anything is wrong
(nothing is saved then); ``--dry-run`` checks every line and saves nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecaster.costs import importer


class Command(BaseCommand):
    help = "Costs: `costs import FILE` imports cost invoices from a CSV file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        imp = sub.add_parser("import", help="Import cost invoices from a CSV file.")
        imp.add_argument(
            "file", help="CSV file (UTF-8, header row; columns: " + ",".join(importer.COLUMNS) + ")."
        )
        imp.add_argument("--dry-run", action="store_true", help="Check every line, save nothing.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] != "import":
            raise CommandError(f"unknown action {opts['action']!r}")
        path = Path(opts["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        outcome = importer.import_csv(data, dry_run=opts.get("dry_run", False))
        if not outcome.ok:
            for line, message in outcome.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(outcome.errors)} error(s) in {path}; nothing was imported.")
        self.stdout.write(outcome.report())
