"""``forecaster report costs|result`` — plugged into the ``report`` command by two calls.

forecaster report costs [--from D] [--to D] [--by year|month|day|counterparty|commitment|tag]
                        [--counterparty ID] [--commitment ID] [--tag ID] [--format table|json|csv]
forecaster report result [--from D] [--to D] [--by year|month|day] [--basis invoice|paid]
                         [--format table|json|csv]
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from forecaster.costs import exports, queries
from forecaster.costs.params import parse_cost_params
from forecaster.reports.params import ParamError
from forecaster.reports.queries import BASES

REPORTS = ("costs", "result")


def add_parsers(sub: Any) -> None:
    costs = sub.add_parser("costs", help="Cost invoices in the base currency.")
    result = sub.add_parser("result", help="Revenue − costs per period, in the base currency.")
    for p in (costs, result):
        p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="First day included.")
        p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="Last day included.")
        p.add_argument("--format", dest="fmt", choices=("table", "json", "csv"), default="table")
    costs.add_argument("--by", choices=queries.GROUPINGS, default="month")
    costs.add_argument("--counterparty", metavar="ID", help="Only this counterparty's invoices.")
    costs.add_argument("--commitment", metavar="ID", help="Only this commitment's invoices.")
    costs.add_argument("--tag", metavar="ID", help="Only invoices with this tag.")
    result.add_argument("--by", choices=queries.PERIODS, default="month")
    result.add_argument("--basis", choices=BASES, default="invoice", help="How revenue is dated.")


def handle(command: BaseCommand, opts: dict) -> None:
    kind = opts["report"]
    data = {"from": opts.get("date_from"), "to": opts.get("date_to"), "by": opts.get("by")}
    for key in ("counterparty", "commitment", "tag", "basis"):
        if opts.get(key) is not None:
            data[key] = str(opts[key])
    try:
        p = parse_cost_params(data, result=kind == "result")
    except ParamError as exc:
        raise CommandError(str(exc)) from None
    if kind == "result":
        report = queries.result(p.date_from, p.date_to, p.by, p.basis)
        body = exports.result_json(report)
    else:
        report = queries.costs(p.date_from, p.date_to, p.by, p.counterparty, p.commitment, p.tag)
        body = exports.costs_json(report)
    fmt = opts.get("fmt") or "table"
    if fmt == "json":
        command.stdout.write(json.dumps(body, ensure_ascii=False))
    elif fmt == "csv":
        command.stdout.write(exports.to_csv(report), ending="")
    else:
        command.stdout.write(exports.to_table(report), ending="")
