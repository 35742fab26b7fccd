"""Where document files live: local disk, WebDAV or S3, chosen by the environment.

Every backend is a Django storage under the alias ``documents``::

    from forecaster.documents.storage import documents_storage
    storage = documents_storage()
    storage.save("raw/upload/<sha256>.pdf", ContentFile(pdf_bytes))

``FORECASTER_DOCUMENTS_STORAGE`` picks the backend (``local`` by default; ``webdav``; ``s3``),
see :func:`forecaster.documents.config.storages_setting`. Names are archive paths
(:func:`archive_name`), the layout the original module kept on its WebDAV server, so the
archive is readable without us::

    invoices/YYYY/MM/<sha256>.pdf   agreements/YYYY/MM/…   annexes/YYYY/MM/…
    raw/upload/<sha256>.pdf         (the inbox)             raw/delete/<sha256>.pdf (deleted)

Names are derived from the content's hash, so writing a name again writes the same bytes:
every backend here overwrites instead of inventing a new name.

Storage failures are raised as :class:`StorageError` with a message a person can act on; the
message never contains a credential.
"""

from __future__ import annotations

import datetime
import logging
import os
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible

from forecaster.lib import http

log = logging.getLogger(__name__)

ALIAS = "documents"
INBOX_DIR = "raw/upload"
TRASH_DIR = "raw/delete"
KIND_DIRS = {"invoice": "invoices", "agreement": "agreements", "annex": "annexes"}
# Every folder that holds files the database names; raw/delete is the trash, never checked.
ARCHIVE_ROOTS = ("invoices", "agreements", "annexes", INBOX_DIR)


class StorageError(Exception):
    """The document storage failed; ``str(exc)`` says what and what to do (no credentials)."""


def archive_name(sha256: str, kind: str = "inbox", on: datetime.date | None = None) -> str:
    """The archive path of a document with this hash.

    >>> archive_name("0f" * 32)[:14]
    'raw/upload/0f0'
    >>> archive_name("0f" * 32, "invoice", datetime.date(2025, 3, 9))[:20]
    'invoices/2025/03/0f0'
    """
    if kind == "inbox":
        return f"{INBOX_DIR}/{sha256}.pdf"
    if kind == "trash":
        return f"{TRASH_DIR}/{sha256}.pdf"
    if on is None:
        raise ValueError("a classified document's archive path needs its date")
    return f"{KIND_DIRS[kind]}/{on:%Y}/{on:%m}/{sha256}.pdf"


def documents_storage() -> Storage:
    """The configured document storage (``STORAGES["documents"]``)."""
    return storages[ALIAS]


def walk(storage: Storage, root: str) -> Iterator[str]:
    """Every file name under ``root`` (recursively), through the storage API."""
    try:
        dirs, files = storage.listdir(root)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{root}/{name}"
    for sub in dirs:
        yield from walk(storage, f"{root}/{sub}")


def move(storage: Storage, source: str, target: str) -> None:
    """Move a file inside ``storage`` (a native move where the backend has one)."""
    if source == target:
        return
    native = getattr(storage, "move", None)
    if native is not None:
        native(source, target)
        return
    with storage.open(source, "rb") as fh:
        storage.save(target, fh)
    storage.delete(source)


# --- local disk -----------------------------------------------------------------------------------


@deconstructible(path="forecaster.documents.storage.LocalDocumentStorage")
class LocalDocumentStorage(FileSystemStorage):
    """Files in a folder (default ``<data dir>/documents``); overwrites, moves by rename.

    A file is written to a temporary name beside its target and renamed into place, so a
    failed write never leaves a partial file under an archive name.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_overwrite", True)
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    def _save(self, name: str, content: File) -> str:
        full = Path(self.path(name))
        full.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = full.with_name(f".{full.name}.part-{os.getpid()}")
        try:
            with open(tmp, "wb") as out:
                os.chmod(tmp, 0o600)
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, full)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"Could not write the file to the document folder: {exc.strerror}.") from None
        return name

    def move(self, source: str, target: str) -> None:
        dst = Path(self.path(target))
        dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(self.path(source), dst)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        if not Path(self.path(path)).is_dir():
            raise FileNotFoundError(path)
        dirs, files = super().listdir(path)
        # A temporary file of a write in progress is not part of the archive.
        return dirs, [f for f in files if not f.startswith(".")]


# --- S3 --------------------------------------------------------------------------------------------


def _s3_class() -> type:
    from storages.backends.s3 import S3Storage

    return S3Storage


def _make_s3_storage_class() -> type:
    S3Storage = _s3_class()

    @deconstructible(path="forecaster.documents.storage.S3DocumentStorage")
    class S3DocumentStorage(S3Storage):
        """django-storages' S3 storage, with a server-side move and storage errors in words."""

        def move(self, source: str, target: str) -> None:
            from storages.utils import clean_name

            src = self._normalize_name(clean_name(source))
            dst = self._normalize_name(clean_name(target))
            try:
                self.bucket.Object(dst).copy_from(CopySource={"Bucket": self.bucket_name, "Key": src})
                self.bucket.Object(src).delete()
            except Exception as exc:
                raise StorageError(_s3_message(exc)) from None

        def _save(self, name: str, content: File) -> str:
            try:
                return super()._save(name, content)
            except Exception as exc:
                raise StorageError(_s3_message(exc)) from None

        def _open(self, name: str, mode: str = "rb") -> File:
            try:
                return super()._open(name, mode)
            except FileNotFoundError:
                raise
            except OSError as exc:
                raise FileNotFoundError(name) from exc

        def listdir(self, name: str) -> tuple[list[str], list[str]]:
            dirs, files = super().listdir(name)
            if not dirs and not files:
                raise FileNotFoundError(name)
            return dirs, files

    return S3DocumentStorage


