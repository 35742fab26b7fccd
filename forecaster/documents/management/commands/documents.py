"""``forecaster documents check|upload|list`` — the PDF archive from the shell.

    forecaster documents check          # every file the database names exists with its SHA-256?
                                        # and which files in the archive does nothing name?
    forecaster documents upload DIR     # every PDF in DIR (not recursive) into the inbox
    forecaster documents list [--kind inbox|invoice|agreement|annex]

``check`` exits 1 when anything is missing, changed or stray; ``upload`` exits 1 when any file
was refused or failed (the others are stored).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecaster.documents import services
from forecaster.documents.models import Document
from forecaster.documents.storage import StorageError


class Command(BaseCommand):
    help = "The PDF archive: check it, upload a folder of PDFs into the inbox, list documents."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("check", help="Verify every stored file and its SHA-256; list strays.")
        up = sub.add_parser("upload", help="Upload every PDF in a folder into the inbox.")
        up.add_argument("directory", metavar="DIR")
        ls = sub.add_parser("list", help="List documents.")
        ls.add_argument("--kind", choices=[k.value for k in Document.Kind])

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "check":
            self._check()
        elif action == "upload":
            self._upload(Path(opts["directory"]))
        elif action == "list":
            self._list(opts.get("kind"))
        else:  # argparse refuses others; kept for call_command
            raise CommandError(f"unknown action {action!r}")

    def _check(self) -> None:
        try:
            report = services.check()
        except StorageError as exc:
            raise CommandError(str(exc)) from None
        for doc in report.missing:
            self.stdout.write(f"MISSING  {doc.path}  (document {doc.pk}, {doc.original_name})")
        for doc in report.corrupt:
            self.stdout.write(f"CHANGED  {doc.path}  (document {doc.pk}: content differs from its SHA-256)")
        for name in report.strays:
            self.stdout.write(f"STRAY    {name}  (no document names this file)")
        summary = (
            f"{report.checked} documents checked: {len(report.missing)} missing, "
            f"{len(report.corrupt)} changed, {len(report.strays)} stray files"
        )
        if report.ok:
            self.stdout.write(f"OK: {summary}.")
            return
        raise CommandError(summary)

    def _upload(self, directory: Path) -> None:
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder")
        files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise CommandError(f"{directory} has no files to upload")
        stored = refused = 0
        tty = sys.stdout.isatty()
        for i, path in enumerate(files, 1):
            prefix = f"[{i}/{len(files)}] {path.name}: "
            try:
                with path.open("rb") as fh:
                    doc = services.ingest(fh, path.name)
            except services.UploadRefused as exc:
                refused += 1
                extra = f" (document {exc.existing.pk})" if exc.existing is not None else ""
                self.stdout.write(f"{prefix}refused: {exc.message}{extra}")
            except (StorageError, OSError) as exc:
                refused += 1
                self.stdout.write(f"{prefix}failed: {exc}")
            else:
                stored += 1
                self.stdout.write(f"{prefix}stored as document {doc.pk}")
            if tty:
                self.stdout.flush()
        summary = f"{stored} stored in the inbox, {refused} refused or failed, of {len(files)} files"
        if refused:
            raise CommandError(summary)
        self.stdout.write(summary)

    def _list(self, kind: str | None) -> None:
        docs = Document.objects.all()
        if kind:
            docs = docs.filter(kind=kind)
        rows = list(docs)
        if not rows:
            self.stdout.write("No documents. Upload some with `forecaster documents upload DIR`.")
            return
        for doc in rows:
            self.stdout.write(f"{doc.pk}\t{doc.kind}\t{doc.size}\t{doc.path}\t{doc.original_name}")
