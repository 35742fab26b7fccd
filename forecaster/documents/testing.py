"""Real storage servers on loopback, for the tests and for trying the backends by hand.

    with running_webdav(tmp_path / "dav") as dav:      # wsgidav, HTTP basic auth
        dav.env            # FORECASTER_DOCUMENTS_STORAGE=webdav, URL, user, password
        dav.faults.status_for_put = 507                # the next uploads answer 507
    with running_s3() as s3:                           # moto in server mode
        s3.env             # FORECASTER_DOCUMENTS_STORAGE=s3, endpoint, bucket, credentials

From a shell (prints the environment to export, serves until Ctrl-C)::

    .venv/bin/python -m forecaster.documents.testing webdav
    .venv/bin/python -m forecaster.documents.testing s3

wsgidav and moto are development dependencies (``pip install -e .[dev]``).
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Faults:
    """Make the WebDAV server misbehave: ``status_for_put`` answers every PUT with that status,
    after writing the first half of the body to the target, as a disk that fills up would."""

    status_for_put: int | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class WebDAVServer:
    url: str
    root: Path
    user: str
    password: str
    faults: Faults
    stop: object = None

    @property
    def env(self) -> dict[str, str]:
        return {
            "FORECASTER_DOCUMENTS_STORAGE": "webdav",
            "FORECASTER_WEBDAV_URL": self.url,
            "FORECASTER_WEBDAV_USER": self.user,
            "FORECASTER_WEBDAV_PASSWORD": self.password,
        }


class _FaultMiddleware:
    def __init__(self, app: Callable[..., Iterable[bytes]], faults: Faults, root: Path, mount: str) -> None:
        self.app = app
        self.faults = faults
        self.root = root
        self.mount = mount

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., object]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        self.faults.requests.append((method, environ.get("PATH_INFO", "")))
        if method == "PUT" and self.faults.status_for_put:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            path = environ.get("PATH_INFO", "")
            if path.startswith(self.mount):
                target = self.root / path[len(self.mount) :]
                if target.parent.is_dir():
                    target.write_bytes(body[: len(body) // 2])
            status = self.faults.status_for_put
            start_response(f"{status} Failing on purpose", [("Content-Type", "text/plain")])
            return [b"failing on purpose"]
        return self.app(environ, start_response)


@contextlib.contextmanager
def running_webdav(
    root: Path | None = None, *, mount: str = "/remote.php/dav/files/alice/"
) -> Iterator[WebDAVServer]:
    """A wsgidav server over ``root`` (a temporary folder by default) with basic auth."""
    from waitress.server import create_server
    from wsgidav.wsgidav_app import WsgiDAVApp

    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        root.mkdir(parents=True, exist_ok=True)
        user, password = "alice", "dav-" + secrets.token_hex(8)
        config = {
            "provider_mapping": {mount.rstrip("/"): str(root)},
            "http_authenticator": {
                "domain_controller": None,
                "accept_basic": True,
                "accept_digest": False,
                "default_to_digest": False,
            },
            "simple_dc": {"user_mapping": {"*": {user: {"password": password}}}},
            "verbose": 0,
            "logging": {"enable": False, "enable_loggers": []},
            "dir_browser": {"enable": False},
            "property_manager": True,
            "lock_storage": True,
        }
        faults = Faults()
        app = _FaultMiddleware(WsgiDAVApp(config), faults, root, mount)
        port = _free_port()
        server = create_server(app, host="127.0.0.1", port=port, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield WebDAVServer(
                url=f"http://127.0.0.1:{port}{mount}", root=root, user=user, password=password, faults=faults
            )
        finally:
            server.close()
            thread.join(timeout=10)


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    access_key: str = "testing-access-key"
    secret_key: str = "testing-secret-key"  # moto accepts any; never a real credential

    @property
    def env(self) -> dict[str, str]:
        return {
            "FORECASTER_DOCUMENTS_STORAGE": "s3",
            "FORECASTER_S3_ENDPOINT_URL": self.endpoint,
            "FORECASTER_S3_BUCKET": self.bucket,
            "FORECASTER_S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )


@contextlib.contextmanager
def running_s3(bucket: str = "forecaster-documents") -> Iterator[S3Server]:
    """moto's S3 in server mode on a free loopback port, with ``bucket`` created."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3 = S3Server(endpoint=f"http://127.0.0.1:{port}", bucket=bucket)
        s3.client().create_bucket(Bucket=bucket)
        yield s3
    finally:
        server.stop()


def make_pdf(title: str = "Test document", created: str = "20250309120000", pages: int = 1) -> bytes:
    """A small valid PDF with ``title`` and creation date ``created`` (YYYYMMDDhhmmss) in its
    metadata; different titles give different bytes (and hashes)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title, "/CreationDate": f"D:{created}", "/Producer": "forecaster tests"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main(argv: list[str]) -> int:
    kind = argv[1] if len(argv) > 1 else ""
    if kind not in ("webdav", "s3"):
        print("usage: python -m forecaster.documents.testing webdav|s3", file=sys.stderr)
        return 2
    ctx = running_webdav() if kind == "webdav" else running_s3()
    with ctx as server:
        for key, value in server.env.items():
            print(f"export {key}={value}")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
