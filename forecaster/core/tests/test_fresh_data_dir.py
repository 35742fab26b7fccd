"""Item: every CLI command works on a fresh data directory (before `serve` ever ran)."""

from __future__ import annotations

import json

import pytest

from forecaster.core.tests.cli import run_cli

COMMANDS = [
    (("systems", "list"), ""),
    (("systems", "list", "--format", "json"), ""),
    (("report", "revenue", "--format", "json"), ""),
    (("sync", "--auto"), ""),
    (("createadmin", "--username", "owner"), "a long enough passphrase 42\n"),
    (
        (
            "systems",
            "add",
            "whmcs",
            "--name",
            "Fresh",
            "--url",
            "https://billing.example.com/includes/api.php",
            "--identifier",
            "ident",
        ),
        "secret-value\n",
    ),
]


@pytest.mark.parametrize(("args", "stdin"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_each_command_works_on_a_fresh_data_dir(tmp_path, args, stdin):
    done = run_cli(tmp_path / "data", *args, stdin=stdin)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    assert "refused" not in done.stderr


def test_commands_in_a_row_share_the_migrated_database(tmp_path):
    data = tmp_path / "data"
    added = run_cli(
        data,
        *COMMANDS[-1][0],
        stdin="secret-value\n",
    )
    assert added.returncode == 0, added.stderr
    listed = run_cli(data, "systems", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [s["name"] for s in json.loads(listed.stdout)] == ["Fresh"]
    assert "Preparing the database" not in listed.stderr, "migrates only once"


def test_an_unexpected_error_is_one_line_without_traceback(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "forecaster.sqlite3").write_bytes(b"this is not a database" * 100)
    done = run_cli(data, "systems", "list")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip(), "says why"
