"""The Users page: deactivate with confirmation and undo, roles, passwords (own and reset)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.clients import PASSWORD, csrf_client, csrf_post

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "tangerine orbit lantern 42"


def can_log_in(username: str, password: str) -> bool:
    return Client().login(username=username, password=password)


def test_deactivate_asks_for_confirmation_and_reactivate_undoes_it(admin_client, viewer_user):
    page = admin_client.get(reverse("accounts:users")).content.decode()
    confirm_url = reverse("accounts:deactivate", args=[viewer_user.pk])
    assert f'href="{confirm_url}"' in page  # a link to the question, not a button that acts at once
    asked = admin_client.get(confirm_url)
    assert asked.status_code == 200 and "Deactivate viewer?" in asked.content.decode()
    viewer_user.refresh_from_db()
    assert viewer_user.is_active, "asking changed nothing"
    assert csrf_post(admin_client, confirm_url).status_code == 302
    assert not can_log_in("viewer", PASSWORD)
    page = admin_client.get(reverse("accounts:users")).content.decode()
    assert reverse("accounts:reactivate", args=[viewer_user.pk]) in page
    assert csrf_post(admin_client, reverse("accounts:reactivate", args=[viewer_user.pk])).status_code == 302
    assert can_log_in("viewer", PASSWORD)


def test_an_administrator_changes_a_users_role(admin_client, viewer_user):
    url = reverse("accounts:role", args=[viewer_user.pk])
    assert url in admin_client.get(reverse("accounts:users")).content.decode()
    csrf_post(admin_client, url, {"role": "admin"})
    viewer_user.refresh_from_db()
    assert viewer_user.is_staff and viewer_user.is_superuser
    csrf_post(admin_client, url, {"role": "viewer"})
    viewer_user.refresh_from_db()
    assert not (viewer_user.is_staff or viewer_user.is_superuser)


def test_the_last_administrator_cannot_be_demoted_or_deactivated(admin_client, admin_user, viewer_user):
    admin_client.get(reverse("accounts:users"))  # the page sets the CSRF cookie
    refused = csrf_post(admin_client, reverse("accounts:role", args=[admin_user.pk]), {"role": "viewer"})
    assert refused.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.is_staff
    text = admin_client.get(reverse("accounts:users")).content.decode()
    assert "only active administrator" in text
    # With a second administrator, the first can be demoted; the second is then the last one.
    users = get_user_model().objects
    other = users.create_user("second", password=PASSWORD, is_staff=True, is_superuser=True)
    second = csrf_client(other)
    second.get(reverse("accounts:users"))
    csrf_post(second, reverse("accounts:role", args=[admin_user.pk]), {"role": "viewer"})
    admin_user.refresh_from_db()
    assert not admin_user.is_staff, "with another administrator, a demotion works"
    csrf_post(second, reverse("accounts:deactivate", args=[other.pk]))
    other.refresh_from_db()
    assert other.is_active  # nobody deactivates themself, and never the last administrator


def test_a_signed_in_user_changes_their_own_password(viewer_client):
    url = "/accounts/password_change/"
    page = viewer_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'class="brand"' in text and "Change your password" in text  # our layout
    assert text.count('class="help"') >= 3  # a help text on every field
    wrong = csrf_post(viewer_client, url, {"old_password": "nope", "new_password1": NEW_PASSWORD,
                                           "new_password2": NEW_PASSWORD})  # fmt: skip
    assert wrong.status_code == 200 and can_log_in("viewer", PASSWORD)
    done = csrf_post(viewer_client, url, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                          "new_password2": NEW_PASSWORD})  # fmt: skip
    assert done.status_code == 302
    assert viewer_client.get(done["Location"]).status_code == 200  # still logged in here
    assert can_log_in("viewer", NEW_PASSWORD) and not can_log_in("viewer", PASSWORD)


def test_an_administrator_sets_a_new_password_for_another_user(admin_client, viewer_user):
    url = reverse("accounts:reset_password", args=[viewer_user.pk])
    assert url in admin_client.get(reverse("accounts:users")).content.decode()
    weak = csrf_post(admin_client, url, {"new_password1": "viewer123", "new_password2": "viewer123"})
    assert weak.status_code == 200 and can_log_in("viewer", PASSWORD)
    done = csrf_post(admin_client, url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert can_log_in("viewer", NEW_PASSWORD)


def test_viewers_cannot_manage_users(viewer_client, admin_user):
    viewer_client.get("/accounts/password_change/")  # a page with a form sets the CSRF cookie
    assert "csrftoken" in viewer_client.cookies  # so a 403 below is the role check, not CSRF
    for name in ("deactivate", "reactivate", "role", "reset_password"):
        url = reverse(f"accounts:{name}", args=[admin_user.pk])
        assert csrf_post(viewer_client, url, {"role": "viewer"}).status_code == 403, name
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.is_staff


def test_setup_shows_no_role_label_without_a_control(anon_client):
    page = anon_client.get(reverse("accounts:setup")).content.decode()
    labels = re.findall(r"<label[^>]*>(.*?)</label>", page, flags=re.S)
    assert labels and not any("Role" in label for label in labels), labels
