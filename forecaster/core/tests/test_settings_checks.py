"""Settings that can be checked before serving are checked at start-up, by every command."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from forecaster.core.tests.cli import run_cli


@pytest.mark.parametrize("value", ["25:00", "3.30", "03:30:00", "at night"])
def test_a_bad_auto_sync_time_is_a_system_check_error(settings, value):
    settings.AUTO_SYNC_TIME = value
    errors = [e for e in run_checks() if e.id == "forecaster.E004"]
    assert len(errors) == 1
    assert "FORECASTER_AUTO_SYNC_TIME" in errors[0].msg and repr(value) in errors[0].msg


@pytest.mark.parametrize("value", ["03:30", "0:00", "23:59"])
def test_a_good_auto_sync_time_passes_the_check(settings, value):
    settings.AUTO_SYNC_TIME = value
    assert not [e for e in run_checks() if e.id == "forecaster.E004"]


def test_a_bad_auto_sync_time_stops_commands_at_start_with_one_clear_line(tmp_path):
    done = run_cli(tmp_path / "data", "systems", "list", FORECASTER_AUTO_SYNC_TIME="25:61")
    assert done.returncode != 0
    assert "forecaster.E004" in done.stderr
    assert "FORECASTER_AUTO_SYNC_TIME must be HH:MM" in done.stderr
    assert "Traceback" not in done.stderr
