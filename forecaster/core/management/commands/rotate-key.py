"""``forecaster rotate-key``: a new encryption key for stored secrets; old keys stay readable.

Generates a key, puts it first in the key file (the newest key encrypts; every key listed can
still decrypt), then re-encrypts every stored API secret with it in one transaction. With keys
given in ``FORECASTER_ENCRYPTION_KEY``, put the new key first there yourself, then run
``forecaster rotate-key --reencrypt-only``.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from forecaster.lib.crypto import DecryptionError, KeyConfigError, key_file_path, load_keys, new_key_line


class Command(BaseCommand):
    help = "Generate a new encryption key and re-encrypt every stored secret with it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reencrypt-only",
            action="store_true",
            help="Do not generate a key; re-encrypt with the newest configured key.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from forecaster.systems.models import AccountingSystem

        try:
            load_keys()
        except KeyConfigError as exc:
            raise CommandError(f"Encryption keys: {exc}") from None
        systems = list(AccountingSystem.objects.exclude(secret_ciphertext=""))
        # Decrypt everything first: if one secret is unreadable, change nothing at all.
        plaintexts, unreadable = {}, []
        for system in systems:
            try:
                plaintexts[system.pk] = system.get_secret()
            except DecryptionError:
                unreadable.append(system.name)
        if unreadable:
            raise CommandError(
                "Cannot decrypt the secret of: "
                + ", ".join(unreadable)
                + ". Re-enter it on the system's Edit page first. Nothing changed."
            )
        if not options["reencrypt_only"]:
            if os.environ.get("FORECASTER_ENCRYPTION_KEY"):
                raise CommandError(
                    "Keys come from FORECASTER_ENCRYPTION_KEY: put a new kid:base64key item first "
                    "there, restart, then run: forecaster rotate-key --reencrypt-only"
                )
            path = key_file_path()
            line = new_key_line()
            tmp = path.with_name(path.name + ".new")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(line + "\n" + path.read_text())
            os.replace(tmp, path)  # atomic: readers see the old file or the new one
            self.stdout.write(f"New key {line.split()[0]} added first to {path}; older keys stay readable.")
        with transaction.atomic():
            for system in systems:
                system.set_secret(plaintexts[system.pk])
                system.save(update_fields=["secret_ciphertext"])
        self.stdout.write(f"Re-encrypted {len(systems)} stored secret(s) with the newest key.")
