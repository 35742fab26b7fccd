"""The `forecaster` console script.

Every verb is a Django management command, so each one is testable with ``call_command``:

    forecaster serve            -> manage.py serve
    forecaster systems list     -> manage.py systems list
    forecaster report revenue   -> manage.py report revenue

``forecaster manage <django command>`` reaches the rest of Django's commands (migrate, shell…).

Any command works on a fresh data directory: the database is created and migrated on first use
(see :func:`migrate_if_needed`), and a failure ends with a one-line reason, never a traceback
(set ``FORECASTER_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

# Commands that never touch the project's tables (or manage the schema themselves).
NO_AUTO_MIGRATE = frozenset(
    {
        "help",
        "version",
        "migrate",
        "makemigrations",
        "squashmigrations",
        "sqlmigrate",
        "showmigrations",
        "optimizemigration",
        "check",
        "sandbox",
        "collectstatic",
        "findstatic",
        "makemessages",
        "compilemessages",
        "diffsettings",
        "sendtestemail",
        "startapp",
        "startproject",
    }
)


def migrate_if_needed(stream: TextIO | None = None) -> bool:
    """Apply pending migrations (a fresh data directory has none applied); True if it migrated.

    The embedded SQLite database is created on first use, so ``forecaster systems list`` or
    ``forecaster createadmin`` work before ``forecaster serve`` ever ran.
    """
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return False
    stream = stream or sys.stderr
    stream.write(f"Preparing the database ({len(plan)} migrations)…\n")
    call_command("migrate", interactive=False, verbosity=0)
    return True


def _command_name(argv: list[str]) -> str | None:
    for arg in argv[1:]:
        if not arg.startswith("-"):
            return arg
    return None


def main(argv: list[str] | None = None) -> None:
    """Run ``forecaster ARGS…`` as the matching management command."""
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    prog = "forecaster"
    argv = [prog, *argv[2:]] if len(argv) > 1 and argv[1] == "manage" else [prog, *argv[1:]]
    try:
        _run(argv)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, no traceback
        if os.environ.get("FORECASTER_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
            raise
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        sys.stderr.write(
            f"Error: {reason}\n(an unexpected {type(exc).__name__}; run again with "
            "FORECASTER_DEBUG=1 to see the traceback)\n"
        )
        sys.exit(1)


def _run(argv: list[str]) -> None:
    import django
    from django.core.management import execute_from_command_line

    command = _command_name(argv)
    wants_help = any(arg in ("-h", "--help") for arg in argv[1:])
    if command and command not in NO_AUTO_MIGRATE and not wants_help:
        django.setup()
        migrate_if_needed()
    execute_from_command_line(argv)