def _s3_message(exc: Exception) -> str:
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    if code:
        return f"The S3 storage refused the request ({code}). Check the bucket and its access rights."
    return "The S3 storage could not be reached. Check FORECASTER_S3_ENDPOINT_URL and the network."


def __getattr__(name: str) -> type:
    # STORAGES names "forecaster.documents.storage.S3DocumentStorage"; build it on first use.
    if name == "S3DocumentStorage":
        cls = _make_s3_storage_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


# --- WebDAV ----------------------------------------------------------------------------------------

DAV_NS = "{DAV:}"
# PROPFIND answers list a folder; even a big month stays far below this.
_PROPFIND_MAX_BYTES = 16 * 1024 * 1024


@deconstructible(path="forecaster.documents.storage.WebDAVStorage")
class WebDAVStorage(Storage):
    """A folder on a WebDAV server (Nextcloud, ownCloud, any RFC 4918 server).

    Every request goes through :mod:`forecaster.lib.http`: TLS always verified (plus
    ``FORECASTER_CA_BUNDLE``), redirects never followed, answers bounded in size. The user name
    and password come from ``FORECASTER_WEBDAV_USER`` and ``FORECASTER_WEBDAV_PASSWORD`` (or
    the file named by ``FORECASTER_WEBDAV_PASSWORD_FILE``) and are never logged or shown.

    ``transport`` replaces the network in unit tests.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        max_bytes: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.transport = transport
        self._client: httpx.Client | None = None
        self._known_dirs: set[str] = set()

    def __repr__(self) -> str:
        return f"<WebDAVStorage {http.redact_url(self.base_url)}>"

    # -- plumbing

    def _credentials(self) -> httpx.BasicAuth | None:
        user = os.environ.get("FORECASTER_WEBDAV_USER", "")
        password = os.environ.get("FORECASTER_WEBDAV_PASSWORD", "")
        password_file = os.environ.get("FORECASTER_WEBDAV_PASSWORD_FILE", "")
        if password_file:
            try:
                password = Path(password_file).read_text().strip()
            except OSError as exc:
                raise StorageError(
                    f"FORECASTER_WEBDAV_PASSWORD_FILE cannot be read ({exc.strerror})."
                ) from None
        if not user:
            return None
        return httpx.BasicAuth(user, password)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            # The URL comes from the operator's environment, not from a user: a Nextcloud on the
            # same LAN is the usual case, so private addresses are allowed here.
            client = http.make_client(timeout=self.timeout, transport=self.transport, allow_private=True)
            client.auth = self._credentials()
            client.headers["Accept"] = "*/*"
            self._client = client
        return self._client

    def _url(self, name: str) -> str:
        clean = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
        if clean.startswith("..") or clean == ".":
            clean = "" if clean == "." else clean
            if clean.startswith(".."):
                raise StorageError("A document name may not leave the document folder.")
        return self.base_url + quote(clean)

    def _request(
        self, method: str, name: str, *, max_bytes: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        url = kwargs.pop("url", None) or self._url(name)
        try:
            return http.request(
                self.client,
                method,
                url,
                max_bytes=max_bytes or self.max_bytes or http.DEFAULT_MAX_BYTES,
                **kwargs,
            )
        except http.OutboundError as exc:
            raise StorageError(f"The WebDAV server could not be reached: {exc.message}") from None

    def _fail(self, response: httpx.Response, doing: str) -> StorageError:
        status = response.status_code
        if status in (401, 403):
            why = "refused our credentials (check FORECASTER_WEBDAV_USER and the password)"
        elif status == 507:
            why = "is out of space (507 Insufficient Storage); free space or raise the quota"
        elif 300 <= status < 400:
            why = "answered with a redirect; set FORECASTER_WEBDAV_URL to the final folder URL"
        elif status == 409:
            why = "says a parent folder is missing (409 Conflict)"
        elif status >= 500:
            why = f"failed ({status}); try again later"
        else:
            why = f"answered {status}"
        return StorageError(f"The WebDAV server {why} while {doing}.")

    def _mkcols(self, name: str) -> None:
        parts = posixpath.dirname(name).split("/")
        path = ""
        for part in parts:
            if not part:
                continue
            path = f"{path}{part}/"
            if path in self._known_dirs:
                continue
            response = self._request("MKCOL", path)
            # 201 created; 405 already exists (RFC 4918 §9.3.1)
            if response.status_code not in (201, 405):
                raise self._fail(response, "creating a folder")
            self._known_dirs.add(path)

    # -- the Storage API

    def _save(self, name: str, content: File) -> str:
        self._mkcols(name)
        if hasattr(content, "seek"):
            content.seek(0)
        size = content.size

        def chunks() -> Iterator[bytes]:
            yield from content.chunks()

        try:
            response = self._request(
                "PUT",
                name,
                content=chunks(),
                headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
            )
        except StorageError:
            self._discard(name)
            raise
        if response.status_code not in (200, 201, 204):
            self._discard(name)
            raise self._fail(response, "storing the file")
        return name

    def _discard(self, name: str) -> None:
        """Best effort: remove what a failed upload may have left under ``name``."""
        try:
            self.delete(name)
        except StorageError:
            log.warning("could not remove a partial upload %s from the WebDAV server", name)

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode:
            raise StorageError("WebDAV files are written with save(), not opened for writing.")
        response = self._request("GET", name)
        if response.status_code == 404:
            raise FileNotFoundError(name)
        if response.status_code != 200:
            raise self._fail(response, "reading a file")
        return ContentFile(response.content, name=name)

    def delete(self, name: str) -> None:
        response = self._request("DELETE", name)
        if response.status_code not in (200, 204, 404):
            raise self._fail(response, "deleting a file")

    def exists(self, name: str) -> bool:
        response = self._request("HEAD", name)
        if response.status_code == 404:
            return False
        if response.status_code in (200, 204):
            return True
        raise self._fail(response, "checking a file")

    def size(self, name: str) -> int:
        response = self._request("HEAD", name)
        if response.status_code == 404:
            raise FileNotFoundError(name)
        if response.status_code != 200:
            raise self._fail(response, "checking a file")
        return int(response.headers.get("content-length", "0"))

    def move(self, source: str, target: str) -> None:
        self._mkcols(target)
        response = self._request("MOVE", source, headers={"Destination": self._url(target), "Overwrite": "T"})
        if response.status_code == 404:
            raise FileNotFoundError(source)
        if response.status_code not in (201, 204):
            raise self._fail(response, "moving a file")

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        folder = path.strip("/") + "/" if path.strip("/") else ""
        body = (
            b'<?xml version="1.0" encoding="utf-8"?>'
            b'<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>'
        )
        response = self._request(
            "PROPFIND",
            folder,
            max_bytes=_PROPFIND_MAX_BYTES,
            content=body,
            headers={"Depth": "1", "Content-Type": "application/xml"},
        )
        if response.status_code == 404:
            raise FileNotFoundError(path)
        if response.status_code != 207:
            raise self._fail(response, "listing a folder")
        own = unquote(urlsplit(self._url(folder)).path).rstrip("/")
        dirs: list[str] = []
        files: list[str] = []
        try:
            root = ET.fromstring(response.content)  # noqa: S314  (bounded answer; expat refuses entity bombs)
        except ET.ParseError:
            raise StorageError("The WebDAV server's folder listing is not valid XML.") from None
        for item in root.iter(f"{DAV_NS}response"):
            href = item.findtext(f"{DAV_NS}href") or ""
            href_path = unquote(urlsplit(href).path).rstrip("/")
            if href_path == own or not href_path:
                continue
            leaf = href_path.rsplit("/", 1)[-1]
            is_dir = item.find(f".//{DAV_NS}resourcetype/{DAV_NS}collection") is not None
            (dirs if is_dir else files).append(leaf)
        return dirs, [f for f in files if not f.startswith(".")]

    def url(self, name: str) -> str:
        raise NotImplementedError("documents are served through the application's own view only")

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name  # hash-derived names: writing again writes the same bytes

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
