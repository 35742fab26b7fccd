"""`forecaster systems …` through call_command: the contract in product.md."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from forecaster.systems.models import AccountingSystem

CANARY = "CANARY-9a8b7c-cli-secret"
URL = "https://billing.example.com/includes/api.php"


class Run:
    """Runs a `systems` command and keeps stdout/stderr for inspection."""

    def __init__(self):
        self.outputs: list[str] = []

    def __call__(self, *args: str, stdin: str | None = None) -> tuple[str, str]:
        out, err = StringIO(), StringIO()
        kwargs = {"stdout": out, "stderr": err}
        if stdin is not None:
            kwargs["stdin"] = StringIO(stdin)
        try:
            call_command("systems", *args, **kwargs)
        finally:
            self.outputs += [out.getvalue(), err.getvalue()]
        return out.getvalue(), err.getvalue()

    def fails(self, *args: str, stdin: str | None = None) -> str:
        with pytest.raises(CommandError) as info:
            self(*args, stdin=stdin)
        message = str(info.value)
        self.outputs.append(message)
        assert "\n" not in message.strip()
        return message


@pytest.fixture
def run(db, caplog):
    caplog.set_level(logging.DEBUG)
    runner = Run()
    yield runner
    for text in runner.outputs:
        assert CANARY not in text
    for record in caplog.records:
        assert CANARY not in record.getMessage()


def add(run, *extra: str, name: str = "Brand PL", url: str = URL, stdin: str = CANARY + "\n"):
    return run("add", "whmcs", "--name", name, "--url", url, "--identifier", "ident", *extra, stdin=stdin)


def test_add_reads_the_secret_from_stdin_and_prints_the_id_last(run):
    out, _ = add(
        run, "--description", "PL", "--step", "250", "--parallel-requests", "4", "--auto-sync",
        "--exchange-rate", "4.1",
    )  # fmt: skip
    system = AccountingSystem.objects.get()
    assert out.strip().splitlines()[-1] == str(system.pk)
    assert system.get_secret() == CANARY
    assert (system.step, system.auto_sync, system.exchange_rate) == (250, True, Decimal("4.1"))
    assert system.parallel_requests == 4


def test_add_defaults(run):
    add(run)
    system = AccountingSystem.objects.get()
    assert (system.step, system.auto_sync, system.exchange_rate) == (100, False, Decimal("1"))
    assert system.parallel_requests == 2


@pytest.mark.parametrize("option", [["--secret", CANARY], [f"--secret={CANARY}"], ["--secret"]])
def test_secret_on_argv_is_rejected(run, option):
    message = run.fails(
        "add", "whmcs", "--name", "X", "--url", URL, "--identifier", "i", *option, stdin="ignored\n"
    )
    assert "Never put the secret on the command line" in message
    assert not AccountingSystem.objects.exists()


def test_secret_on_argv_is_rejected_on_edit_too(run):
    add(run)
    message = run.fails("edit", "Brand PL", "--secret", "x")  # not a prefix of --secret-stdin
    assert "Never put the secret" in message


def test_empty_stdin_is_an_error(run):
    message = run.fails("add", "whmcs", "--name", "X", "--url", URL, "--identifier", "i", stdin="")
    assert "No secret given" in message
    assert not AccountingSystem.objects.exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--step", "0"], "step: Enter a whole number from 1 to 1000."),
        (["--parallel-requests", "9"], "parallel_requests: Enter a whole number from 1 to 8."),
        (["--parallel-requests", "0"], "parallel_requests: Enter a whole number from 1 to 8."),
        (["--exchange-rate", "-2"], "exchange_rate: The exchange rate must be greater than 0"),
        (["--exchange-rate", "1.0000001"], "no more than 6 decimal places"),
    ],
)
def test_invalid_options_save_nothing(run, extra, expected):
    message = run.fails(
        "add", "whmcs", "--name", "X", "--url", URL, "--identifier", "i", *extra, stdin=CANARY
    )
    assert message.startswith("Nothing saved.") and expected in message
    assert not AccountingSystem.objects.exists()


def test_site_root_url_gets_the_suggestion(run):
    message = run.fails(
        "add",
        "whmcs",
        "--name",
        "X",
        "--url",
        "https://billing.example.com/",
        "--identifier",
        "i",
        stdin=CANARY,
    )
    assert "Did you mean https://billing.example.com/includes/api.php?" in message


def test_plain_http_warns_on_stderr(run):
    _, err = add(run, url="http://192.168.1.10/includes/api.php")
    assert "plain http://" in err
    assert AccountingSystem.objects.count() == 1


def test_duplicate_name_is_refused(run):
    add(run)
    message = run.fails("add", "whmcs", "--name", "BRAND PL", "--url", URL, "--identifier", "i", stdin=CANARY)
    assert "already exists" in message


def test_list_table_and_json_never_show_the_secret(run):
    add(run)
    table, _ = run("list")
    assert "Brand PL" in table and URL in table
    data = json.loads(run("list", "--format", "json")[0])
    assert data[0]["name"] == "Brand PL" and data[0]["has_secret"] is True
    assert data[0]["invoices"] == 0 and data[0]["total"] == "0.00" and data[0]["exchange_rate"] == "1"
    assert "secret" not in data[0] and "secret_ciphertext" not in json.dumps(data)


def test_list_when_empty(run):
    assert "No accounting systems yet" in run("list")[0]
    assert json.loads(run("list", "--format", "json")[0]) == []


def test_edit_changes_only_given_options_and_keeps_the_secret(run):
    add(run, "--auto-sync", "--step", "300")
    system = AccountingSystem.objects.get()
    out, _ = run("edit", str(system.pk), "--step", "50", "--description", "new")
    system.refresh_from_db()
    assert (system.step, system.description, system.auto_sync, system.name) == (50, "new", True, "Brand PL")
    assert system.get_secret() == CANARY
    assert out.strip().splitlines()[-1] == str(system.pk)
    run("edit", "Brand PL", "--no-auto-sync")
    system.refresh_from_db()
    assert system.auto_sync is False


def test_edit_secret_stdin_replaces_the_secret(run):
    add(run)
    run("edit", "Brand PL", "--secret-stdin", stdin="replacement-secret\n")
    assert AccountingSystem.objects.get().get_secret() == "replacement-secret"


def test_edit_error_changes_nothing(run):
    add(run)
    run.fails("edit", "Brand PL", "--name", "Other", "--step", "abc")
    assert AccountingSystem.objects.get().name == "Brand PL"


def test_unknown_system_is_a_one_line_error(run):
    assert "No accounting system with id or name 'nope'" in run.fails("test", "nope")
    assert "No accounting system" in run.fails("delete", "42", "--yes")


def test_delete_needs_yes(run):
    add(run)
    message = run.fails("delete", "Brand PL")
    assert "--yes" in message and "0 invoices" in message
    assert AccountingSystem.objects.exists()
    out, _ = run("delete", "Brand PL", "--yes")
    assert "Deleted" in out
    assert not AccountingSystem.objects.exists()


def test_unknown_type_is_refused(run):
    with pytest.raises(CommandError):
        run("add", "blesta", "--name", "X", "--url", URL, "--identifier", "i", stdin=CANARY)


def test_plain_http_warning_is_printed_once_and_never_for_this_machine(run):
    _, err = add(run, url="http://192.168.1.10/includes/api.php")
    assert err.count("plain http://") == 1
    for n, url in enumerate(("http://127.0.0.1:8765/includes/api.php", "http://[::1]/includes/api.php")):
        _, err = run(
            "add", "whmcs", "--name", f"Local {n}", "--url", url, "--identifier", "i", stdin=CANARY
        )  # fmt: skip
        assert "plain http://" not in err, url


def test_the_wrong_credentials_fix_fits_the_command_line_too():
    from forecaster.systems.errors import AuthenticationFailed

    fix = str(AuthenticationFailed().fix)
    assert "enter both here" not in fix and "connection details" in fix
