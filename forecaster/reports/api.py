"""The read-only JSON API under ``/api/``, authenticated by bearer tokens.

    curl -H "Authorization: Bearer fct_…" "http://127.0.0.1:8000/api/revenue?by=year"

Every data endpoint needs a live token (created and revoked by administrators on
/reports/tokens/); without one it answers 401 JSON. ``/api/openapi.json`` is public: it
describes the API and holds no data. Bad parameters answer 400 JSON with a message (404 for
an unknown system), never 5xx.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from forecaster.accounts.models import ApiToken, hash_token
from forecaster.currency.base import base_currency
from forecaster.currency.rates import RateBook
from forecaster.lib.money import fmt
from forecaster.reports import exports
from forecaster.reports.params import ParamError, UnknownSystem, parse_report_params
from forecaster.reports.queries import BASES, GROUPINGS, revenue, totals_by_system
from forecaster.sync.ledger import revenue_notes
from forecaster.systems.models import AccountingSystem

# Writing "last used" on every request would make each GET a write; once a minute is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for key, value in headers.items():
        response[key] = value
    return response


def _token_from(request: HttpRequest) -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 200:
        return None
    return ApiToken.objects.filter(token_hash=hash_token(value), revoked_at=None).first()


def _last_used_is_stale(token: ApiToken) -> bool:
    return token.last_used_at is None or token.last_used_at < timezone.now() - LAST_USED_RESOLUTION


def touch_token(pk: int) -> bool:
    """Record that token ``pk`` was used, best-effort: gives up at once when the database is
    locked (True when it was written)."""
    now = timezone.now()
    stale = ApiToken.objects.filter(pk=pk).filter(
        Q(last_used_at=None) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    )
    try:
        with short_lock_wait():
            stale.update(last_used_at=now)
    except DatabaseError:
        return False
    return True


@contextmanager
def short_lock_wait(milliseconds: int = 100) -> Iterator[None]:
    """Run the block's statements with a lock wait of ``milliseconds`` instead of the usual
    busy timeout (SQLite's busy_timeout, PostgreSQL's lock_timeout)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            usual = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {usual}")
    elif connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = {int(milliseconds)}")
            yield
    else:
        yield


def api_view(
    require_token: bool = True,
) -> Callable[[Callable[..., JsonResponse]], Callable[..., JsonResponse]]:
    """GET/HEAD only, JSON errors, and (by default) a live bearer token."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., JsonResponse]:
        @login_not_required  # the token is the authentication, not the session
        @csrf_exempt  # read-only and token-authenticated: no cookies, so no CSRF exposure
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method not in ("GET", "HEAD"):
                return _error(405, "method not allowed; the API is read-only", Allow="GET, HEAD")
            if require_token:
                token = _token_from(request)
                if token is None:
                    return _error(
                        401,
                        "a valid API token is required: Authorization: Bearer <token>",
                        **{"WWW-Authenticate": 'Bearer realm="forecaster"'},
                    )
            response = view(request, *args, **kwargs)
            response["Cache-Control"] = "no-store"
            if require_token and _last_used_is_stale(token):
                # After the answer is sent, and only if the database is free: a read never
                # waits for (or fails on) a write lock held by a sync or another program.
                response._resource_closers.append(lambda: touch_token(token.pk))
            return response

        return wrapper

    return decorate


@api_view()
def revenue_api(request: HttpRequest) -> JsonResponse:
    """``GET /api/revenue?from=&to=&by=&system=&basis=`` — the CLI's JSON report."""
    try:
        params = parse_report_params(request.GET, api=True)
    except UnknownSystem as exc:
        return _error(404, str(exc))
    except ParamError as exc:
        return _error(400, str(exc))
    report = revenue(params.date_from, params.date_to, params.by, params.system_id, params.basis)
    systems = [params.system] if params.system else list(AccountingSystem.objects.all())
    data = exports.to_json(report)
    notes = revenue_notes(systems)
    if notes:  # what the revenue cannot tell apart with a system's API role (README, "Money")
        data["notes"] = notes
    return JsonResponse(data)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


@api_view()
def systems_api(request: HttpRequest) -> JsonResponse:
    """``GET /api/systems`` — every system with its settings, last sync and totals; no secrets
    and no API identifier."""
    totals = totals_by_system()
    currency = base_currency()
    items = []
    for s in AccountingSystem.objects.all():
        t = totals.get(s.pk) or {}
        items.append(
            {
                "id": s.pk,
                "name": s.name,
                "type": s.kind,
                "url": s.url,
                "step": s.step,
                "auto_sync": s.auto_sync,
                "exchange_rate": str(RateBook(s, base=currency).fixed),
                "last_sync_at": _iso(s.last_sync_at),
                "last_sync_ok": s.last_sync_ok,
                "last_sync_message": s.last_sync_message,
                "last_full_sync_at": _iso(s.last_full_sync_at),
                "invoices": int(t.get("invoices", 0)),
                "net": fmt(t.get("net")),
                "tax": fmt(t.get("tax")),
                "gross": fmt(t.get("gross")),
            }
        )
    return JsonResponse({"currency": currency, "systems": items})


