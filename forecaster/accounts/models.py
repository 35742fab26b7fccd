"""Accounts: Django's users. ``is_staff`` marks an administrator; any other user is a viewer."""

from __future__ import annotations

from django.db import models


class LoginFailure(models.Model):
    """A failed login, kept for the throttle window (no password is ever stored)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"failed login for {self.username!r} at {self.at:%Y-%m-%d %H:%M}"
