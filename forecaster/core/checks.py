"""System checks for misconfiguration we can detect before serving (stable ids)."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from forecaster.lib.crypto import KeyConfigError, key_file_path, load_keys
from forecaster.lib.env import time_of_day
from forecaster.lib.private_files import loose_modes, sqlite_files


@register(Tags.security)
def encryption_key_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """forecaster.E001: the encryption key is configured and usable (checked by every command)."""
    try:
        load_keys(create=True)
    except KeyConfigError as exc:
        return [
            Error(
                f"The encryption key is not usable: {exc}.",
                hint="Restore the key file from your backup, or set FORECASTER_ENCRYPTION_KEY "
                "(see README, Configuration). A missing key file is created on first start.",
                id="forecaster.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def encryption_key_mode_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """forecaster.E002: the key file must not be readable by other users."""
    errors = []
    if os.environ.get("FORECASTER_ENCRYPTION_KEY"):
        return errors
    path = key_file_path()
    if path.exists():
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            errors.append(
                Error(
                    f"The encryption key file {path} can be read by other users.",
                    hint=f"Run: chmod 600 {path}",
                    id="forecaster.E002",
                )
            )
    return errors


def private_paths() -> list:
    """The data directory, the SQLite database files and the key files in it."""
    from pathlib import Path

    data_dir = Path(settings.DATA_DIR)
    paths = [data_dir, data_dir / "django_secret_key", key_file_path()]
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and str(db["NAME"]) != ":memory:":
        paths += sqlite_files(Path(db["NAME"]))
    return paths


@register(Tags.security, deploy=True)
def private_files_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """forecaster.E003: the data directory is 0700 and its database and key files 0600."""
    errors = []
    for path, mode in loose_modes(private_paths()):
        errors.append(
            Error(
                f"{path} has mode {mode:04o}: other users of this machine can read it "
                "(the database holds session keys, the key files the encryption key).",
                hint=f"Run: chmod {'700' if path.is_dir() else '600'} {path}",
                id="forecaster.E003",
            )
        )
    return errors


@register()
def auto_sync_time_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """forecaster.E004: the daily sync time is a time of day (checked by every command, so a
    typo stops ``serve`` at start instead of failing the scheduler at night)."""
    try:
        time_of_day("FORECASTER_AUTO_SYNC_TIME", settings.AUTO_SYNC_TIME)
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Set FORECASTER_AUTO_SYNC_TIME to the server-local time of the daily sync, "
                "for example 03:30, or leave it unset for 03:30.",
                id="forecaster.E004",
            )
        ]
    return []
