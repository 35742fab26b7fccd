"""``forecaster systems add|list|edit|delete|test``: accounting systems from the shell.

    forecaster systems add whmcs --name "Brand PL" --url https://billing.example/includes/api.php \\
        --identifier ID < secret.txt            # prints the new id as the last line
    forecaster systems list --format json
    forecaster systems edit "Brand PL" --step 200 --secret-stdin < new-secret.txt
    forecaster systems delete 3 --yes
    forecaster systems test "Brand PL"          # exit 0 when the connection works

The secret is read from standard input (a hidden prompt on a terminal), never from argv: a
command line is visible to every user of the machine and lands in shell history. Validation
uses the same form class as the web page.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.views.decorators.debug import sensitive_variables

from forecaster.currency.base import base_currency
from forecaster.lib.money import fmt
from forecaster.systems import holdings, lookup
from forecaster.systems.forms import SystemForm
from forecaster.systems.models import AccountingSystem
from forecaster.systems.registry import all_types, get_type

SECRET_ON_ARGV = (
    "Never put the secret on the command line (other users and the shell history can see it): "
    "pipe it on standard input, or type it at the hidden prompt."
)


class _RejectSecret(argparse.Action):
    """Notes that ``--secret`` was given (dropping its value) so ``handle`` can refuse it."""

    def __call__(
        self,
        parser: CommandParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, True)


def find_system(ref: str) -> AccountingSystem:
    """A system by id or exact name; ``CommandError`` when there is none."""
    system = lookup.find_system(ref)
    if system is None:
        raise CommandError(f"No accounting system with id or name {ref!r} (see: forecaster systems list).")
    return system


def _flat(errors: dict[str, list[str]]) -> str:
    parts = []
    for field, messages in errors.items():
        label = "" if field == "__all__" else f"{field}: "
        parts.append(label + " ".join(str(m) for m in messages))
    return "Nothing saved. " + "; ".join(parts)


class Command(BaseCommand):
    help = "Manage accounting systems (add, list, edit, delete, test)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{add,list,edit,delete,test}")

        def detail_options(p: argparse.ArgumentParser, *, creating: bool) -> None:
            p.add_argument("--name", required=creating, help="A name you recognise (unique).")
            p.add_argument("--url", required=creating, help="The API address: https://…/includes/api.php")
            p.add_argument("--identifier", required=creating, help="The API credential's Identifier.")
            p.add_argument("--description", help="Optional notes.")
            p.add_argument(
                "--another-whmcs",
                dest="another_whmcs",
                action="store_true",
                help="Confirm that a URL and identifier another system uses reach a different WHMCS.",
            )
            p.add_argument("--step", help="Invoices per sync step, 1–1000 (default 100).")
            p.add_argument(
                "--parallel-requests",
                dest="parallel_requests",
                help="Pages a full sync asks WHMCS for at once, 1–8 (default 2); each is load on WHMCS.",
            )
            p.add_argument(
                "--auto-sync",
                dest="auto_sync",
                action="store_true",
                default=None,
                help="Synchronize automatically once a day.",
            )
            p.add_argument(
                "--no-auto-sync",
                dest="auto_sync",
                action="store_false",
                help="No automatic synchronization (default).",
            )
            p.add_argument(
                "--exchange-rate", dest="exchange_rate", help="Amounts × rate = base currency (default 1)."
            )
            p.add_argument(
                "--refunds-restate",
                dest="refunds_restate",
                action="store_true",
                default=None,
                help="A refund lowers the refunded invoice's own period (rewrites closed months).",
            )
            p.add_argument(
                "--refunds-in-own-period",
                dest="refunds_restate",
                action="store_false",
                help="A refund lowers the period it happened in (default).",
            )
            # Present only to refuse it with a clear reason (and to stop prefix matching).
            p.add_argument(
                "--secret",
                dest="secret_on_argv",
                nargs="?",
                action=_RejectSecret,
                default=False,
                help=argparse.SUPPRESS,
            )

        add = sub.add_parser(
            "add", help="Add a system; the secret comes from standard input.", allow_abbrev=False
        )
        add.add_argument("kind", choices=[t.key for t in all_types()], help="The system type.")
        detail_options(add, creating=True)

        lst = sub.add_parser("list", help="List the systems (never the secret).", allow_abbrev=False)
        lst.add_argument("--format", choices=["table", "json"], default="table")

        edit = sub.add_parser("edit", help="Change a system; unspecified options stay.", allow_abbrev=False)
        edit.add_argument("system", help="The system's id or exact name.")
        detail_options(edit, creating=False)
        edit.add_argument(
            "--secret-stdin",
            dest="secret_stdin",
            action="store_true",
            help="Replace the secret with one read from standard input.",
        )
        edit.add_argument(
            "--reconvert-history",
            dest="reconvert_history",
            action="store_true",
            help="With a new --exchange-rate: also re-convert the invoices already held.",
        )

        delete = sub.add_parser("delete", help="Delete a system and its invoices.", allow_abbrev=False)
        delete.add_argument("system", help="The system's id or exact name.")
        delete.add_argument("--yes", action="store_true", help="Confirm the deletion.")

        test = sub.add_parser("test", help="Test the connection (exit 0 when it works).", allow_abbrev=False)
        test.add_argument("system", help="The system's id or exact name.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("secret_on_argv"):
            raise CommandError(SECRET_ON_ARGV)
        action = options["action"]
        return getattr(self, f"do_{action}")(options)

    # --- the secret -------------------------------------------------------------------------

    @sensitive_variables("secret")
    def read_secret(self, options: dict[str, Any]) -> str:
        stream = options.get("stdin") or sys.stdin
        if stream.isatty():
            secret = getpass.getpass("API Secret (hidden): ", stream=sys.stderr)
        else:
            secret = stream.read()
        secret = secret.strip()
        if not secret:
            raise CommandError("No secret given: pipe the API Secret on standard input.")
        return secret

    # --- actions --------------------------------------------------------------------------------

    def _form_data(self, options: dict[str, Any], system: AccountingSystem | None) -> dict:
        data = {
            "name": system.name if system else "",
            "description": system.description if system else "",
            "url": system.url if system else "",
            "identifier": system.identifier if system else "",
            "step": system.step if system else 100,
            "parallel_requests": system.parallel_requests if system else 2,
            "auto_sync": system.auto_sync if system else False,
            "exchange_rate": system.exchange_rate if system else Decimal("1"),
            "refunds_restate": system.refunds_restate if system else False,
        }
        for key in data:
            if options.get(key) is not None:
                data[key] = options[key]
        for box in ("auto_sync", "refunds_restate"):
            if not data[box]:
                data.pop(box)  # an unchecked box is absent, as in a browser
        if options.get("another_whmcs"):
            data["another_whmcs"] = "on"
        return data

    def _save(self, form: SystemForm, kind: str) -> AccountingSystem:
        if not form.is_valid():
            raise CommandError(_flat(form.errors))
        for warning in form.warnings:
            self.stderr.write(f"Warning: {warning}")
        system, reconverted = form.save_system(kind)
        if reconverted is not None:
            self.stdout.write(f"Re-converted {reconverted} invoices with the new rate.")
        return system

    @sensitive_variables("secret", "data")
    def do_add(self, options: dict[str, Any]) -> None:
        stype = get_type(options["kind"])
        secret = self.read_secret(options)
        data = self._form_data(options, None)
        data["secret"] = secret
        form = stype.form_class(data, instance=AccountingSystem(kind=stype.key))
        system = self._save(form, stype.key)
        self.stdout.write(
            f"Created {stype.label} system “{system.name}”. Next: forecaster systems test {system.pk}"
        )
        self.stdout.write(str(system.pk))

    @sensitive_variables("secret", "data")
    def do_edit(self, options: dict[str, Any]) -> None:
        system = find_system(options["system"])
        stype = get_type(system.kind)
        data = self._form_data(options, system)
        if options.get("secret_stdin"):
            data["secret"] = self.read_secret(options)
        held = holdings.invoices_held(system.pk)
        if held:
            data["apply_rate_to"] = "history" if options.get("reconvert_history") else "future"
        form = stype.form_class(data, instance=system, invoices_held=held)
        rate_changed = form.is_valid() and form.rate_changed
        system = self._save(form, system.kind)
        if rate_changed and held and not options.get("reconvert_history"):
            self.stdout.write(
                f"The new exchange rate applies to invoices synced from now on; the {held} "
                "invoices already held keep theirs (use --reconvert-history to change them too)."
            )
        self.stdout.write(f"Saved “{system.name}”.")
        self.stdout.write(str(system.pk))

    def do_delete(self, options: dict[str, Any]) -> None:
        system = find_system(options["system"])
        held = holdings.invoices_held(system.pk)
        if not options["yes"]:
            raise CommandError(
                f"Not deleted: “{system.name}” holds {held} invoices that would go with it; add --yes "
                "to confirm."
            )
        name = system.name
        system.delete()
        self.stdout.write(f"Deleted “{name}” and the {held} invoices held for it.")

    def do_list(self, options: dict[str, Any]) -> None:
        totals = holdings.totals()
        blind_spot = holdings.blind_spot
        rows = []
        currency = base_currency()
        for s in AccountingSystem.objects.all():
            t = totals.get(s.pk) or {}
            rows.append(
                {
                    "id": s.pk,
                    "name": s.name,
                    "type": s.kind,
                    "type_label": s.type_label,
                    "description": s.description,
                    "url": s.url,
                    "identifier": s.identifier,
                    "has_secret": s.has_secret,
                    "step": s.step,
                    "auto_sync": s.auto_sync,
                    "exchange_rate": format(Decimal(s.exchange_rate).normalize(), "f"),
                    "last_sync_at": s.last_sync_at.isoformat() if s.last_sync_at else None,
                    "last_sync_ok": s.last_sync_ok,
                    "last_sync_message": s.last_sync_message,
                    "last_full_sync_at": s.last_full_sync_at.isoformat() if s.last_full_sync_at else None,
                    "invoices": int(t.get("invoices", 0)),
                    "total": fmt(t.get("gross")),
                    "currency": currency,
                    "refunds_restate": s.refunds_restate,
                    "api_actions": [a for a in s.api_actions.split(",") if a and a != "none"],
                    "revenue_note": blind_spot(s),
                }
            )
        for row in rows:
            if row["revenue_note"]:
                self.stderr.write(f"note: {row['revenue_note']}")
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write("No accounting systems yet: forecaster systems add whmcs --help")
            return
        headers = [
            "ID",
            "NAME",
            "TYPE",
            "URL",
            "STEP",
            "AUTO",
            "RATE",
            "LAST SYNC",
            "INVOICES",
            f"TOTAL {currency}",
        ]
        table = [headers] + [
            [
                str(r["id"]),
                r["name"],
                r["type_label"],
                r["url"],
                str(r["step"]),
                "on" if r["auto_sync"] else "off",
                r["exchange_rate"],
                (r["last_sync_at"][:16].replace("T", " ") + (" ok" if r["last_sync_ok"] else " failed"))
                if r["last_sync_at"]
                else "never",
                str(r["invoices"]),
                r["total"],
            ]
            for r in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
        numeric = {0, 4, 6, 8, 9}
        for row in table:
            cells = [
                cell.rjust(w) if i in numeric else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ]
            self.stdout.write("  ".join(cells).rstrip())

    def do_test(self, options: dict[str, Any]) -> None:
        from forecaster.systems.connection import check_connection

        system = find_system(options["system"])
        result = check_connection(system)
        for warning in result.warnings:
            self.stderr.write(f"Warning: {warning}")
        if not result.ok:
            raise CommandError(f"{result.message} Fix: {result.fix}".strip())
        roles = "; ".join(
            f"{action}: {'allowed' if allowed else 'not allowed'} ({unlocks})"
            for action, allowed, unlocks in result.permission_rows
        )
        self.stdout.write(f"OK: {result.message} {roles}".strip())
