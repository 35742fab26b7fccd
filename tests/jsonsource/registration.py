"""Registers the test-only JSON-file types (listed in TYPE_MODULES by the tests that use it)."""

from __future__ import annotations

from forecaster.systems.forms import SystemForm
from forecaster.systems.registry import SystemType, register
from tests.jsonsource.source import JsonFileSource, PaidOnlyJsonSource

JSON_FILE = register(
    SystemType(
        key="jsonfile",
        label="JSON file (tests)",
        form_class=SystemForm,
        make_client=JsonFileSource.for_system,
    )
)

PAID_ONLY = register(
    SystemType(
        key="jsonpaid",
        label="JSON file, paid invoices only (tests)",
        form_class=SystemForm,
        make_client=PaidOnlyJsonSource.for_system,
    )
)
