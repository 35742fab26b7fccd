"""System checks for misconfiguration we can detect before serving (stable ids)."""

from __future__ import annotations

import os
import stat

from django.core.checks import Error, Tags, register

from forecaster.lib.crypto import KeyConfigError, key_file_path, load_keys


@register(Tags.security, deploy=True)
def encryption_key_check(app_configs, **kwargs):
    """forecaster.E001: the encryption key must be readable and not world-readable."""
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
    try:
        load_keys(create=True)
    except KeyConfigError as exc:
        errors.append(
            Error(
                f"The encryption key is not usable: {exc}.",
                hint="Restore the key file from your backup, or set FORECASTER_ENCRYPTION_KEY.",
                id="forecaster.E001",
            )
        )
    return errors
