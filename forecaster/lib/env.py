"""Typed readers of environment variables that fail loudly.

    >>> import os; os.environ["X_STEP"] = "5"
    >>> env_int("X_STEP", 100)
    5

A bad value raises ``ImproperlyConfigured`` naming the variable, rather than starting a service
that behaves oddly later.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """The variable's value, or ``default`` when unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); anything else is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """A whole number, optionally with a lower bound."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def time_of_day(name: str, raw: str) -> time:
    """``raw`` as a time of day written ``HH:MM``; anything else raises ``ImproperlyConfigured``
    naming the variable ``name``.

        >>> time_of_day("X_AT", "03:30")
        datetime.time(3, 30)
    """
    try:
        hours, minutes = str(raw).strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be HH:MM (e.g. 03:30); got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: str) -> Path:
    """An absolute path (relative values are taken from the current directory)."""
    return Path(os.environ.get(name) or default).expanduser().resolve()


def read_or_create_secret_file(path: Path, make: Callable[[], str]) -> str:
    """Return the file's content, creating it with ``make()`` and mode 0600 on first use.

    Used for the Django secret key and the encryption key, which are generated on first start
    into the data directory and never leave it.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: if two processes start together, exactly one writes and both read the same value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value
