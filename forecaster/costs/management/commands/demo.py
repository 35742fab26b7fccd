"""``forecaster demo`` — fill a fresh installation with a hosting company's costs (two years,
EUR and PLN, agreements with annexes and notice periods), and say how to add demo revenue."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from forecaster.costs import demo


class Command(BaseCommand):
    help = "Fill an empty installation with demo costs and commitments; prints how to add demo revenue."

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", verbosity=0)
        try:
            summary = demo.load(timezone.localdate())
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            "Demo costs loaded: {counterparties} counterparties, {agreements} agreements with {annexes} "
            "annexes, {commitments} commitments, {cost_invoices} cost invoices (EUR and PLN), "
            "{scenarios} saved scenario(s) for the outlook.".format(**summary)
        )
        self.stdout.write(
            "For demo revenue, run the WHMCS sandbox in another terminal (`forecaster sandbox`), add it as "
            "a system with the URL, identifier and secret it prints (Accounting Systems › Create apiWHMCS, "
            "or `forecaster systems add whmcs …`), and sync it. Then open the dashboard."
        )
