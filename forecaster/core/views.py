from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static


def healthz(request):
    """Liveness for process supervisors: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def favicon(request):
    """Browsers and tools that ignore ``<link rel="icon">`` ask for /favicon.ico."""
    return redirect(static("img/favicon.svg"))
