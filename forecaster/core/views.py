"""Project-wide views: the health check, the favicon and the error handler for 500s.

``server_error`` answers every unhandled exception: a database that cannot be used right now
(locked past the busy timeout, full, gone) gets a 503 that says so, JSON on the API; any other
exception a plain 500 page with no details.
"""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 30


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for process supervisors: 200 ``ok`` when the database really answers.

    Every table's first page is read (a ``SELECT 1`` succeeds on a database whose tables are
    damaged); any database error answers 503 with its class name.
    """
    try:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            if "django_migrations" not in tables:
                return HttpResponse(
                    "not ok: the database is not set up", status=503, content_type="text/plain"
                )
            for table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                cursor.fetchall()
    except DatabaseError as exc:
        return HttpResponse(
            f"not ok: database error ({type(exc).__name__})", status=503, content_type="text/plain"
        )
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools that ignore ``<link rel="icon">`` ask for /favicon.ico."""
    return redirect(static("img/favicon.svg"))


def database_unavailable_reason(exc: BaseException | None) -> str | None:
    """A one-line, secret-free reason when ``exc`` means the database cannot be used right now."""
    if not isinstance(exc, OperationalError):
        return None
    text = str(exc).lower()
    if "locked" in text or "lock timeout" in text or "could not obtain lock" in text or "busy" in text:
        return _(
            "The database is busy: another program holds a write lock on it. Try again in a "
            "minute; nothing you entered was saved."
        )
    if "full" in text:
        return _("The database cannot be written: the disk is full. Free some space and try again.")
    return _(
        "The database cannot be used right now. Try again in a minute; if it persists, check the service log."
    )


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: 503 with the reason for an unusable database, else a plain 500."""
    exc = sys.exc_info()[1]
    reason = database_unavailable_reason(exc)
    status = 503 if reason else 500
    is_api = request.path_info.startswith("/api/")
    if is_api or request.headers.get("HX-Request"):
        message = reason or _("Internal error: the request failed. The service log has the details.")
        response = JsonResponse({"error": message}, status=status)
    else:
        template = loader.get_template(template_name)
        response = HttpResponse(template.render({"reason": reason}), status=status)
    if reason:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
