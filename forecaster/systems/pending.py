"""The API secret typed into a form that came back with an error on another field.

Re-typing a 32-character secret because the Name was taken is a needless round trip, and
rendering it back into the page would put it in the HTML. So the secret is held on the server:
encrypted with the service's key (bound to the user and the form) in the user's session, for a
few minutes. An empty secret field on the next try means "use the one held".

    data = with_held_secret(request, "create:whmcs")   # the POST data, the held secret filled in
    form = FormClass(data, ...)
    if form.is_valid(): forget(request) ...
    else: held = hold(request, "create:whmcs", form)   # True: the page says it is kept
"""

from __future__ import annotations

import time

from django.http import HttpRequest, QueryDict
from django.views.decorators.debug import sensitive_variables

from forecaster.lib.crypto import DecryptionError, KeyConfigError, SecretBox

SESSION_KEY = "systems:pending-secret"
HOLD_SECONDS = 15 * 60


def _context(request: HttpRequest, target: str) -> str:
    return f"pending-secret:{request.user.pk}:{target}"


@sensitive_variables()
def with_held_secret(request: HttpRequest, target: str) -> QueryDict:
    """The POST data; when its secret is empty and one is held for ``target``, with that one."""
    data = request.POST
    held = request.session.get(SESSION_KEY)
    if data.get("secret") or not isinstance(held, dict) or held.get("for") != target:
        return data
    if held.get("until", 0) < time.time():
        forget(request)
        return data
    try:
        secret = SecretBox.from_settings().decrypt(held["box"], context=_context(request, target))
    except (DecryptionError, KeyConfigError, KeyError, TypeError):
        forget(request)
        return data
    data = data.copy()
    data["secret"] = secret
    return data


@sensitive_variables()
def hold(request: HttpRequest, target: str, form) -> bool:  # noqa: ANN001 - a SystemForm
    """Hold the form's valid secret for the next try; ``True`` if one is held."""
    secret = form.cleaned_data.get("secret") if "secret" not in form.errors else ""
    if not secret:
        forget(request)
        return False
    try:
        box = SecretBox.from_settings().encrypt(secret, context=_context(request, target))
    except KeyConfigError:
        return False
    request.session[SESSION_KEY] = {"for": target, "box": box, "until": time.time() + HOLD_SECONDS}
    return True


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
