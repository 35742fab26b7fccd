"""Extension points of the reports app, filled by the apps above it from their
``AppConfig.ready()`` (reports imports none of them):

- ``REPORT_COMMANDS``: modules that add reports to ``forecaster report``; each has
  ``REPORTS`` (the names it adds), ``add_parsers(subparsers)`` and ``handle(command, options)``
  (``forecaster.costs.cli`` adds ``costs`` and ``result``);
- ``forecaster.reports.api.SCHEMA_EXTENSIONS``: callables that add their API endpoints to the
  OpenAPI schema.
"""

from __future__ import annotations

from types import ModuleType

REPORT_COMMANDS: list[ModuleType] = []


def add_report_command(module: ModuleType) -> None:
    """Register ``module`` (once) as a source of ``forecaster report`` subcommands."""
    if module not in REPORT_COMMANDS:
        REPORT_COMMANDS.append(module)
