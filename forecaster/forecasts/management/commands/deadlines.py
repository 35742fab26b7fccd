"""``forecaster deadlines [--format table|json|csv|ics]`` — every agreement's ends of term and
cancel-by dates in the next 12 months, most urgent first, with the cost at stake."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from forecaster.currency.base import base_currency
from forecaster.forecasts import exports
from forecaster.forecasts.deadlines import deadlines


class Command(BaseCommand):
    help = "Contract deadlines of the next 12 months: ends of term and cancel-by dates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", dest="fmt", choices=("table", "json", "csv", "ics"), default="table")

    def handle(self, *args: Any, **opts: Any) -> None:
        rows = deadlines(timezone.localdate())
        currency = base_currency()
        if opts["fmt"] == "json":
            self.stdout.write(
                json.dumps(exports.deadlines_json(rows, currency), ensure_ascii=False, indent=2)
            )
        elif opts["fmt"] == "csv":
            self.stdout.write(exports.deadlines_csv(rows), ending="")
        elif opts["fmt"] == "ics":
            self.stdout.write(exports.deadlines_ical(rows, currency).decode(), ending="")
        else:
            self.stdout.write(exports.deadlines_table(rows, currency), ending="")
