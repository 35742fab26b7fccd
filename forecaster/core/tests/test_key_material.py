"""Item: key material is never printed; a bad key setup is a clear error at start, not a 500."""

from __future__ import annotations

import base64

import pytest

from forecaster.core.tests.cli import run_cli
from forecaster.systems.models import AccountingSystem
from tests.clients import csrf_post

SHORT_KEY = base64.b64encode(b"k" * 24).decode()  # a bare base64 key of the wrong length
GOOD_KEY = base64.b64encode(bytes(range(32))).decode()
GARBAGE = "this-line-is-not-a-key-but-could-have-been-one-Zm9vYmFy\n"
ADD = (
    "systems",
    "add",
    "whmcs",
    "--name",
    "K",
    "--url",
    "https://billing.example.com/includes/api.php",
    "--identifier",
    "ident",
)


def test_a_bare_wrong_key_in_the_environment_is_never_printed(tmp_path):
    done = run_cli(tmp_path / "data", *ADD, stdin="s3cret\n", FORECASTER_ENCRYPTION_KEY=SHORT_KEY)
    assert done.returncode != 0
    assert "forecaster.E001" in done.stderr
    assert "FORECASTER_ENCRYPTION_KEY" in done.stderr
    assert SHORT_KEY not in done.stderr + done.stdout
    assert SHORT_KEY[:6] not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_a_bare_good_key_in_the_environment_works(tmp_path):
    data = tmp_path / "data"
    done = run_cli(data, *ADD, stdin="s3cret\n", FORECASTER_ENCRYPTION_KEY=GOOD_KEY)
    assert done.returncode == 0, done.stderr
    assert GOOD_KEY not in done.stderr + done.stdout
    listed = run_cli(data, "systems", "list", FORECASTER_ENCRYPTION_KEY=GOOD_KEY)
    assert listed.returncode == 0, listed.stderr


@pytest.mark.parametrize("content", ["", GARBAGE, SHORT_KEY + "\n"], ids=["empty", "garbage", "bare-short"])
def test_a_bad_key_file_stops_commands_with_a_clear_check_error(tmp_path, content):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    key_file = data / "encryption_keys"
    key_file.write_text(content)
    key_file.chmod(0o600)
    done = run_cli(data, *ADD, stdin="s3cret\n")
    assert done.returncode != 0
    assert "forecaster.E001" in done.stderr, done.stderr
    assert str(key_file) in done.stderr
    assert "Traceback" not in done.stderr
    for secretish in (GARBAGE.strip(), SHORT_KEY, "Zm9vYmFy"):
        assert secretish not in done.stderr + done.stdout


@pytest.mark.django_db
def test_saving_a_system_with_a_garbage_key_file_is_a_form_error(admin_client, tmp_path, monkeypatch):
    key_file = tmp_path / "keys"
    key_file.write_text(GARBAGE)
    monkeypatch.setenv("FORECASTER_ENCRYPTION_KEY_FILE", str(key_file))
    monkeypatch.delenv("FORECASTER_ENCRYPTION_KEY", raising=False)
    response = csrf_post(
        admin_client,
        "/systems/new/whmcs/",
        {
            "name": "Brand",
            "url": "https://billing.example.com/includes/api.php",
            "identifier": "ident",
            "secret": "s3cret",
            "step": "100",
            "exchange_rate": "1",
        },
    )
    assert response.status_code == 200
    assert b"encryption key is not usable" in response.content
    assert GARBAGE.strip().encode() not in response.content
    assert not AccountingSystem.objects.exists()


@pytest.mark.django_db
def test_test_connection_never_shows_the_key(admin_client, monkeypatch):
    system = AccountingSystem(name="S", url="https://billing.example.com/includes/api.php", identifier="i")
    system.set_secret("s3cret")
    system.save()
    admin_client.get(f"/systems/{system.pk}/")  # the page that holds the button sets the CSRF cookie
    monkeypatch.setenv("FORECASTER_ENCRYPTION_KEY", SHORT_KEY)
    response = csrf_post(admin_client, f"/systems/{system.pk}/test/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"cannot be decrypted" in response.content
    assert SHORT_KEY.encode() not in response.content
