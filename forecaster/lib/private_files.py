"""The data directory and the files in it are private to the service's user.

The SQLite database holds live session keys and the key files hold the encryption key, so the
data directory is created with mode 0700 and its files with 0600:

    >>> ensure_private_dir(Path("data"))          # mkdir with mode 0700 when missing
    >>> ensure_private_file(Path("data/db.sqlite3"))  # an empty file with mode 0600 when missing

SQLite creates its ``-wal`` and ``-shm`` files with the database file's mode, so they follow.
:func:`loose_modes` lists what is still readable by others (the start-up check reports it) and
:func:`tighten` fixes what the service's user owns.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
# The database files SQLite keeps beside the main file.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) with mode 0700; an existing directory is left as is."""
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered through the umask
    return path


def ensure_private_file(path: Path) -> Path:
    """Create an empty ``path`` with mode 0600 if it does not exist yet."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(fd)
    return path


def sqlite_files(db_path: Path) -> list[Path]:
    """The database file and whichever of its companions exist."""
    return [Path(f"{db_path}{suffix}") for suffix in SQLITE_SUFFIXES if Path(f"{db_path}{suffix}").exists()]


def loose_modes(paths: list[Path]) -> list[tuple[Path, int]]:
    """``(path, mode)`` of each existing path that its group or other users can access."""
    loose = []
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            loose.append((path, mode))
    return loose


def tighten(paths: list[Path]) -> list[Path]:
    """Remove group and other access from the paths this user owns; returns those changed."""
    changed = []
    for path, mode in loose_modes(paths):
        if path.stat().st_uid != os.getuid():
            continue  # not ours to change: the start-up check reports it
        os.chmod(path, mode & ~(stat.S_IRWXG | stat.S_IRWXO))
        changed.append(path)
    return changed
