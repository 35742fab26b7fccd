"""Every view requires login unless it is marked with Django's ``login_not_required``.

Django's own ``LoginRequiredMiddleware`` does the work; the public views carry the decorator:
login and first-run setup, the language switcher (on the login page), ``/healthz``, the
favicon, the token-authenticated JSON API (``forecaster.reports.api.api_view``) and the
iCalendar feed (its secret URL is its authentication). Static files never reach a view
(WhiteNoise answers them first).
"""

from __future__ import annotations

from django.contrib.auth import middleware
from django.http import HttpRequest, HttpResponse, JsonResponse


class LoginRequiredMiddleware(middleware.LoginRequiredMiddleware):
    """Django's middleware, except that an htmx request gets 401 JSON instead of a redirect
    (htmx would otherwise swap the login page into a fragment of the page)."""

    def handle_no_permission(self, request: HttpRequest, view_func: object) -> HttpResponse:
        if request.headers.get("HX-Request"):
            return JsonResponse({"error": "login required"}, status=401)
        return super().handle_no_permission(request, view_func)
