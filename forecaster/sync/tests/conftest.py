"""Fixtures for the sync tests: a small sandbox over loopback and a system pointing at it."""

from __future__ import annotations

import pytest

from forecaster.sandbox.testing import running_sandbox
from forecaster.systems.whmcs.client import WhmcsClient
from tests.builders import make_system


@pytest.fixture
def sb():
    with running_sandbox(invoices=150, seed=5) as server:
        yield server


@pytest.fixture
def system(db, sb):
    return make_system(sb, step=10)


@pytest.fixture
def client_for():
    """A real client whose retries do not sleep (tests stay instant)."""
    made = []

    def build(system):
        client = WhmcsClient.for_system(system, sleep=lambda seconds: None)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()
