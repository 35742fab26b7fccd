"""The `forecaster` console script.

Every verb is a Django management command, so each one is testable with ``call_command``:

    forecaster serve            -> manage.py serve
    forecaster systems list     -> manage.py systems list
    forecaster report revenue   -> manage.py report revenue

``forecaster manage <django command>`` reaches the rest of Django's commands (migrate, shell…).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run ``forecaster ARGS…`` as the matching management command."""
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    from django.core.management import execute_from_command_line

    prog = "forecaster"
    argv = [prog, *argv[2:]] if len(argv) > 1 and argv[1] == "manage" else [prog, *argv[1:]]
    execute_from_command_line(argv)
