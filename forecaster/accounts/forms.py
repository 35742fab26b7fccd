from __future__ import annotations

import math
import unicodedata
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from forecaster.accounts.models import LoginFailure

ADMIN, VIEWER = "admin", "viewer"
ROLES = [(ADMIN, _("Administrator")), (VIEWER, _("Viewer"))]
ROLE_HELP = _("Administrators manage systems, secrets, syncs and users; viewers only read.")


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def canonical_username(name: str) -> str:
    """The form of a user name that identifies one account: NFKC-normalised (as Django does
    when it stores and authenticates a name) and case-folded, so ``ｖictim``, ``𝐯ictim`` and
    ``Victim`` all mean ``victim``."""
    return unicodedata.normalize("NFKC", name or "").strip().casefold()


def username_taken(name: str) -> bool:
    """True when a user whose name means the same as ``name`` exists (see ``canonical_username``)."""
    wanted = canonical_username(name)
    names = get_user_model().objects.values_list("username", flat=True)
    return any(canonical_username(existing) == wanted for existing in names.iterator())


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, refusing attempts after too many recent failures.

    The throttle counts per canonical user name and per address. Each attempt first records
    itself as a failure and then counts: the attempts racing each other all see one another,
    so no more than the limit ever reach the password check. A successful attempt removes its
    record again.
    """

    def clean(self) -> dict[str, Any]:
        username = canonical_username(self.data.get("username") or "")[:150]
        ip = client_ip(self.request) if self.request else None
        window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        now = timezone.now()
        since = now - window
        attempt = LoginFailure.objects.create(username=username, ip=ip)
        recent = LoginFailure.objects.filter(at__gte=since)
        by_user = recent.filter(username=username) if username else recent.none()
        by_ip = recent.filter(ip=ip) if ip else recent.none()
        if max(by_user.count(), by_ip.count()) > settings.LOGIN_FAILURE_LIMIT:
            attempt.delete()  # a refused attempt checked no password: it does not extend the pause
            oldest = (by_user | by_ip).order_by("at").values_list("at", flat=True).first() or now
            minutes = max(1, math.ceil((oldest + window - now).total_seconds() / 60))
            raise forms.ValidationError(
                ngettext(
                    "Too many failed logins. For your safety, login is paused for this account "
                    "and address; try again in %(minutes)d minute.",
                    "Too many failed logins. For your safety, login is paused for this account "
                    "and address; try again in %(minutes)d minutes.",
                    minutes,
                ),
                code="throttled",
                params={"minutes": minutes},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            LoginFailure.objects.filter(at__lt=since).filter(Q(username=username) | Q(ip=ip)).delete()
            raise
        attempt.delete()
        return cleaned


class AdminCreationForm(forms.Form):
    """The first administrator account (and later ones, from the Users page)."""

    username = forms.CharField(label=_("Username"), max_length=150, help_text=_("The name you log in with."))
    email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("Optional; for your own records.")
    )
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        # Lazy, so the rules are listed in the reader's language (Django translates them).
        help_text=lazy(password_validation.password_validators_help_text_html, str)(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text=_("Type the same password again, to catch a typo."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLES, initial=ADMIN, help_text=ROLE_HELP)

    def __init__(self, *args: Any, fixed_role: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fixed_role = fixed_role
        if fixed_role:  # the first account is an administrator: no choice to show
            del self.fields["role"]

    def clean_username(self) -> str:
        username = get_user_model().normalize_username(self.cleaned_data["username"].strip())
        if username_taken(username):
            raise forms.ValidationError(_("A user with this name already exists."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            user = get_user_model()(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def save(self) -> AbstractBaseUser:
        data = self.cleaned_data
        is_admin = (self.fixed_role or data["role"]) == ADMIN
        return get_user_model().objects.create_user(
            username=data["username"],
            email=data.get("email", ""),
            password=data["password1"],
            is_staff=is_admin,
            is_superuser=is_admin,
        )


class RoleForm(forms.Form):
    """An administrator changes another user's role (the Users page)."""

    role = forms.ChoiceField(label=_("Role"), choices=ROLES, help_text=ROLE_HELP)


class OwnPasswordForm(PasswordChangeForm):
    """Django's password change, with a help text on every field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].help_text = _("The password you logged in with.")
        self.fields["new_password2"].help_text = _("Type the same password again, to catch a typo.")


class ResetPasswordForm(SetPasswordForm):
    """An administrator sets a new password for another user (who then logs in with it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].help_text = _("Type the same password again, to catch a typo.")
