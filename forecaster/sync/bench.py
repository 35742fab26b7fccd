"""Measure the sync engine against the sandbox WHMCS (a separate process, over loopback).

    python -m forecaster.sync.bench --invoices 100000 --step 100 [--port 8799] [--db URL]

Prints one JSON object: the bare fetch loop (the same pages, nothing stored), a full sync of
an empty copy, a second full sync (nothing changed), and a no-change Sync — each with time,
API requests and the process's peak RSS — plus the full-sync/bare-loop ratio the product bar
asks for (≤ 1.3). Uses a throw-away data directory (SQLite) unless ``--db`` names a database.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default="", help="DATABASE_URL (default: SQLite in a temp dir)")
    args = parser.parse_args(argv)

    data_dir = tempfile.mkdtemp(prefix="forecaster-bench-")
    os.environ["FORECASTER_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    os.environ["FORECASTER_LOG_LEVEL"] = "WARNING"
    if args.db:
        os.environ["DATABASE_URL"] = args.db
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "forecaster", "sandbox", "--port", str(args.port),
         "--invoices", str(args.invoices), "--seed", str(args.seed)],
        stdout=subprocess.DEVNULL, env={**os.environ, "FORECASTER_DATA_DIR": data_dir + "-sandbox"},
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from forecaster.sandbox.api import DEFAULT_IDENTIFIER, DEFAULT_SECRET
        from forecaster.sync.engine import run_sync
        from forecaster.systems.errors import RemoteError
        from forecaster.systems.models import AccountingSystem
        from forecaster.systems.whmcs.client import WhmcsClient

        call_command("migrate", verbosity=0)
        url = f"http://127.0.0.1:{args.port}/includes/api.php"
        deadline = time.monotonic() + 600
        while True:  # the sandbox generates its data before it listens
            try:
                with WhmcsClient(url, DEFAULT_IDENTIFIER, DEFAULT_SECRET, retry=None) as probe:
                    probe.get_invoices(limitnum=1)
                break
            except RemoteError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the sandbox did not start") from None
                time.sleep(0.5)

        report: dict = {"invoices": args.invoices, "step": args.step,
                        "database": "postgresql" if args.db else "sqlite"}
        # The bare loop: the same pages as a full sync, fetched and parsed, nothing else.
        started = time.perf_counter()
        with WhmcsClient(url, DEFAULT_IDENTIFIER, DEFAULT_SECRET) as api:
            offset = 0
            rows = 0
            while True:
                page = api.get_invoices(limitstart=offset, limitnum=args.step)
                rows += page.returned
                offset += page.returned
                if page.returned < args.step or offset >= page.total:
                    break
            report["bare_loop"] = {"seconds": round(time.perf_counter() - started, 2),
                                   "requests": api.requests_made, "rows": rows}

        system = AccountingSystem(name="bench", url=url, identifier=DEFAULT_IDENTIFIER,
                                  step=args.step)
        system.set_secret(DEFAULT_SECRET)
        system.save()
        for label, mode in (("full_sync", "full"), ("full_sync_unchanged", "full"),
                            ("no_change_sync", "incremental")):
            started = time.perf_counter()
            run = run_sync(system, mode, "cli")
            report[label] = {
                "seconds": round(time.perf_counter() - started, 2), "requests": run.requests,
                "status": run.status, "inserted": run.inserted, "updated": run.updated,
                "removed": run.removed, "peak_rss_mb": round(_peak_rss_mb(), 1),
            }
            if run.status != "succeeded":
                report[label]["error"] = run.error_message
        report["full_over_bare"] = round(
            report["full_sync"]["seconds"] / max(report["bare_loop"]["seconds"], 1e-9), 2)
        print(json.dumps(report, indent=2))
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
