"""WebDAV failures during an upload lose nothing, say what happened, and never show the password."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from forecaster.documents import services
from forecaster.documents.config import storages_setting
from forecaster.documents.models import Document
from forecaster.documents.storage import StorageError, documents_storage
from forecaster.documents.testing import make_pdf

pytestmark = pytest.mark.django_db


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_server_out_of_space_507_loses_nothing_and_says_so(webdav, caplog):
    caplog.set_level(logging.DEBUG)
    folder = webdav.root / webdav.env["FORECASTER_WEBDAV_URL"].rstrip("/").rsplit("/", 1)[-1]
    webdav.faults.status_for_put = 507
    with pytest.raises(StorageError) as failed:
        services.ingest(io.BytesIO(make_pdf("Quota")), "quota.pdf")
    assert "out of space" in str(failed.value)
    assert Document.objects.count() == 0
    assert _files(folder) == []
    webdav.faults.status_for_put = None
    assert services.check().ok
    # once the server has room again the same upload works
    services.ingest(io.BytesIO(make_pdf("Quota")), "quota.pdf")
    assert webdav.password not in caplog.text


def test_server_down_loses_nothing_and_says_so(settings, monkeypatch, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("FORECASTER_DOCUMENTS_STORAGE", "webdav")
    monkeypatch.setenv("FORECASTER_WEBDAV_URL", f"http://127.0.0.1:{port}/dav/")
    monkeypatch.setenv("FORECASTER_WEBDAV_USER", "alice")
    monkeypatch.setenv("FORECASTER_WEBDAV_PASSWORD", "canary-3f9d1e")
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": storages_setting(
            {
                "FORECASTER_DOCUMENTS_STORAGE": "webdav",
                "FORECASTER_WEBDAV_URL": f"http://127.0.0.1:{port}/dav/",
            },
            tmp_path,
        ),
    }
    with pytest.raises(StorageError) as failed:
        services.ingest(io.BytesIO(make_pdf("Down")), "down.pdf")
    assert "could not be reached" in str(failed.value)
    assert "canary-3f9d1e" not in str(failed.value)
    assert "canary-3f9d1e" not in repr(documents_storage())
    assert Document.objects.count() == 0


def test_wrong_password_is_named_without_showing_it(webdav, monkeypatch):
    monkeypatch.setenv("FORECASTER_WEBDAV_PASSWORD", "canary-wrong-77")
    with pytest.raises(StorageError) as failed:
        services.ingest(io.BytesIO(make_pdf("Auth")), "auth.pdf")
    assert "credentials" in str(failed.value)
    assert "canary-wrong-77" not in str(failed.value)
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    "env, words",
    [
        ({"FORECASTER_DOCUMENTS_STORAGE": "ftp"}, "local, webdav or s3"),
        ({"FORECASTER_DOCUMENTS_STORAGE": "webdav"}, "FORECASTER_WEBDAV_URL"),
        (
            {
                "FORECASTER_DOCUMENTS_STORAGE": "webdav",
                "FORECASTER_WEBDAV_URL": "https://u:pw@cloud.example/dav/",
            },
            "must not carry",
        ),
        ({"FORECASTER_DOCUMENTS_STORAGE": "s3"}, "FORECASTER_S3_BUCKET"),
    ],
)
def test_bad_storage_settings_stop_with_a_message_naming_the_variable(env, words, tmp_path):
    with pytest.raises(ImproperlyConfigured) as bad:
        storages_setting(env, tmp_path)
    assert words in str(bad.value)
    assert "pw@" not in str(bad.value)


def test_https_webdav_with_an_untrusted_certificate_is_refused(settings, monkeypatch, tmp_path):
    """TLS is always verified: a self-signed server is not trusted, and there is no switch."""
    from forecaster.lib.tests.loopback import make_cert, serve

    cert, key = make_cert(tmp_path)
    with serve(lambda req: (201, {}, b""), tls=(cert, key)) as server:
        monkeypatch.setenv("FORECASTER_WEBDAV_USER", "alice")
        monkeypatch.setenv("FORECASTER_WEBDAV_PASSWORD", "pw")
        settings.STORAGES = {
            **settings.STORAGES,
            "documents": storages_setting(
                {
                    "FORECASTER_DOCUMENTS_STORAGE": "webdav",
                    "FORECASTER_WEBDAV_URL": server.url("/dav/", host="localhost"),
                },
                tmp_path,
            ),
        }
        with pytest.raises(StorageError) as failed:
            services.ingest(io.BytesIO(make_pdf("TLS")), "tls.pdf")
        assert "not trusted" in str(failed.value)
        assert server.requests == []
