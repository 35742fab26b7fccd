"""``forecaster forecast [--months N] [--scenario NAME] [--format table|json|csv]`` — the
outlook (12 actual months, then N forecast months) on standard output."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from forecaster.forecasts import exports
from forecaster.forecasts.history import MAX_HORIZON
from forecaster.forecasts.models import Scenario
from forecaster.forecasts.scenarios import scenario_outlook


class Command(BaseCommand):
    help = "The outlook: revenue, costs, result and cumulative result per month (net, base currency)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--months", type=int, default=12, help=f"Forecast months, 1 to {MAX_HORIZON} (default 12)."
        )
        parser.add_argument("--scenario", metavar="NAME", help="A saved scenario's exact name or id.")
        parser.add_argument("--format", dest="fmt", choices=("table", "json", "csv"), default="table")

    def handle(self, *args: Any, **opts: Any) -> None:
        months = opts.get("months") or 12
        if not 1 <= months <= MAX_HORIZON:
            raise CommandError(f"--months must be from 1 to {MAX_HORIZON}")
        scenario = None
        wanted = opts.get("scenario")
        if wanted:
            scenario = Scenario.objects.filter(name=wanted).first()
            if scenario is None and str(wanted).isdigit():
                scenario = Scenario.objects.filter(pk=int(wanted)).first()
            if scenario is None:
                names = ", ".join(Scenario.objects.values_list("name", flat=True)) or "none saved yet"
                raise CommandError(f"no scenario named {wanted!r} (scenarios: {names})")
        o = scenario_outlook(timezone.localdate(), months, scenario)
        for problem in o.problems:
            self.stderr.write(f"warning: {problem}")
        if opts["fmt"] == "json":
            self.stdout.write(json.dumps(exports.outlook_json(o), ensure_ascii=False, indent=2))
        elif opts["fmt"] == "csv":
            self.stdout.write(exports.outlook_csv(o), ending="")
        else:
            self.stdout.write(exports.outlook_table(o), ending="")
