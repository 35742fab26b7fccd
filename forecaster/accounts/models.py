"""Accounts: Django's users (``is_staff`` marks an administrator; any other user is a viewer),
the login throttle's failures and the bearer tokens of the JSON API."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """A failed login, kept for the throttle window (no password is ever stored)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"failed login for {self.username!r} at {self.at:%Y-%m-%d %H:%M}"


TOKEN_PREFIX = "fct_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the read-only JSON API. Only its SHA-256 is stored."""

    name = models.CharField(max_length=100, help_text=_("What uses this token, e.g. 'BI dashboard'."))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text=_("The token's first characters."))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "reports_apitoken"  # created by the reports app; the model moved here
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, name: str, user: AbstractBaseUser | AnonymousUser | None = None) -> tuple[ApiToken, str]:
        """Create a token; returns ``(row, plaintext)``. The plaintext is never stored."""
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(
            name=name, token_hash=hash_token(plaintext), hint=plaintext[:8], created_by=user
        )
        return row, plaintext

    @property
    def active(self) -> bool:
        return self.revoked_at is None
