from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from forecaster.accounts.forms import AdminCreationForm, ThrottledLoginForm
from forecaster.accounts.roles import admin_required, no_users_yet


@method_decorator(login_not_required, name="dispatch")
class ForecasterLoginView(LoginView):
    form_class = ThrottledLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        if no_users_yet():
            return redirect("accounts:setup")
        return super().dispatch(request, *args, **kwargs)


@login_not_required
@sensitive_post_parameters("password1", "password2")
def setup(request):
    """First start: create the administrator account. Closed once any user exists."""
    if not no_users_yet():
        raise Http404(_("Setup is finished."))
    form = AdminCreationForm(request.POST or None, fixed_role="admin")
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
def users(request):
    """List users and add administrators or viewers."""
    form = AdminCreationForm(request.POST or None, initial={"role": "viewer"})
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("User %(name)s created.") % {"name": user.username})
        return redirect("accounts:users")
    people = get_user_model().objects.order_by("username")
    return render(request, "accounts/users.html", {"form": form, "people": people})


@admin_required
@require_POST
def deactivate_user(request, pk: int):
    person = get_object_or_404(get_user_model(), pk=pk)
    if person == request.user:
        messages.error(request, _("You cannot deactivate your own account."))
    else:
        person.is_active = False
        person.save(update_fields=["is_active"])
        messages.success(request, _("User %(name)s can no longer log in.") % {"name": person.username})
    return redirect("accounts:users")
