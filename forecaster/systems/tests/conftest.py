import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Logging users in is not what these tests are about: hash their passwords cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
