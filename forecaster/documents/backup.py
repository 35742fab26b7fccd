"""A consistent copy of the database and the key files, and its restore.

    folder = create_backup(Path("/srv/backups"))      # → /srv/backups/forecaster-backup-<time>/
    restore_backup(folder)                            # database and key file back in place

What a backup folder holds (files mode 0600, folder 0700):

- ``database.sqlite3`` — SQLite's online backup API: a consistent copy while the service runs;
  or ``database.pgdump`` — ``pg_dump --format=custom`` for PostgreSQL (``pg_dump`` must be
  installed; Debian: ``postgresql-client``);
- ``encryption_keys`` — the key file that decrypts the stored WHMCS secrets (not when the key
  comes from ``FORECASTER_ENCRYPTION_KEY``: then keep that variable's value safe yourself);
- ``django_secret_key`` when it lives in the data directory (sessions survive a restore);
- ``manifest.json`` — what is there, with each file's SHA-256, checked before a restore.

The document archive (PDFs) is not copied: it is a plain folder or bucket, see README "Backups".
"""

from __future__ import annotations

import datetime
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection

from forecaster.lib.crypto import key_file_path

MANIFEST = "manifest.json"


class BackupError(Exception):
    """The backup or restore cannot be done; ``str(exc)`` says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_tool(name: str) -> str:
    """The newest ``pg_dump``/``pg_restore``: Debian's versioned folders first, then the PATH."""
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
        reverse=True,
    )
    found = candidates[0] if candidates else shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed, so the PostgreSQL database cannot be copied. Install the "
            "PostgreSQL client tools (Debian: apt-get install postgresql-client) and run this again."
        )
    return found


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    s = connection.settings_dict
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]  # never on the command line, where `ps` shows it
    args = ["--no-password", "--dbname", s["NAME"]]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    return env, args


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        last = (result.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise BackupError(f"{what} failed: {last[0]}")


def create_backup(output: Path, *, now: datetime.datetime | None = None) -> Path:
    """Write a new backup folder under ``output`` and return it."""
    now = now or datetime.datetime.now(datetime.UTC)
    output.mkdir(parents=True, exist_ok=True)
    folder = output / f"forecaster-backup-{now:%Y%m%d-%H%M%S}"
    folder.mkdir(mode=0o700)
    files: dict[str, str] = {}
    vendor = connection.vendor
    if vendor == "sqlite":
        target = folder / "database.sqlite3"
        connection.ensure_connection()
        dest = sqlite3.connect(target)
        try:
            with dest:
                connection.connection.backup(dest)
        finally:
            dest.close()
    elif vendor == "postgresql":
        target = folder / "database.pgdump"
        env, args = _pg_env_and_args()
        _run([_pg_tool("pg_dump"), "--format=custom", "--file", str(target), *args], env, "pg_dump")
    else:
        raise BackupError(f"backups of a {vendor} database are not supported")
    files[target.name] = ""
    keys = key_file_path()
    key_note = ""
    if os.environ.get("FORECASTER_ENCRYPTION_KEY"):
        key_note = "the encryption key comes from FORECASTER_ENCRYPTION_KEY; keep that value safe yourself"
    elif keys.exists():
        shutil.copyfile(keys, folder / "encryption_keys")
        files["encryption_keys"] = ""
    secret = Path(settings.DATA_DIR) / "django_secret_key"
    if not os.environ.get("FORECASTER_SECRET_KEY") and secret.exists():
        shutil.copyfile(secret, folder / "django_secret_key")
        files["django_secret_key"] = ""
    for name in files:
        os.chmod(folder / name, 0o600)
        files[name] = _sha256(folder / name)
    manifest = {
        "format": 1,
        "created": now.isoformat(),
        "database": vendor,
        "files": files,
        "note": key_note,
        "documents_storage": os.environ.get("FORECASTER_DOCUMENTS_STORAGE", "local"),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    os.chmod(folder / MANIFEST, 0o600)
    return folder


def read_manifest(folder: Path) -> dict:
    """The backup's manifest, after checking every file in it against its SHA-256."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{folder} is not a backup folder (no readable {MANIFEST})") from None
    for name, sha in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists():
            raise BackupError(f"the backup is incomplete: {name} is missing")
        if _sha256(path) != sha:
            raise BackupError(f"the backup is damaged: {name} does not match its SHA-256")
    return manifest


def restore_backup(folder: Path) -> list[str]:
    """Put the backup in ``folder`` back in place; returns what was restored.

    The database is replaced as a whole. Stop `forecaster serve` first. A key file that is
    replaced is kept beside it as ``encryption_keys.before-restore``.
    """
    manifest = read_manifest(folder)
    files = manifest.get("files", {})
    vendor = connection.vendor
    if manifest.get("database") != vendor:
        raise BackupError(
            f"this backup holds a {manifest.get('database')} database, but the configured one is {vendor}"
        )
    done: list[str] = []
    if vendor == "sqlite":
        source = sqlite3.connect(folder / "database.sqlite3")
        try:
            connection.ensure_connection()
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        env, args = _pg_env_and_args()
        restore = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction"]
        _run([*restore, *args, str(folder / "database.pgdump")], env, "pg_restore")
    done.append("database")
    if "encryption_keys" in files:
        target = key_file_path()
        if target.exists() and _sha256(target) != files["encryption_keys"]:
            shutil.copyfile(target, target.with_name(target.name + ".before-restore"))
            os.chmod(target.with_name(target.name + ".before-restore"), 0o600)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "encryption_keys", target)
        os.chmod(target, 0o600)
        done.append("encryption key file")
    if "django_secret_key" in files and not os.environ.get("FORECASTER_SECRET_KEY"):
        target = Path(settings.DATA_DIR) / "django_secret_key"
        shutil.copyfile(folder / "django_secret_key", target)
        os.chmod(target, 0o600)
        done.append("Django secret key")
    return done
