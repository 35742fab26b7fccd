from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, PasswordChangeDoneView, PasswordChangeView
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from forecaster.accounts.forms import (
    ADMIN,
    ROLES,
    VIEWER,
    AdminCreationForm,
    OwnPasswordForm,
    ResetPasswordForm,
    RoleForm,
    ThrottledLoginForm,
)
from forecaster.accounts.roles import admin_required, no_users_yet

LAST_ADMIN = gettext_lazy(
    "This is the only active administrator: make another user an administrator first, so that "
    "someone can still manage systems and users."
)


@method_decorator(login_not_required, name="dispatch")
class ForecasterLoginView(LoginView):
    form_class = ThrottledLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if no_users_yet():
            return redirect("accounts:setup")
        return super().dispatch(request, *args, **kwargs)


@login_not_required
@sensitive_post_parameters("password1", "password2")
def setup(request: HttpRequest) -> HttpResponse:
    """First start: create the administrator account. Closed once any user exists."""
    if not no_users_yet():
        raise Http404(_("Setup is finished."))
    form = AdminCreationForm(request.POST or None, fixed_role=ADMIN)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if not no_users_yet():  # a second browser finished first
                raise Http404(_("Setup is finished."))
            user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Administrator account created. Next: connect a WHMCS system."))
        return redirect("systems:list")
    return render(request, "accounts/setup.html", {"form": form})


@admin_required
@sensitive_post_parameters("password1", "password2")
def users(request: HttpRequest) -> HttpResponse:
    """List users and add administrators or viewers."""
    form = AdminCreationForm(request.POST or None, initial={"role": VIEWER})
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("User %(name)s created.") % {"name": user.username})
        return redirect("accounts:users")
    people = get_user_model().objects.order_by("username")
    return render(
        request, "accounts/users.html", {"form": form, "people": people, "roles": ROLES, "admin_role": ADMIN}
    )


def _active_admins() -> QuerySet:
    return get_user_model().objects.filter(is_active=True).filter(Q(is_staff=True) | Q(is_superuser=True))


def _last_admin(person: AbstractBaseUser) -> bool:
    """Whether ``person`` is the only active administrator (call inside a transaction)."""
    admins = list(_active_admins().select_for_update().values_list("pk", flat=True))
    return person.pk in admins and len(admins) == 1


@admin_required
@require_http_methods(["GET", "POST"])
def deactivate_user(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deactivates (undone with Reactivate on the Users page)."""
    person = get_object_or_404(get_user_model(), pk=pk)
    if person == request.user:
        messages.error(request, _("You cannot deactivate your own account."))
        return redirect("accounts:users")
    if request.method == "GET":
        return render(request, "accounts/confirm_deactivate.html", {"person": person})
    with transaction.atomic():
        if _last_admin(person):
            messages.error(request, LAST_ADMIN)
            return redirect("accounts:users")
        person.is_active = False
        person.save(update_fields=["is_active"])
    messages.success(
        request,
        _("User %(name)s can no longer log in. To undo, press Reactivate next to the name.")
        % {"name": person.username},
    )
    return redirect("accounts:users")


@admin_required
@require_POST
def reactivate_user(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    person.is_active = True
    person.save(update_fields=["is_active"])
    messages.success(request, _("User %(name)s can log in again.") % {"name": person.username})
    return redirect("accounts:users")


@admin_required
@require_POST
def change_role(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role: administrator or viewer."))
        return redirect("accounts:users")
    make_admin = form.cleaned_data["role"] == ADMIN
    with transaction.atomic():
        if not make_admin and _last_admin(person):
            messages.error(request, LAST_ADMIN)
            return redirect("accounts:users")
        person.is_staff = person.is_superuser = make_admin
        person.save(update_fields=["is_staff", "is_superuser"])
    text = _("%(name)s is now an administrator.") if make_admin else _("%(name)s is now a viewer.")
    messages.success(request, text % {"name": person.username})
    return redirect("accounts:users")


@sensitive_post_parameters()
@admin_required
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    """An administrator sets a new password for another user; their sessions end with it."""
    person = get_object_or_404(get_user_model(), pk=pk)
    if person == request.user:
        return redirect("accounts:password_change")
    form = ResetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request,
            _("New password set for %(name)s; give it to them in person or another safe way.")
            % {"name": person.username},
        )
        return redirect("accounts:users")
    return render(request, "accounts/reset_password.html", {"form": form, "person": person})


class OwnPasswordChangeView(PasswordChangeView):
    """Django's password change for the signed-in user, in our layout."""

    form_class = OwnPasswordForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class OwnPasswordChangeDoneView(PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
