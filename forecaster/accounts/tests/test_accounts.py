import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from tests.clients import PASSWORD, csrf_post

pytestmark = pytest.mark.django_db


def test_first_visit_offers_to_create_the_administrator(anon_client):
    response = anon_client.get("/accounts/login/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:setup")
    assert b"create the administrator account" in response.content


def test_setup_creates_an_administrator_and_logs_in(anon_client):
    response = csrf_post(
        anon_client,
        reverse("accounts:setup"),
        {
            "username": "owner",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "viewer",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="owner")
    assert user.is_staff, "the first account is always an administrator, whatever is posted"
    assert anon_client.get(reverse("systems:list")).status_code == 200


def test_setup_is_closed_once_a_user_exists(anon_client, admin_user):
    assert anon_client.get(reverse("accounts:setup")).status_code == 404


def test_setup_rejects_a_weak_password_and_saves_nothing(anon_client):
    response = csrf_post(
        anon_client,
        reverse("accounts:setup"),
        {
            "username": "owner",
            "password1": "12345",
            "password2": "12345",
        },
    )
    assert response.status_code == 200
    assert b"This password is too short" in response.content
    assert not get_user_model().objects.exists()


def test_pages_require_login(anon_client, admin_user):
    for url in ["/", reverse("systems:list"), reverse("reports:revenue"), reverse("accounts:users")]:
        response = anon_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


def test_login_is_throttled_after_repeated_failures(anon_client, admin_user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = csrf_post(
            anon_client, reverse("accounts:login"), {"username": "admin", "password": "wrong password"}
        )
        assert b"Please enter a correct username" in response.content
    response = csrf_post(anon_client, reverse("accounts:login"), {"username": "admin", "password": PASSWORD})
    assert response.status_code == 200, "even the right password is refused during the pause"
    assert b"Too many failed logins" in response.content


def test_login_without_csrf_token_is_refused(anon_client, admin_user):
    response = anon_client.post(reverse("accounts:login"), {"username": "admin", "password": PASSWORD})
    assert response.status_code == 403


def test_viewer_cannot_manage_users(viewer_client):
    assert viewer_client.get(reverse("accounts:users")).status_code == 403


def test_admin_adds_a_viewer(admin_client):
    response = csrf_post(
        admin_client,
        reverse("accounts:users"),
        {
            "username": "accountant",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "viewer",
        },
    )
    assert response.status_code == 302
    assert not get_user_model().objects.get(username="accountant").is_staff


def test_createadmin_reads_the_password_from_stdin(db, capsys):
    import io

    call_command("createadmin", "--username", "ops", stdin=io.StringIO(PASSWORD + "\n"))
    assert "Created administrator ops" in capsys.readouterr().out
    assert get_user_model().objects.get(username="ops").check_password(PASSWORD)
