"""The language each user reads the web UI in (stored, so it follows them to any browser)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models


class UserLanguage(models.Model):
    """One row per user who picked a language; users without one get their browser's language."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


def stored_language(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    """The language ``user`` chose, or ``None`` (anonymous users and users who never chose)."""
    if not getattr(user, "is_authenticated", False):
        return None
    row = UserLanguage.objects.filter(user=user).values_list("language", flat=True).first()
    return row if row in dict(settings.LANGUAGES) else None
