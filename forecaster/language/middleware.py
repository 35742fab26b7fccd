"""Activate the signed-in user's stored language.

Django's ``LocaleMiddleware`` runs before authentication and picks the language from the
language cookie or ``Accept-Language``; this one runs after authentication and overrides that
choice with the language the user stored (if any), so it follows them to any browser.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from forecaster.language.models import stored_language


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = stored_language(getattr(request, "user", None))
        if language and language != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