@api_view(require_token=False)
def openapi_api(request: HttpRequest) -> JsonResponse:
    """``GET /api/openapi.json`` — the OpenAPI 3 description of this API (public)."""
    return JsonResponse(openapi_schema())


@api_view(require_token=False)
def not_found_api(request: HttpRequest, rest: str = "") -> JsonResponse:
    return _error(404, "no such API endpoint; see /api/openapi.json")


# Other apps' endpoints: each callable adds its paths and components to the schema.
SCHEMA_EXTENSIONS: list = []


def openapi_schema() -> dict:
    """The hand-written OpenAPI 3.0 schema of the read-only API, with every app's endpoints."""
    schema = _core_schema()
    for extend in SCHEMA_EXTENSIONS:
        extend(schema)
    return schema


def _core_schema() -> dict:
    """The revenue and systems endpoints."""
    money = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1234.56"}
    amounts = {
        "type": "object",
        "required": ["invoices", "net", "tax", "gross"],
        "properties": {
            "invoices": {"type": "integer", "minimum": 0},
            "net": money,
            "tax": money,
            "gross": money,
        },
        "additionalProperties": False,
    }
    error = {
        "description": "",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }

    def err(description: str) -> dict:
        return {**error, "description": description}

    date_param = {"type": "string", "format": "date", "example": "2024-01-31"}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Commitment Forecaster API",
            "version": "1",
            "description": "Read-only revenue data. Authenticate with `Authorization: Bearer <token>`; "
            "administrators create and revoke tokens on /reports/tokens/. Amounts "
            "are decimal strings with two places, in the base currency.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
                "Amounts": amounts,
                "Row": {
                    "type": "object",
                    "required": ["period", "invoices", "net", "tax", "gross"],
                    "properties": {
                        "period": {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                        **amounts["properties"],
                    },
                    "additionalProperties": False,
                },
                "Revenue": {
                    "type": "object",
                    "required": ["currency", "by", "from", "to", "rows", "total"],
                    "properties": {
                        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                        "by": {"type": "string", "enum": list(GROUPINGS)},
                        "from": {**date_param, "nullable": True},
                        "to": {**date_param, "nullable": True},
                        "rows": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}},
                        "total": {"$ref": "#/components/schemas/Amounts"},
                        "notes": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "What the revenue cannot tell apart with a system's API role.",
                        },
                    },
                    "additionalProperties": False,
                },
                "System": {
                    "type": "object",
                    "required": [
                        "id",
                        "name",
                        "type",
                        "url",
                        "step",
                        "auto_sync",
                        "exchange_rate",
                        "last_sync_at",
                        "last_sync_ok",
                        "last_sync_message",
                        "last_full_sync_at",
                        "invoices",
                        "net",
                        "tax",
                        "gross",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "type": {"type": "string"},
                        "url": {"type": "string"},
                        "step": {"type": "integer"},
                        "auto_sync": {"type": "boolean"},
                        "exchange_rate": {"type": "string", "pattern": r"^\d+\.\d{6}$"},
                        "last_sync_at": {"type": "string", "format": "date-time", "nullable": True},
                        "last_sync_ok": {"type": "boolean", "nullable": True},
                        "last_sync_message": {"type": "string"},
                        "last_full_sync_at": {"type": "string", "format": "date-time", "nullable": True},
                        "invoices": {"type": "integer", "minimum": 0},
                        "net": money,
                        "tax": money,
                        "gross": money,
                    },
                    "additionalProperties": False,
                },
                "Systems": {
                    "type": "object",
                    "required": ["currency", "systems"],
                    "properties": {
                        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                        "systems": {"type": "array", "items": {"$ref": "#/components/schemas/System"}},
                    },
                    "additionalProperties": False,
                },
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/revenue": {
                "get": {
                    "operationId": "revenue",
                    "summary": "Paid revenue per year, month or day (the CLI's JSON report).",
                    "parameters": [
                        {
                            "name": "from",
                            "in": "query",
                            "required": False,
                            "schema": date_param,
                            "description": "First day included (YYYY-MM-DD).",
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "required": False,
                            "schema": date_param,
                            "description": "Last day included (YYYY-MM-DD).",
                        },
                        {
                            "name": "by",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(GROUPINGS), "default": "month"},
                        },
                        {
                            "name": "system",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "A system's id or exact name; omitted = all systems.",
                        },
                        {
                            "name": "basis",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(BASES), "default": "invoice"},
                            "description": "Date invoices by their invoice date or their date paid.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The report.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Revenue"}}
                            },
                        },
                        "400": err("A parameter is not valid (the message says which)."),
                        "401": err("No valid API token."),
                        "404": err("No system with that id or name."),
                    },
                }
            },
            "/api/systems": {
                "get": {
                    "operationId": "systems",
                    "summary": "The accounting systems, their last sync and revenue held (no secrets).",
                    "responses": {
                        "200": {
                            "description": "The systems.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Systems"}}
                            },
                        },
                        "401": err("No valid API token."),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This schema.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3 schema.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
    }
