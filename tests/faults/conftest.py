"""Fixtures of the fault-injection suite (``make test-faults``; every test here is ``faults``).

The product runs as it does for an operator: each ``forecaster`` command is a separate process
on its own data directory (SQLite), so a SIGKILL is real and a lock held by this process is a
lock held by someone else. The WHMCS sandbox runs in this process (on a loopback port), so a
test can steer its faults and read its paid set, the ground truth every sync must end equal to.

``site``: an empty, migrated installation; ``site.add_system(sandbox, step=…)`` connects a
sandbox through the CLI and returns the system's id; ``site.sync(id, full=True)`` runs a sync
to its end; ``site.start_sync(...)`` returns the running process; ``site.dump()`` reads the
local copy; ``assert_exact(site, sandbox, id)`` checks it against the sandbox to the cent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.site import Site


def pytest_collection_modifyitems(config, items):
    # Everything in this folder is part of the fault suite: mark it, so `make test` skips it.
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def site(tmp_path) -> Site:
    return Site(tmp_path / "data")
