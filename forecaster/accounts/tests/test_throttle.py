"""Item: the login throttle counts the normalised name, atomically; look-alike names clash."""

from __future__ import annotations

import io
import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from forecaster.accounts.models import LoginFailure
from tests.clients import PASSWORD, csrf_post

LOGIN = "/accounts/login/"


@pytest.fixture
def victim(db):
    return get_user_model().objects.create_user("victim", password=PASSWORD, is_staff=True)


def _fail_five_times(client):
    for _ in range(5):
        response = csrf_post(client, LOGIN, {"username": "victim", "password": "wrong guess"})
        assert b"Please enter a correct username" in response.content


@pytest.mark.parametrize("alias", ["victim", "ｖictim", "𝐯ictim", "VICTIM"])
def test_a_look_alike_name_is_throttled_too(victim, settings, alias):
    settings.LOGIN_FAILURE_LIMIT = 5
    _fail_five_times(Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.1"))
    # Another address, so only the per-name count can stop it.
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.2")
    response = csrf_post(other, LOGIN, {"username": alias, "password": PASSWORD})
    assert response.status_code == 200, "the right password is refused during the pause"
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in other.session


def test_the_pause_message_uses_the_singular_for_one_minute(victim, settings):
    settings.LOGIN_FAILURE_LIMIT = 1
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 60
    client = Client(enforce_csrf_checks=True)
    csrf_post(client, LOGIN, {"username": "victim", "password": "wrong guess"})
    response = csrf_post(client, LOGIN, {"username": "victim", "password": PASSWORD})
    assert b"try again in 1 minute." in response.content


def test_parallel_logins_check_no_more_passwords_than_the_limit(transactional_db, settings):
    get_user_model().objects.create_user("victim", password=PASSWORD)
    settings.LOGIN_FAILURE_LIMIT = 5
    checked = []
    lock = threading.Lock()

    def count(sender, credentials, **kwargs):
        with lock:
            checked.append(credentials.get("username"))

    user_login_failed.connect(count)
    clients = []
    for n in range(40):
        client = Client(enforce_csrf_checks=True, REMOTE_ADDR=f"10.1.0.{n}")
        client.get(LOGIN)  # the CSRF cookie, before the race starts
        clients.append(client)
    start = threading.Barrier(len(clients))
    errors = []

    def attempt(client, n):
        try:
            start.wait()
            csrf_post(client, LOGIN, {"username": "victim", "password": f"guess {n}"})
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own; leave none open for the teardown

    threads = [threading.Thread(target=attempt, args=(c, n)) for n, c in enumerate(clients)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        user_login_failed.disconnect(count)
    assert not errors
    assert len(checked) <= 5, f"{len(checked)} passwords were checked against a limit of 5"
    # How many got through depends on how the attempts interleave: when all of them record
    # themselves before any counts, all are refused, which is safe. Nothing may be stuck after
    # the storm, though: a refused attempt leaves no record, so only the checked ones count on.
    assert LoginFailure.objects.count() == len(checked)
    after = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.2.0.1")
    response = csrf_post(after, LOGIN, {"username": "victim", "password": PASSWORD})
    if len(checked) < 5:
        assert "_auth_user_id" in after.session, "the right password is refused below the limit"
    else:
        assert b"Too many failed logins" in response.content


def test_adding_a_look_alike_of_an_existing_user_is_a_form_error(admin_client):
    response = csrf_post(
        admin_client,
        "/accounts/users/",
        {"username": "ａdmin", "password1": PASSWORD, "password2": PASSWORD, "role": "viewer"},
    )
    assert response.status_code == 200
    assert b"A user with this name already exists" in response.content
    assert get_user_model().objects.count() == 1


def test_createadmin_refuses_a_look_alike_of_an_existing_user(admin_user):
    with pytest.raises(CommandError, match="already exists"):
        call_command("createadmin", "--username", "ＡDMIN", stdin=io.StringIO(PASSWORD + "\n"))
