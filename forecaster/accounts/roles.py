"""The two roles and the decorators that enforce them.

administrator: manages systems, secrets, syncs and users (``user.is_staff``).
viewer:        sees reports and the systems list; cannot change anything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def is_admin(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse (403) anyone but an administrator. Login itself is enforced by the middleware."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_admin(request.user):
            raise PermissionDenied(_("Only an administrator can do this."))
        return view(request, *args, **kwargs)

    return wrapper


def no_users_yet() -> bool:
    return not get_user_model().objects.exists()
