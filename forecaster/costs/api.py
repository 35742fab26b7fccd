"""Read-only JSON API of the cost side, with the revenue API's bearer tokens and error shape.

    GET /api/counterparties
    GET /api/commitments
    GET /api/cost-invoices?from=&to=&counterparty=&commitment=&limit=&offset=
    GET /api/costs?from=&to=&by=&counterparty=&commitment=&tag=
    GET /api/result?from=&to=&by=&basis=

``extend_schema`` adds these paths to the OpenAPI document served at ``/api/openapi.json``.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Max, Min, Sum
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from forecaster.costs import exports, periods, queries
from forecaster.costs.models import Commitment, Counterparty
from forecaster.costs.params import parse_cost_params
from forecaster.currency.base import base_currency
from forecaster.lib.money import fmt
from forecaster.reports.api import _error, api_view
from forecaster.reports.params import ParamError, parse_date
from forecaster.reports.queries import BASES, cents

MAX_LIMIT = 10000


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


@api_view()
def counterparties_api(request: HttpRequest) -> JsonResponse:
    rows = Counterparty.objects.annotate(
        n=Count("cost_invoices"),
        net=Sum("cost_invoices__net_base_cents"),
        vat=Sum("cost_invoices__vat_base_cents"),
    )
    items = [
        {
            "id": p.pk,
            "company_name": p.company_name,
            "vat_id": p.vat_id,
            "country": p.country,
            "city": p.city,
            "invoices": p.n,
            "net": fmt(cents(p.net)),
            "vat": fmt(cents(p.vat)),
            "gross": fmt(cents(p.net) + cents(p.vat)),
        }
        for p in rows
    ]
    return JsonResponse({"currency": base_currency(), "counterparties": items})


@api_view()
def commitments_api(request: HttpRequest) -> JsonResponse:
    today = timezone.localdate()
    rows = Commitment.objects.select_related("agreement").annotate(
        n=Count("cost_invoices"),
        net=Sum("cost_invoices__net_base_cents"),
        vat=Sum("cost_invoices__vat_base_cents"),
        first=Min("cost_invoices__document_date"),
        last=Max("cost_invoices__document_date"),
    )
    items = []
    for c in rows:
        p = periods.period(c, today, (c.first, c.last))
        net, gross = cents(c.net), cents(c.net) + cents(c.vat)
        from forecaster.costs.terms import to_end

        original = to_end(net, gross, p.start, None if p.indefinite else p.end, today)
        items.append(
            {
                "id": c.pk,
                "name": c.name,
                "counterparty_id": c.payee.pk if c.payee else None,
                "agreement_id": c.agreement_id,
                "start": _iso(p.start),
                "end": _iso(p.end),
                "indefinite": p.indefinite,
                "invoices": c.n,
                "net": fmt(net),
                "gross": fmt(gross),
                "flagged": bool(p.end and c.last and c.last > p.end),
                "to_end_net": fmt(original.net),
                "to_end_gross": fmt(original.gross),
            }
        )
    return JsonResponse({"currency": base_currency(), "commitments": items})


def _int(value: str | None, name: str, default: int, maximum: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or len(value) > 9 or int(value) > maximum:
        raise ParamError(f"{name}: a whole number from 0 to {maximum}")
    return int(value)


@api_view()
def cost_invoices_api(request: HttpRequest) -> JsonResponse:
    try:
        date_from = parse_date(request.GET.get("from"), "from", strict=True)
        date_to = parse_date(request.GET.get("to"), "to", strict=True)
        p = parse_cost_params({k: request.GET.get(k) for k in ("counterparty", "commitment")}, api=True)
        limit = _int(request.GET.get("limit"), "limit", 1000, MAX_LIMIT)
        offset = _int(request.GET.get("offset"), "offset", 0, 10**9)
    except ParamError as exc:
        return _error(400, str(exc))
    qs = queries.invoices(date_from, date_to, p.counterparty, p.commitment).order_by("document_date", "id")
    total = qs.count()
    page = list(qs.prefetch_related("tags")[offset : offset + limit])
    items = [
        {
            "id": i.pk,
            "counterparty_id": i.counterparty_id,
            "number": i.number,
            "document_date": _iso(i.document_date),
            "receipt_date": _iso(i.receipt_date),
            "due_date": _iso(i.due_date),
            "currency": i.currency,
            "net": fmt(i.net),
            "vat": fmt(i.vat),
            "gross": fmt(i.gross),
            "rate": str(i.rate),
            "net_base": fmt(i.net_base),
            "vat_base": fmt(i.vat_base),
            "gross_base": fmt(i.gross_base),
            "commitment_id": i.commitment_id,
            "tags": [t.name for t in i.tags.all()],
        }
        for i in page
    ]
    return JsonResponse(
        {"currency": base_currency(), "count": total, "offset": offset, "cost_invoices": items}
    )


@api_view()
def costs_api(request: HttpRequest) -> JsonResponse:
    try:
        p = parse_cost_params(request.GET, api=True)
    except ParamError as exc:
        return _error(400, str(exc))
    return JsonResponse(
        exports.costs_json(queries.costs(p.date_from, p.date_to, p.by, p.counterparty, p.commitment, p.tag))
    )


@api_view()
def result_api(request: HttpRequest) -> JsonResponse:
    try:
        p = parse_cost_params(request.GET, api=True, result=True)
    except ParamError as exc:
        return _error(400, str(exc))
    return JsonResponse(exports.result_json(queries.result(p.date_from, p.date_to, p.by, p.basis)))


# --- OpenAPI ---------------------------------------------------------------------------------------
def extend_schema(schema: dict) -> dict:
    """Add the cost endpoints and their schemas to the revenue API's OpenAPI document."""
    money = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1234.56"}
    cur = {"type": "string", "pattern": "^[A-Z]{3}$"}
    day = {"type": "string", "format": "date", "example": "2024-01-31"}
    nday = {**day, "nullable": True}
    nid = {"type": "integer", "nullable": True}

    def obj(props: dict) -> dict:
        return {"type": "object", "required": list(props), "properties": props, "additionalProperties": False}

    def q(name: str, schema: dict, description: str) -> dict:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    ident = {"type": "string", "pattern": r"^\d{1,18}$"}
    dates = [
        q("from", day, "First day included (YYYY-MM-DD)."),
        q("to", day, "Last day included (YYYY-MM-DD)."),
    ]
    cost_amounts = {"invoices": {"type": "integer", "minimum": 0}, "net": money, "vat": money, "gross": money}
    result_amounts = dict.fromkeys(
        ("revenue_net", "costs_net", "result_net", "revenue_gross", "costs_gross", "result_gross"), money
    )
    schemas = schema["components"]["schemas"]
    schemas.update(
        {
            "Counterparties": obj(
                {
                    "currency": cur,
                    "counterparties": {
                        "type": "array",
                        "items": obj(
                            {
                                "id": {"type": "integer"},
                                "company_name": {"type": "string"},
                                "vat_id": {"type": "string"},
                                "country": {"type": "string"},
                                "city": {"type": "string"},
                                **cost_amounts,
                            }
                        ),
                    },
                }
            ),
            "Commitments": obj(
                {
                    "currency": cur,
                    "commitments": {
                        "type": "array",
                        "items": obj(
                            {
                                "id": {"type": "integer"},
                                "name": {"type": "string"},
                                "counterparty_id": nid,
                                "agreement_id": nid,
                                "start": nday,
                                "end": nday,
                                "indefinite": {"type": "boolean"},
                                "invoices": {"type": "integer", "minimum": 0},
                                "net": money,
                                "gross": money,
                                "flagged": {"type": "boolean"},
                                "to_end_net": money,
                                "to_end_gross": money,
                            }
                        ),
                    },
                }
            ),
            "CostInvoices": obj(
                {
                    "currency": cur,
                    "count": {"type": "integer", "minimum": 0},
                    "offset": {"type": "integer", "minimum": 0},
                    "cost_invoices": {
                        "type": "array",
                        "items": obj(
                            {
                                "id": {"type": "integer"},
                                "counterparty_id": {"type": "integer"},
                                "number": {"type": "string"},
                                "document_date": day,
                                "receipt_date": nday,
                                "due_date": nday,
                                "currency": cur,
                                "net": money,
                                "vat": money,
                                "gross": money,
                                "rate": {"type": "string", "pattern": r"^\d+\.\d{6}$"},
                                "net_base": money,
                                "vat_base": money,
                                "gross_base": money,
                                "commitment_id": nid,
                                "tags": {"type": "array", "items": {"type": "string"}},
                            }
                        ),
                    },
                }
            ),
            "Costs": obj(
                {
                    "currency": cur,
                    "by": {"type": "string", "enum": list(queries.GROUPINGS)},
                    "from": nday,
                    "to": nday,
                    "filters": {"type": "object", "additionalProperties": {"type": "string"}},
                    "rows": {
                        "type": "array",
                        "items": obj(
                            {"key": {"type": "string"}, "label": {"type": "string"}, **cost_amounts}
                        ),
                    },
                    "total": obj(cost_amounts),
                }
            ),
            "Result": obj(
                {
                    "currency": cur,
                    "by": {"type": "string", "enum": list(queries.PERIODS)},
                    "from": nday,
                    "to": nday,
                    "rows": {"type": "array", "items": obj({"period": {"type": "string"}, **result_amounts})},
                    "total": obj(result_amounts),
                }
            ),
        }
    )

    def get(op: str, summary: str, ref: str, params: list) -> dict:
        err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        return {
            "get": {
                "operationId": op,
                "summary": summary,
                "parameters": params,
                "responses": {
                    "200": {
                        "description": "The data.",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
                    },
                    "400": {**err, "description": "A parameter is not valid (the message says which)."},
                    "401": {**err, "description": "No valid API token."},
                },
            }
        }

    filters = [
        q("counterparty", ident, "Only this counterparty's invoices (id)."),
        q("commitment", ident, "Only this commitment's invoices (id)."),
    ]
    schema["paths"].update(
        {
            "/api/counterparties": get(
                "counterparties", "Counterparties with their cost invoices' totals.", "Counterparties", []
            ),
            "/api/commitments": get(
                "commitments",
                "Commitments: period, costs incurred, the original's To end.",
                "Commitments",
                [],
            ),
            "/api/cost-invoices": get(
                "costInvoices",
                "Cost invoices by document date, original and base-currency amounts (paged).",
                "CostInvoices",
                [
                    *dates,
                    *filters,
                    q(
                        "limit",
                        {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT},
                        "Page size (default 1000).",
                    ),
                    q("offset", {"type": "integer", "minimum": 0}, "Invoices to skip."),
                ],
            ),
            "/api/costs": get(
                "costs",
                "Costs per period, counterparty, commitment or tag (the CLI's JSON report).",
                "Costs",
                [
                    *dates,
                    q(
                        "by",
                        {"type": "string", "enum": list(queries.GROUPINGS), "default": "month"},
                        "Grouping.",
                    ),
                    *filters,
                    q("tag", ident, "Only invoices with this tag (id)."),
                ],
            ),
            "/api/result": get(
                "result",
                "Revenue − costs per period; every period with revenue or costs appears.",
                "Result",
                [
                    *dates,
                    q(
                        "by",
                        {"type": "string", "enum": list(queries.PERIODS), "default": "month"},
                        "Grouping.",
                    ),
                    q(
                        "basis",
                        {"type": "string", "enum": list(BASES), "default": "invoice"},
                        "How revenue is dated.",
                    ),
                ],
            ),
        }
    )
    return schema
