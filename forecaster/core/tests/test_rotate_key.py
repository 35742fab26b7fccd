"""`forecaster rotate-key`: new key first, every secret re-encrypted, old keys still readable."""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from forecaster.lib.crypto import SecretBox
from forecaster.systems.models import AccountingSystem
from tests.builders import make_system

SECRET = "rotate-me-canary"


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    monkeypatch.delenv("FORECASTER_ENCRYPTION_KEY", raising=False)
    path = tmp_path / "keys"
    monkeypatch.setenv("FORECASTER_ENCRYPTION_KEY_FILE", str(path))
    return path


def system(name="A") -> AccountingSystem:
    return make_system(name=name, url="https://w.example.com/includes/api.php", identifier="i", secret=SECRET)


def test_rotation_prepends_a_key_and_reencrypts_every_secret(db, key_file):
    a, b = system("A"), system("B")
    old_token = a.secret_ciphertext
    old_kid = old_token.split(":")[1]
    out = StringIO()
    call_command("rotate-key", stdout=out)
    lines = key_file.read_text().split("\n")
    new_kid = lines[0].split()[0]
    assert new_kid != old_kid and lines[1].startswith(old_kid)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    for s in (a, b):
        s.refresh_from_db()
        assert s.secret_ciphertext.split(":")[1] == new_kid
        assert s.get_secret() == SECRET
    # A token sealed with the old key (e.g. in a backup) still decrypts.
    assert SecretBox.from_settings().decrypt(old_token, context=a._secret_context) == SECRET
    assert "Re-encrypted 2" in out.getvalue() and SECRET not in out.getvalue()


def test_unreadable_secret_changes_nothing(db, key_file):
    a = system("A")
    AccountingSystem.objects.filter(pk=a.pk).update(secret_ciphertext="v1:gone:AAAA")
    before = key_file.read_text()
    with pytest.raises(CommandError, match="Cannot decrypt the secret of: A"):
        call_command("rotate-key")
    assert key_file.read_text() == before
