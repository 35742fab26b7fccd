"""`forecaster backup` and `--restore`, on whichever database the suite runs (SQLite or PostgreSQL)."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from forecaster.documents.models import Document
from forecaster.lib.crypto import key_file_path, load_keys

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("backup", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_backup_then_restore_brings_the_database_and_key_file_back(tmp_path, settings, monkeypatch):
    monkeypatch.delenv("FORECASTER_ENCRYPTION_KEY", raising=False)
    monkeypatch.setenv("FORECASTER_ENCRYPTION_KEY_FILE", str(tmp_path / "keys"))
    load_keys(create=True)
    key_before = key_file_path().read_bytes()
    get_user_model().objects.create_user("kept", password="x" * 12)
    Document.objects.create(sha256="a" * 64, size=1, original_name="a.pdf", path="raw/upload/a.pdf")

    folder = Path(run("--output", str(tmp_path / "backups")).strip().splitlines()[-1])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "encryption_keys" in manifest["files"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "encryption_keys").stat().st_mode) == 0o600

    # things change after the backup; the key file is lost
    get_user_model().objects.filter(username="kept").delete()
    Document.objects.all().delete()
    get_user_model().objects.create_user("later", password="x" * 12)
    key_file_path().unlink()

    with pytest.raises(CommandError, match="--yes"):
        run("--restore", str(folder))
    assert "database, encryption key file" in run("--restore", str(folder), "--yes")
    assert get_user_model().objects.filter(username="kept").exists()
    assert not get_user_model().objects.filter(username="later").exists()
    assert Document.objects.get().original_name == "a.pdf"
    assert key_file_path().read_bytes() == key_before


def test_a_damaged_backup_is_refused_before_touching_anything(tmp_path):
    folder = Path(run("--output", str(tmp_path)).strip().splitlines()[-1])
    db_file = next(p for p in folder.iterdir() if p.name.startswith("database."))
    db_file.write_bytes(db_file.read_bytes()[:-10] + b"0123456789")
    get_user_model().objects.create_user("still-here", password="x" * 12)
    with pytest.raises(CommandError, match="damaged"):
        run("--restore", str(folder), "--yes")
    assert get_user_model().objects.filter(username="still-here").exists()


def test_restoring_something_that_is_not_a_backup_says_so(tmp_path):
    with pytest.raises(CommandError, match="not a backup folder"):
        run("--restore", str(tmp_path), "--yes")
