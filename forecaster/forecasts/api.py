"""JSON API: ``GET /api/outlook?months=&scenario=`` and ``GET /api/deadlines`` (bearer tokens,
like the rest of /api/), described in the OpenAPI schema at /api/openapi.json."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from forecaster.currency.base import base_currency
from forecaster.forecasts import exports
from forecaster.forecasts.deadlines import deadlines
from forecaster.forecasts.explain import CODES
from forecaster.forecasts.history import MAX_HORIZON
from forecaster.forecasts.models import Scenario
from forecaster.forecasts.scenarios import scenario_outlook
from forecaster.reports.api import _error, api_view


@api_view()
def outlook_api(request: HttpRequest) -> JsonResponse:
    raw = (request.GET.get("months") or "12").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HORIZON:
        return _error(400, f"months must be a whole number from 1 to {MAX_HORIZON}")
    scenario = None
    wanted = (request.GET.get("scenario") or "").strip()
    if wanted:
        scenario = (
            Scenario.objects.filter(pk=int(wanted)).first()
            if wanted.isdigit()
            else Scenario.objects.filter(name=wanted).first()
        )
        if scenario is None:
            return _error(404, "no scenario with that id or name")
    o = scenario_outlook(timezone.localdate(), int(raw), scenario)
    return JsonResponse(exports.outlook_json(o))


@api_view()
def deadlines_api(request: HttpRequest) -> JsonResponse:
    return JsonResponse(exports.deadlines_json(deadlines(timezone.localdate()), base_currency()))


def extend_schema(schema: dict) -> None:
    """Add the forecast endpoints to the OpenAPI schema (see ``reports.api.SCHEMA_EXTENSIONS``)."""
    money = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1234.56"}
    nullable_money = {**money, "nullable": True}
    date = {"type": "string", "format": "date", "nullable": True}
    explain = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["code", "inputs"],
            "properties": {
                "code": {"type": "string", "enum": sorted(CODES)},
                "inputs": {
                    "type": "object",
                    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                },
            },
            "additionalProperties": False,
        },
    }
    month = {
        "type": "object",
        "required": [
            "month", "kind", "revenue", "revenue_low", "revenue_high", "revenue_pipeline",
            "revenue_by_system", "costs", "costs_estimated", "result", "cumulative_result", "explain",
        ],
        "properties": {
            "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
            "kind": {"type": "string", "enum": ["actual", "forecast"]},
            "revenue": money,
            "revenue_low": nullable_money,
            "revenue_high": nullable_money,
            # Forecast months: the part of "revenue" that is WHMCS's unpaid invoices due in the month.
            "revenue_pipeline": nullable_money,
            "revenue_by_system": {"type": "object", "additionalProperties": money},
            "costs": money,
            "costs_estimated": {"type": "boolean"},
            "result": money,
            "cumulative_result": nullable_money,
            # Where the amounts come from: parts, each a method code and its inputs (amounts as
            # two-decimal strings, other decimals with a dot, counts as integers).
            "explain": {
                "type": "object",
                "required": ["revenue", "costs"],
                "properties": {"revenue": explain, "costs": explain},
            },
        },
        "additionalProperties": False,
    }  # fmt: skip
    outlook = {
        "type": "object",
        "required": [
            "currency",
            "today",
            "horizon",
            "scenario",
            "systems",
            "months",
            "forecast_result",
            "problems",
        ],
        "properties": {
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "today": {"type": "string", "format": "date"},
            "horizon": {"type": "integer", "minimum": 1, "maximum": MAX_HORIZON},
            "scenario": {"type": "string", "nullable": True},
            "systems": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                },
            },
            "months": {"type": "array", "items": {"$ref": "#/components/schemas/OutlookMonth"}},
            "forecast_result": money,
            "problems": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    deadline = {
        "type": "object",
        "required": [
            "agreement_id", "agreement", "counterparty", "kind", "term_end", "cancel_by", "notice",
            "days_left", "missed", "next_possible_end", "cost_at_stake",
        ],
        "properties": {
            "agreement_id": {"type": "integer"},
            "agreement": {"type": "string"},
            "counterparty": {"type": "string"},
            "kind": {"type": "string", "enum": ["renews", "expires", "rolling"]},
            "term_end": date,
            "cancel_by": date,
            "notice": {"type": "string"},
            "days_left": {"type": "integer"},
            "missed": {"type": "boolean"},
            "next_possible_end": date,
            "cost_at_stake": money,
        },
        "additionalProperties": False,
    }  # fmt: skip
    schemas = schema["components"]["schemas"]
    schemas["OutlookMonth"] = month
    schemas["Outlook"] = outlook
    schemas["Deadline"] = deadline
    schemas["Deadlines"] = {
        "type": "object",
        "required": ["currency", "deadlines"],
        "properties": {
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
        },
        "additionalProperties": False,
    }

    def err(description: str) -> dict:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }

    schema["paths"]["/api/outlook"] = {
        "get": {
            "operationId": "outlook",
            "summary": "Revenue, costs, result and cumulative result per month: 12 actual months, then "
            "the forecast (net, base currency).",
            "parameters": [
                {
                    "name": "months",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_HORIZON, "default": 12},
                    "description": "Forecast months, the current one first.",
                },
                {
                    "name": "scenario",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "A saved scenario's id or exact name; omitted = the plain forecast.",
                },
            ],
            "responses": {
                "200": {
                    "description": "The outlook.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outlook"}}},
                },
                "400": err("A parameter is not valid."),
                "401": err("No valid API token."),
                "404": err("No scenario with that id or name."),
            },
        }
    }
    schema["paths"]["/api/deadlines"] = {
        "get": {
            "operationId": "deadlines",
            "summary": "Every agreement's ends of term and cancel-by dates in the next 12 months, most "
            "urgent first, with the cost at stake.",
            "responses": {
                "200": {
                    "description": "The deadlines.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deadlines"}}},
                },
                "401": err("No valid API token."),
            },
        }
    }
