"""Item: the data directory is 0700 and the database (with its WAL) and key files 0600."""

from __future__ import annotations

import os
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from forecaster.core.tests.cli import run_cli
from forecaster.core.tests.test_server import _start_serve


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_fresh_data_dir_is_private_while_the_service_runs(tmp_path):
    proc, _port = _start_serve(tmp_path)
    try:
        data = tmp_path / "data"
        assert mode(data) == 0o700
        files = sorted(p.name for p in data.iterdir() if p.is_file())
        assert "forecaster.sqlite3-wal" in files, files  # the service holds the database open
        for name in files:
            assert mode(data / name) == 0o600, name
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_a_cli_command_creates_a_private_data_dir(tmp_path):
    data = tmp_path / "nested" / "data"
    assert run_cli(data, "systems", "list").returncode == 0
    assert mode(data) == 0o700
    for path in data.iterdir():
        if path.is_file():
            assert mode(path) == 0o600, path.name


def test_serve_makes_an_existing_loose_data_dir_private(tmp_path):
    data = tmp_path / "data"
    assert run_cli(data, "systems", "list").returncode == 0
    os.chmod(data, 0o755)
    os.chmod(data / "forecaster.sqlite3", 0o644)
    proc, _port = _start_serve(tmp_path)
    proc.terminate()
    proc.communicate(timeout=60)
    assert mode(data) == 0o700
    assert mode(data / "forecaster.sqlite3") == 0o600


def test_the_start_up_check_names_a_loose_data_dir(tmp_path, settings):
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    settings.DATA_DIR = loose
    with pytest.raises(SystemCheckError) as caught:
        call_command("check", deploy=True, fail_level="ERROR", verbosity=0)
    assert "forecaster.E003" in str(caught.value)
    assert f"chmod 700 {loose}" in str(caught.value)
