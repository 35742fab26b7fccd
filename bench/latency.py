"""Report and page latency over the invoices held in a data directory.

    FORECASTER_DATA_DIR=… [DATABASE_URL=…] python -m bench.latency --pages-url http://127.0.0.1:PORT \\
        --username U --password P [--repeat 30]

Measures, each ``--repeat`` times after one warm-up, and prints one JSON object of
``{name: {"median_ms", "p95_ms", "max_ms"}}``:

- ``report_month_all`` / ``report_revenue_year`` / ``report_revenue_day``:
  ``reports.queries.revenue(by=…)`` for all systems (the domain function the page, the CLI and
  the API share), in this process;
- ``report_costs_*`` / ``report_result_*``: ``costs.queries.costs(by=…)`` and
  ``costs.queries.result(by=…)`` over every cost invoice (and all revenue), in this process;
- ``outlook_12_cold_fit`` / ``outlook_12``: ``forecasts.outlook.outlook`` for 12 months, once
  with every revenue model fitted and then with the day's fits kept, in this process;
- ``page_*``: real HTTP GETs of the systems list, the revenue, costs and result reports, the
  dashboard, the outlook and the JSON API's revenue report and outlook, against ``forecaster
  serve`` at ``--pages-url`` (WSGI server, middleware, templates — what a browser waits for),
  logged in as ``--username``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time


def summarise(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def timed(fn, repeat: int) -> dict:
    fn()  # warm-up: connection, caches, template loading
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return summarise(samples)


def cost_reports(repeat: int) -> dict:
    """The costs and result reports' domain functions (page, CLI and API share them)."""
    from forecaster.costs import queries as costs

    out = {}
    for by in ("year", "month", "day", "counterparty", "commitment", "tag"):
        out[f"report_costs_{by}"] = timed(lambda by=by: costs.costs(by=by), repeat)
    for by in ("year", "month", "day"):
        out[f"report_result_{by}"] = timed(lambda by=by: costs.result(by=by), repeat)
    return out


def outlook_figures(repeat: int) -> dict:
    """The outlook (12 months: revenue model per system, costs, result), in this process: once
    cold (every system's model fitted, as on the first view of a day) and then warm (the fits
    kept for the day, as every later view)."""
    from django.utils import timezone

    from forecaster.forecasts.models import FittedRevenue
    from forecaster.forecasts.outlook import outlook

    FittedRevenue.objects.all().delete()
    started = time.perf_counter()
    outlook(timezone.localdate(), 12)
    cold = round((time.perf_counter() - started) * 1000, 2)
    return {
        "outlook_12_cold_fit": {"median_ms": cold, "p95_ms": cold, "max_ms": cold},
        "outlook_12": timed(lambda: outlook(timezone.localdate(), 12), repeat),
    }


def measure(pages_url: str, username: str, password: str, repeat: int, token: str = "") -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    import django

    django.setup()
    import httpx

    from forecaster.reports import queries

    results = {"report_month_all": timed(lambda: queries.revenue(by="month"), repeat)}
    for by in ("year", "day"):
        results[f"report_revenue_{by}"] = timed(lambda by=by: queries.revenue(by=by), repeat)
    results.update(cost_reports(repeat))
    results.update(outlook_figures(repeat))

    with httpx.Client(base_url=pages_url, timeout=60, follow_redirects=False) as client:
        login = client.get("/accounts/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        assert csrf, "no CSRF token on the login page"
        done = client.post("/accounts/login/", data={
            "username": username, "password": password, "csrfmiddlewaretoken": csrf.group(1),
        }, headers={"Referer": pages_url + "/accounts/login/"})  # fmt: skip
        assert done.status_code == 302, f"login failed: {done.status_code}"

        def page(path: str, **kwargs):
            def get():
                response = client.get(path, **kwargs)
                assert response.status_code == 200, f"{path}: HTTP {response.status_code}"

            return get

        results["page_systems_list"] = timed(page("/systems/"), repeat)
        results["page_revenue_report"] = timed(page("/reports/revenue/"), repeat)
        results["page_dashboard"] = timed(page("/"), repeat)
        results["page_costs_report"] = timed(page("/costs/reports/costs/"), repeat)
        results["page_costs_by_counterparty"] = timed(
            page("/costs/reports/costs/", params={"by": "counterparty"}), repeat
        )
        results["page_result_report"] = timed(page("/costs/reports/result/"), repeat)
        results["page_outlook"] = timed(page("/forecasts/"), repeat)
        if token:
            results["api_revenue_month"] = timed(
                page("/api/revenue", params={"by": "month"}, headers={"Authorization": f"Bearer {token}"}),
                repeat,
            )
            results["api_outlook"] = timed(
                page("/api/outlook", headers={"Authorization": f"Bearer {token}"}), repeat
            )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-url", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--token", default="", help="an API token, to time the JSON API too")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.pages_url, args.username, args.password, args.repeat, args.token)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
