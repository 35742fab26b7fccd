"""``forecaster backup`` — a consistent copy of the database and the key files; and restore.

    forecaster backup [--output DIR]         # DIR default: <data dir>/backups; prints the folder
    forecaster backup --restore FOLDER --yes # stop `forecaster serve` first

The PDF archive is not part of it (README "Backups" says how to back it up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecaster.documents.backup import BackupError, create_backup, read_manifest, restore_backup


class Command(BaseCommand):
    help = "Back up the database and the key files (or restore such a backup with --restore)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", metavar="DIR", help="Where to write the backup folder.")
        parser.add_argument("--restore", metavar="FOLDER", help="Restore this backup folder instead.")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm that --restore replaces the current database."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts.get("restore"):
                self._restore(Path(opts["restore"]), opts.get("yes", False))
            else:
                output = Path(opts.get("output") or Path(settings.DATA_DIR) / "backups")
                folder = create_backup(output)
                manifest = read_manifest(folder)
                self.stdout.write(", ".join(sorted(manifest["files"])) + " written.")
                if manifest.get("note"):
                    self.stderr.write(f"Note: {manifest['note']}.")
                self.stdout.write(str(folder))
        except BackupError as exc:
            raise CommandError(str(exc)) from None

    def _restore(self, folder: Path, yes: bool) -> None:
        manifest = read_manifest(folder)
        if not yes:
            raise CommandError(
                f"this replaces the current database with the backup of {manifest.get('created')}; "
                "stop `forecaster serve`, then run again with --yes"
            )
        done = restore_backup(folder)
        self.stdout.write(f"Restored from {folder}: {', '.join(done)}.")
