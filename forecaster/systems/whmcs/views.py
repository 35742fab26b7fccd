"""Pages specific to the apiWHMCS type."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def help_page(request: HttpRequest) -> HttpResponse:
    """Connecting WHMCS: the WHMCS-side set-up, step by step."""
    return render(
        request,
        "systems/whmcs/help.html",
        {
            "allow_private": settings.ALLOW_PRIVATE_URLS,
            "auto_sync_time": settings.AUTO_SYNC_TIME,
        },
    )
