"""Every page requires login, except the login page, static files and first-run setup."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse

PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/accounts/setup/",
    "/language/",  # the language switcher on the login page
    "/favicon.ico",
    "/" + settings.STATIC_URL.lstrip("/"),
)


class LoginRequiredMiddleware:
    """Redirect anonymous visitors to login; the JSON API answers 401 instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if request.user.is_authenticated or path.startswith(PUBLIC_PREFIXES):
            return self.get_response(request)
        if path.startswith("/api/"):
            # The API authenticates with tokens in its own views; let them decide.
            return self.get_response(request)
        if path.startswith("/healthz"):
            return self.get_response(request)
        if request.headers.get("HX-Request"):
            return JsonResponse({"error": "login required"}, status=401)
        return redirect_to_login(request.get_full_path())
