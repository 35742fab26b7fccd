"""What can happen to a document, as plain functions (views and commands are thin over these).

    >>> with open("scan.pdf", "rb") as fh:
    ...     doc = ingest(fh, "scan.pdf", user=None)       # into the inbox (raw/upload/)
    >>> report = check()                                  # every file there, with its hash?
    >>> report.ok, report.missing, report.strays

Refusals are :class:`UploadRefused` (``reason`` is one of ``not_pdf``, ``too_large``,
``duplicate``, ``empty``; ``existing`` is the earlier document for a duplicate); a storage that
fails is :class:`~forecaster.documents.storage.StorageError`. Neither leaves anything behind:
no database row without its file, no file without its row.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.files import File
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from forecaster.documents.models import Document
from forecaster.documents.storage import (
    ARCHIVE_ROOTS,
    StorageError,
    archive_name,
    documents_storage,
    move,
    walk,
)

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# PDF 1.7 §7.5.2: the header may follow up to 1024 bytes of junk; readers accept that.
_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")


class UploadRefused(Exception):
    """The file is not accepted; ``str(exc)`` says why in words a user understands."""

    def __init__(self, reason: str, message: str, existing: Document | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.existing = existing


def max_bytes() -> int:
    return settings.DOCUMENTS_MAX_MB * 1024 * 1024


@dataclass
class PdfInfo:
    title: str = ""
    date: datetime.date | None = None
    pages: int = 0


def read_pdf(fh: BinaryIO) -> PdfInfo:
    """Check ``fh`` is a PDF by its content and read its title and date (metadata).

    Raises :class:`UploadRefused` (``not_pdf``) for anything else, whatever its name.
    """
    fh.seek(0)
    head = fh.read(1024)
    if not _PDF_HEADER.search(head):
        raise UploadRefused("not_pdf", _("This file is not a PDF (its content does not start like one)."))
    fh.seek(0)
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(fh, strict=False)
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        raise UploadRefused(
            "not_pdf", _("This file looks like a PDF but cannot be read (damaged?).")
        ) from None
    if pages < 1:
        raise UploadRefused("not_pdf", _("This PDF has no pages."))
    info = PdfInfo(pages=pages)
    try:
        meta = reader.metadata
        if meta is not None:
            info.title = (meta.title or "").strip()[:300]
            created = meta.creation_date
            if created is not None:
                info.date = created.date()
    except Exception:  # broken metadata is common and never a reason to refuse
        log.debug("unreadable PDF metadata", exc_info=True)
    return info


def _spool(source: BinaryIO) -> tuple[tempfile.SpooledTemporaryFile, str, int]:
    """Copy ``source`` into a temporary file, hashing it, refusing more than the size limit."""
    limit = max_bytes()
    spool = tempfile.SpooledTemporaryFile(max_size=CHUNK * 4)  # noqa: SIM115  (returned to the caller)
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = source.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            spool.close()
            raise UploadRefused(
                "too_large",
                _("This file is larger than the limit of %(mb)d MB.") % {"mb": settings.DOCUMENTS_MAX_MB},
            )
        digest.update(chunk)
        spool.write(chunk)
    if size == 0:
        spool.close()
        raise UploadRefused("empty", _("This file is empty."))
    spool.seek(0)
    return spool, digest.hexdigest(), size


def _duplicate(existing: Document) -> UploadRefused:
    return UploadRefused(
        "duplicate",
        _("This file was uploaded before, as “%(name)s”.") % {"name": str(existing)},
        existing=existing,
    )


def ingest(
    source: BinaryIO, original_name: str, *, user: AbstractBaseUser | AnonymousUser | None = None
) -> Document:
    """Store an uploaded PDF in the inbox and return its new :class:`Document`.

    Raises :class:`UploadRefused` or :class:`StorageError`; either way nothing is left behind.
    """
    spool, sha, size = _spool(source)
    try:
        info = read_pdf(spool)
        existing = Document.objects.filter(sha256=sha).first()
        if existing is not None:
            raise _duplicate(existing)
        name = archive_name(sha)
        storage = documents_storage()
        spool.seek(0)
        try:
            storage.save(name, File(spool, name=name))
        except Exception:
            _remove_orphan(name)
            raise
        try:
            with transaction.atomic():
                doc = Document.objects.create(
                    sha256=sha,
                    size=size,
                    original_name=_clean_filename(original_name),
                    path=name,
                    title=info.title,
                    pdf_date=info.date,
                    uploaded_by=user if getattr(user, "is_authenticated", False) else None,
                )
        except IntegrityError:
            # The same file uploaded at the same moment by someone else: theirs won, and its row
            # names this very file (same hash, same name), so the file stays.
            existing = Document.objects.filter(sha256=sha).first()
            if existing is None:
                _remove_orphan(name)
                raise
            raise _duplicate(existing) from None
        except Exception:
            _remove_orphan(name)
            raise
        log.info("document %s stored in the inbox (%d bytes)", doc.pk, size)
        return doc
    finally:
        spool.close()


def _remove_orphan(name: str) -> None:
    """Delete a file no row names (a failed upload); keep it if a row does name it."""
    if Document.objects.filter(path=name).exists():
        return
    try:
        documents_storage().delete(name)
    except Exception:  # the storage is failing already; `documents check` will list it
        log.warning("could not remove %s after a failed upload; `forecaster documents check` lists it", name)


def _clean_filename(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base or "document.pdf")[:255]


def relocate(
    doc: Document, kind: str, on: datetime.date | None = None, *, also: Callable[[], object] | None = None
) -> bool:
    """Move ``doc``'s file to the archive place of ``kind`` (dated ``on``) and save the row.

    ``also()`` runs in the same transaction (e.g. saving the cost invoice the document becomes)
    and its result is returned. If the transaction fails the file is moved back, so the
    database and the archive never disagree.
    """
    target = archive_name(doc.sha256, "inbox" if kind == Document.Kind.INBOX else kind, on)
    source = doc.path
    storage = documents_storage()
    move(storage, source, target)
    try:
        with transaction.atomic():
            result = also() if also is not None else None
            doc.kind = kind
            doc.path = target
            doc.save()
    except Exception:
        doc.path = source
        try:
            move(storage, target, source)
        except Exception:
            log.warning("could not move %s back to %s after a failed change", target, source)
        raise
    return result


KIND_FIELD = {
    Document.Kind.INVOICE: "cost_invoice",
    Document.Kind.AGREEMENT: "agreement",
    Document.Kind.ANNEX: "annex",
}


class Refused(Exception):
    """A change that is not allowed now; ``str(exc)`` says why."""


def dependents(doc: Document) -> str:
    """What keeps ``doc`` from being deleted, in words ("" when nothing does)."""
    if doc.kind != Document.Kind.INBOX:
        return _("it is filed as %(kind)s; send it back to the inbox first") % {
            "kind": doc.get_kind_display().lower()
        }
    return ""


def archive_date(kind: str, record: models.Model) -> datetime.date:
    """The date that files a classified document under ``YYYY/MM``."""
    if kind == Document.Kind.INVOICE:
        day = record.document_date
    elif kind == Document.Kind.AGREEMENT:
        day = record.concluded_on or record.starts_on
    else:
        day = record.effective_on or record.concluded_on
    return day or datetime.date.today()


def classify(
    doc: Document, kind: str, record: models.Model, save: Callable[[], object] | None = None
) -> models.Model:
    """File an inbox document as ``kind``, becoming ``record`` (an unsaved or saved cost invoice,
    agreement or annex). ``save()`` saves the record (default ``record.save()``), inside the
    same transaction as the move into ``invoices|agreements|annexes/YYYY/MM/``.

    Raises :class:`Refused` if ``doc`` is not in the inbox.
    """
    if kind not in KIND_FIELD:
        raise ValueError(kind)
    doc.refresh_from_db()
    if doc.kind != Document.Kind.INBOX:
        raise Refused(
            _("This document is already filed as %(kind)s.") % {"kind": doc.get_kind_display().lower()}
        )

    def also() -> models.Model:
        saved = save() if save is not None else (record.save() or record)
        setattr(doc, KIND_FIELD[kind], saved)
        return saved

    return relocate(doc, kind, archive_date(kind, record), also=also)


def record_dependents(record: models.Model) -> list[str]:
    """What refers to ``record`` (besides its document), e.g. ``["2 annexes", "1 commitment"]``."""
    found: list[str] = []
    for rel in record._meta.related_objects:
        model = rel.related_model
        if model is Document or model.__name__.startswith("Historical") or rel.many_to_many:
            continue
        accessor = rel.get_accessor_name()
        if rel.one_to_one:
            if getattr(record, accessor, None) is not None:
                found.append(f"1 {model._meta.verbose_name}")
            continue
        count = getattr(record, accessor).count()
        if count:
            name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
            found.append(f"{count} {name}")
    commitment = getattr(record, "commitment", None)
    if commitment is not None:
        found.append(_("commitment “%(name)s”") % {"name": commitment})
    return found


def unmap(doc: Document) -> None:
    """Send a classified document back to the inbox, deleting the record it became.

    Raises :class:`Refused` naming what depends on that record (annexes, commitments…).
    """
    doc.refresh_from_db()
    record = doc.record
    if doc.kind == Document.Kind.INBOX:
        raise Refused(_("This document is already in the inbox."))
    if record is not None:
        deps = record_dependents(record)
        if deps:
            raise Refused(
                _("“%(record)s” cannot go back to the inbox while %(what)s depend on it.")
                % {"record": record, "what": ", ".join(str(d) for d in deps)}
            )

    def also() -> None:
        for field_name in KIND_FIELD.values():
            setattr(doc, field_name, None)
        if record is not None:
            record.delete()

    relocate(doc, Document.Kind.INBOX, also=also)


def return_to_inbox(pk: int) -> None:
    """After its record was deleted elsewhere, move a document back to the inbox."""
    doc = Document.objects.filter(pk=pk).first()
    if doc is None or doc.kind == Document.Kind.INBOX or doc.record is not None:
        return
    try:
        relocate(doc, Document.Kind.INBOX)
    except Exception:  # the record is gone either way; `documents check` shows the file
        log.warning("document %s could not be moved back to the inbox", pk, exc_info=True)


def delete(doc: Document) -> str:
    """Remove ``doc`` from the database and keep its file in ``raw/delete/``; returns that path."""
    target = archive_name(doc.sha256, "trash")
    storage = documents_storage()
    move(storage, doc.path, target)
    try:
        doc.delete()
    except Exception:
        move(storage, target, doc.path)
        raise
    return target


def open_file(doc: Document) -> File:
    """The stored file, open for reading (raises ``FileNotFoundError`` if it is gone)."""
    return documents_storage().open(doc.path, "rb")


# --- check ------------------------------------------------------------------------------------------


@dataclass
class CheckReport:
    checked: int = 0
    missing: list[Document] = field(default_factory=list)
    corrupt: list[Document] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt or self.strays)


def check(progress: Callable[[str], object] | None = None) -> CheckReport:
    """Verify every file the database names exists with its SHA-256, and list strays.

    Strays are files in the archive folders that no document names (``raw/delete/`` is the
    trash and is not checked). ``progress(i, n)`` is called after each document.
    """
    storage = documents_storage()
    report = CheckReport()
    docs = list(Document.objects.order_by("id"))
    for i, doc in enumerate(docs, 1):
        report.checked += 1
        try:
            with storage.open(doc.path, "rb") as fh:
                digest = hashlib.sha256()
                for chunk in iter(lambda fh=fh: fh.read(CHUNK), b""):
                    digest.update(chunk)
        except FileNotFoundError:
            report.missing.append(doc)
        else:
            if digest.hexdigest() != doc.sha256:
                report.corrupt.append(doc)
        if progress:
            progress(i, len(docs))
    named = {doc.path for doc in docs}
    for root in ARCHIVE_ROOTS:
        for name in walk(storage, root):
            if name not in named:
                report.strays.append(name)
    return report


__all__ = [
    "CheckReport",
    "Refused",
    "StorageError",
    "UploadRefused",
    "check",
    "classify",
    "delete",
    "ingest",
    "open_file",
    "read_pdf",
    "relocate",
    "unmap",
]
