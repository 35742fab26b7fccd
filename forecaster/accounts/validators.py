"""Password rules beyond Django's own validators (listed in ``AUTH_PASSWORD_VALIDATORS``)."""

from __future__ import annotations

import unicodedata

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


class UsernameNotInPasswordValidator:
    """Refuse a password that contains the user name (``admin12345`` for ``admin``): the first
    thing an attacker tries. Django's similarity check lets such passwords through."""

    def __init__(self, min_name_length: int = 3) -> None:
        self.min_name_length = min_name_length

    def validate(self, password: str, user: AbstractBaseUser | AnonymousUser | None = None) -> None:
        name = _plain(getattr(user, "username", "") or "")
        if len(name) >= self.min_name_length and name in _plain(password):
            raise ValidationError(
                _("The password cannot contain the user name."), code="password_contains_username"
            )

    def get_help_text(self) -> str:
        return _("Your password cannot contain your user name.")
