"""Storage fixtures: the same tests run on local disk, a real WebDAV server and a real S3 server.

The servers (wsgidav and moto, both on loopback) start once per test session; each test gets its
own empty folder (WebDAV) or key prefix (S3) on them.
"""

from __future__ import annotations

import itertools
import os

import pytest

from forecaster.documents.config import storages_setting
from forecaster.documents.testing import running_s3, running_webdav

_n = itertools.count(1)


@pytest.fixture(scope="session")
def webdav_server(tmp_path_factory):
    with running_webdav(tmp_path_factory.mktemp("dav")) as server:
        yield server


@pytest.fixture(scope="session")
def s3_server():
    with running_s3() as server:
        yield server


def use_backend(kind: str, request, settings, monkeypatch, tmp_path):
    """Point the ``documents`` storage at ``kind``; returns the server (or None for local)."""
    server = None
    env: dict[str, str] = {"FORECASTER_DOCUMENTS_STORAGE": kind}
    if kind == "local":
        env["FORECASTER_DOCUMENTS_DIR"] = str(tmp_path / "archive")
    elif kind == "webdav":
        server = request.getfixturevalue("webdav_server")
        folder = f"t{next(_n)}"
        (server.root / folder).mkdir()
        server.faults.status_for_put = None
        env.update(server.env)
        env["FORECASTER_WEBDAV_URL"] = server.url + folder + "/"
    elif kind == "s3":
        server = request.getfixturevalue("s3_server")
        env.update(server.env)
        env["FORECASTER_S3_PREFIX"] = f"t{next(_n)}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "documents": storages_setting(os.environ, tmp_path)}
    return server


@pytest.fixture(params=["local", "webdav", "s3"])
def backend(request, settings, monkeypatch, tmp_path):
    """Each test using this runs three times: local disk, WebDAV, S3."""
    server = use_backend(request.param, request, settings, monkeypatch, tmp_path)
    return request.param, server


@pytest.fixture
def local_backend(request, settings, monkeypatch, tmp_path):
    use_backend("local", request, settings, monkeypatch, tmp_path)
    return tmp_path / "archive"


@pytest.fixture
def webdav(request, settings, monkeypatch, tmp_path):
    return use_backend("webdav", request, settings, monkeypatch, tmp_path)
