from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from forecaster.accounts.models import LoginFailure


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, refusing attempts after too many recent failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed logins. For your safety, login is paused for this account and "
            "address; try again in %(minutes)d minutes."
        ),
    }

    def clean(self):
        username = (self.data.get("username") or "").strip()
        ip = client_ip(self.request) if self.request else None
        window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        since = timezone.now() - window
        recent = LoginFailure.objects.filter(at__gte=since)
        by_user = recent.filter(username__iexact=username).count() if username else 0
        by_ip = recent.filter(ip=ip).count() if ip else 0
        if max(by_user, by_ip) >= settings.LOGIN_FAILURE_LIMIT:
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, window.seconds // 60)},
            )
        try:
            return super().clean()
        except forms.ValidationError:
            LoginFailure.objects.create(username=username[:150], ip=ip)
            LoginFailure.objects.filter(at__lt=since).filter(Q(username=username) | Q(ip=ip)).delete()
            raise


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
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[("admin", _("Administrator")), ("viewer", _("Viewer"))],
        initial="admin",
        help_text=_("Administrators manage systems, secrets, syncs and users; viewers only read."),
    )

    def __init__(self, *args, fixed_role: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_role = fixed_role
        if fixed_role:
            self.fields["role"].initial = fixed_role
            self.fields["role"].widget = forms.HiddenInput()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("A user with this name already exists."))
        return username

    def clean(self):
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

    def save(self):
        data = self.cleaned_data
        is_admin = (self.fixed_role or data["role"]) == "admin"
        return get_user_model().objects.create_user(
            username=data["username"],
            email=data.get("email", ""),
            password=data["password1"],
            is_staff=is_admin,
            is_superuser=is_admin,
        )
