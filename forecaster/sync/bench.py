"""Measure the sync engine against the sandbox WHMCS (a separate process, over loopback).

    python -m forecaster.sync.bench --invoices 100000 --step 100 [--port 8799] [--db URL]
                                    [--ahead 2] [--skip-unchanged]

Prints one JSON object. The sandbox runs in a process of its own (so it never shares a GIL
with what is measured) and is steered through a pipe. Phases, each with wall time, CPU time of
this process, API requests (counted by the sandbox) and this process's peak RSS so far:

- ``bare_loop``: the same pages a full sync reads, fetched and parsed, nothing stored — the
  floor. Measured before and after the syncs (``bare_loop_after``); the ratio uses their mean,
  because a shared machine's load moves between the two.
- ``full_sync``: a full sync of an empty copy; ``full_sync_unchanged``: a second one (nothing
  changed remotely); ``no_change_sync``: a Sync right after; ``new_1000_sync``: a Sync after
  the sandbox added 1 000 Paid invoices.
- ``full_over_bare``: full sync / mean bare loop (the product bar: ≤ 1.3).

``--ahead`` sets how many full-sync page requests are in flight (``engine.AHEAD``; 1 = one page
prefetched while the previous is written). Uses a throw-away SQLite data directory unless
``--db`` names a database.
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
from collections.abc import Callable
from typing import Any


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Sandbox:
    """The sandbox child process (``--serve`` mode of this module), one command per line."""

    def __init__(self, port: int, invoices: int, seed: int, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "forecaster.sync.bench",
                "--serve",
                "--port",
                str(port),
                "--invoices",
                str(invoices),
                "--seed",
                str(seed),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("ready "):
            raise SystemExit("the sandbox did not start")
        self.url = line.split()[1]

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _serve(port: int, invoices: int, seed: int) -> int:
    """Child mode: serve the sandbox; answer ``count``, ``reset`` and ``add N`` on stdin."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    import django

    django.setup()
    from forecaster.sandbox.api import AccessPolicy
    from forecaster.sandbox.data import DatasetSpec, generate
    from forecaster.sandbox.server import SandboxServer

    state = generate(DatasetSpec(invoices=invoices, seed=seed))
    server = SandboxServer(state, policy=AccessPolicy(ban_after=0), port=port)
    server.start()
    print(f"ready {server.url}", flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if words == ["count"]:
                answer = str(server.requests.count)
            elif words == ["reset"]:
                server.requests.clear()
                answer = "ok"
            elif len(words) == 2 and words[0] == "add":
                for _ in range(int(words[1])):
                    state.add_invoice(status="Paid", subtotal="19.95", taxrate="23")
                answer = "ok"
            else:
                answer = "error"
            print(answer, flush=True)
    finally:
        server.stop()
    return 0


def _measure(sandbox: _Sandbox, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    sandbox.ask("reset")
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    result.update(
        seconds=round(time.perf_counter() - wall, 2),
        cpu_seconds=round(time.process_time() - cpu, 2),
        requests=int(sandbox.ask("count")),
        peak_rss_mb=round(_peak_rss_mb(), 1),
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ahead", type=int, default=None, help="page requests in flight")
    parser.add_argument("--skip-unchanged", action="store_true", help="leave out the second full sync")
    parser.add_argument("--db", default="", help="DATABASE_URL (default: SQLite in a temp dir)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return _serve(args.port, args.invoices, args.seed)

    data_dir = tempfile.mkdtemp(prefix="forecaster-bench-")
    os.environ["FORECASTER_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    os.environ["FORECASTER_LOG_LEVEL"] = "WARNING"
    if args.db:
        os.environ["DATABASE_URL"] = args.db
    sandbox = _Sandbox(
        args.port, args.invoices, args.seed, {**os.environ, "FORECASTER_DATA_DIR": data_dir + "-sandbox"}
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from forecaster.sandbox.api import DEFAULT_IDENTIFIER, DEFAULT_SECRET
        from forecaster.sync import engine
        from forecaster.sync.engine import run_sync
        from forecaster.systems.models import AccountingSystem
        from forecaster.systems.whmcs.client import WhmcsClient

        if args.ahead is not None:
            engine.AHEAD = max(1, args.ahead)
        call_command("migrate", verbosity=0)
        url = sandbox.url

        def bare() -> dict[str, Any]:
            # The floor: the same pages as a full sync, fetched and parsed, nothing else.
            with WhmcsClient(url, DEFAULT_IDENTIFIER, DEFAULT_SECRET) as api:
                offset = rows = 0
                while True:
                    page = api.get_invoices(limitstart=offset, limitnum=args.step)
                    rows += page.returned
                    offset += page.returned
                    if page.returned < args.step or offset >= page.total:
                        break
            return {"rows": rows}

        report: dict[str, Any] = {
            "invoices": args.invoices,
            "step": args.step,
            "database": "postgresql" if args.db else "sqlite",
            "ahead": engine.AHEAD,
            "cpus": os.cpu_count(),
        }
        report["bare_loop"] = _measure(sandbox, bare)

        system = AccountingSystem(name="bench", url=url, identifier=DEFAULT_IDENTIFIER, step=args.step)
        system.set_secret(DEFAULT_SECRET)
        system.save()

        def sync(mode: str) -> Callable[[], dict[str, Any]]:
            def action() -> dict[str, Any]:
                run = run_sync(system, mode, "cli")
                out = {
                    "status": run.status,
                    "inserted": run.inserted,
                    "updated": run.updated,
                    "removed": run.removed,
                    "engine_requests": run.requests,
                }
                if run.status != "succeeded":
                    out["error"] = run.error_message
                return out

            return action

        phases = [("full_sync", "full"), ("full_sync_unchanged", "full"), ("no_change_sync", "incremental")]
        for label, mode in phases:
            if label == "full_sync_unchanged" and args.skip_unchanged:
                continue
            report[label] = _measure(sandbox, sync(mode))
        sandbox.ask("add 1000")
        report["new_1000_sync"] = _measure(sandbox, sync("incremental"))
        report["bare_loop_after"] = _measure(sandbox, bare)
        floor = (report["bare_loop"]["seconds"] + report["bare_loop_after"]["seconds"]) / 2
        report["full_over_bare"] = round(report["full_sync"]["seconds"] / max(floor, 1e-9), 2)
        if "full_sync_unchanged" in report:
            report["unchanged_over_bare"] = round(
                report["full_sync_unchanged"]["seconds"] / max(floor, 1e-9), 2
            )
        print(json.dumps(report, indent=2))
        return 0
    finally:
        sandbox.close()


if __name__ == "__main__":
    raise SystemExit(main())
