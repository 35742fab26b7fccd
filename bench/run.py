"""``make bench``: measure the product against its baselines and write BENCHMARKS.md.

    python -m bench.run --sizes 100000,1000000 --output BENCHMARKS.md [--step 100]

For each size N the WHMCS sandbox runs in a process of its own (N invoices, seed 1) on
loopback, and every measured program runs as a separate process on a fresh data directory:

1. **floor** — ``bench.bare_fetch``: the same pages a full sync reads (status=Paid, by id,
   Step per request), parsed and thrown away; measured before and after the sync, averaged.
2. **full sync** — ``forecaster sync ID --full`` on an empty copy: wall time, API requests,
   peak RSS of that process alone (GNU time).
3. **nothing new** — ``forecaster sync ID`` right after: requests and time.
4. **1 000 new** — the sandbox adds 1 000 paid invoices, then ``forecaster sync ID``.
5. **latency** — ``bench.costs_seed`` adds N/10 cost invoices, then ``bench.latency``: the
   monthly revenue report over all systems, the costs report (by year, month, day,
   counterparty, commitment, tag) and the result report (by year, month, day), and the systems
   list, revenue/costs/result reports, dashboard and JSON API over real HTTP (``forecaster serve``).
6. **original** — ``bench.baseline`` on another empty copy: the original module's algorithm
   (delete all, one autocommitted INSERT per invoice); only up to ``ORIGINAL_MAX`` invoices,
   since it takes about eight minutes per million and its ratio no longer changes.

With ``DATABASE_URL`` set to a PostgreSQL server (``scripts/with-postgres.sh`` does this in
``make bench``), the full sync and the latency are measured on PostgreSQL too, in a database
created per size. Benchmarks are not tests: nothing fails on a slow machine; figures are
ratios against baselines measured in the same run. ``--smoke`` runs a tiny size with few
repetitions, so the fault suite can keep these scripts working.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.harness import (
    FORECASTER,
    PROJECT_DIR,
    LiveService,
    SandboxProcess,
    child_env,
    forecaster,
)

ADMIN, PASSWORD = "bench-admin", "Bench-Password-7731"
TARGET_RATIO, TARGET_REQUESTS, TARGET_MS, TARGET_RSS_MB = 1.3, 3, 100, 150
OUTLOOK_TARGET_MS = 300
TARGET_RATIO_PG = 1.5
# Across a network: milliseconds the sandbox adds to every answer, the "parallel requests"
# measured, and the target ratio to the sequential floor for some of them.
NETWORK_MS = 20
PARALLEL = (1, 2, 4, 8)
TARGET_PARALLEL = {4: 0.35, 8: 0.2}
# The original algorithm is measured up to this size only (one INSERT committed per invoice:
# about eight minutes per million invoices, and its ratio to ours is already told at 100 000).
ORIGINAL_MAX = 100_000


@dataclass
class Timed:
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    returncode: int


GNU_TIME = "/usr/bin/time"


def run_timed(args: list[str], env: dict[str, str]) -> Timed:
    """Run a child to completion: its wall time and its own peak RSS.

    The peak comes from GNU time (``%M``), which forks the child from its own small process:
    Linux counts the forking process's peak into a child's ``ru_maxrss``, so reading rusage
    here would report at least this runner's own peak. Without /usr/bin/time, ``wait4``'s
    rusage is used (an upper bound).
    """
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
    ):
        gnu_time = os.access(GNU_TIME, os.X_OK)
        command = [GNU_TIME, "-f", "%M", "-o", rss.name, *args] if gnu_time else args
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, env=env, cwd=PROJECT_DIR, stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_kb = usage.ru_maxrss
        if gnu_time:
            lines = [line for line in rss.read().split() if line.isdigit()]
            peak_kb = int(lines[-1]) if lines else peak_kb
        out.seek(0)
        err.seek(0)
        return Timed(seconds, peak_kb / 1024, out.read(), err.read(), proc.returncode)


def must(result: Timed, what: str) -> Timed:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return result


class Installation:
    """A data directory (SQLite, or a PostgreSQL database) with one system and an admin."""

    def __init__(self, root: Path, sandbox: SandboxProcess, step: int, database_url: str = "") -> None:
        self.data_dir = root
        self.env = child_env(root, database_url or None)
        forecaster(["migrate", "--no-input", "-v", "0"], self.env, check=True)
        done = forecaster(
            ["systems", "add", "whmcs", "--name", "Bench WHMCS", "--url", sandbox.url,
             "--identifier", sandbox.identifier, "--step", str(step), "--no-auto-sync"],
            self.env, input=sandbox.secret + "\n", check=True,
        )  # fmt: skip
        self.system_id = done.stdout.strip().splitlines()[-1]
        forecaster(["createadmin", "--username", ADMIN], self.env, input=PASSWORD + "\n", check=True)

    def set_parallel(self, parallel: int) -> None:
        forecaster(
            ["systems", "edit", self.system_id, "--parallel-requests", str(parallel)], self.env, check=True
        )

    def sync(self, full: bool) -> Timed:
        args = [*FORECASTER, "sync", self.system_id] + (["--full"] if full else [])
        return must(run_timed(args, self.env), f"sync {'--full' if full else ''}")

    def last_run_seconds(self) -> float:
        """How long the last sync run itself took (its SyncRun's start to finish)."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.dbtool", "runs"],
            env=self.env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])[-1]["seconds"]

    def latency(self, repeat: int, costs: int = 0) -> dict:
        if costs:  # cost invoices beside the revenue, for the costs and result reports
            must(
                run_timed([sys.executable, "-m", "bench.costs_seed", "--count", str(costs)], self.env),
                "costs seed",
            )
        token = subprocess.run(
            [sys.executable, "-m", "tests.dbtool", "issue-token", "bench"],
            env=self.env, cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        with LiveService(self.data_dir, database_url=self.env.get("DATABASE_URL"), worker=False) as web:
            done = must(run_timed(
                [sys.executable, "-m", "bench.latency", "--pages-url", web.url, "--username", ADMIN,
                 "--password", PASSWORD, "--token", token, "--repeat", str(repeat)], self.env,
            ), "latency")  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])


def bare(sandbox: SandboxProcess, step: int) -> dict:
    done = must(run_timed(
        [sys.executable, "-m", "bench.bare_fetch", "--url", sandbox.url, "--identifier",
         sandbox.identifier, "--secret", sandbox.secret, "--step", str(step)], child_env(Path("/tmp")),
    ), "bare fetch")  # fmt: skip
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall_seconds"] = done.seconds
    figures["peak_rss_mb"] = done.peak_rss_mb
    return figures


def counted(sandbox: SandboxProcess, action) -> tuple[Timed, int]:
    sandbox.command("reset-count")
    result = action()
    return result, sandbox.request_count


def create_pg_database(base_url: str, name: str) -> str:
    """A fresh database on the server of ``base_url``; returns its URL."""
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def measure_parallel(sandbox: SandboxProcess, site: Installation, step: int) -> dict:
    """Full syncs with 1, 2, 4, 8 parallel requests against a sandbox answering each request
    ``NETWORK_MS`` late, and the sequential floor against the same sandbox."""
    sandbox.command(f"latency {NETWORK_MS}")
    try:
        floor = bare(sandbox, step)
        result: dict = {"latency_ms": NETWORK_MS, "floor": floor, "syncs": {}}
        for parallel in PARALLEL:
            print(f"[bench]   full sync at {NETWORK_MS} ms, {parallel} parallel", flush=True)
            site.set_parallel(parallel)
            done, requests = counted(sandbox, lambda: site.sync(full=True))
            result["syncs"][str(parallel)] = {
                "seconds": done.seconds,
                "run_seconds": site.last_run_seconds(),
                "requests": requests,
                "peak_rss_mb": done.peak_rss_mb,
            }
    finally:
        sandbox.command("latency 0")
        site.set_parallel(2)
    return result


def measure_original(sandbox: SandboxProcess, site: Installation) -> dict:
    print("[bench]   original algorithm", flush=True)
    command = [sys.executable, "-m", "bench.baseline", site.system_id]
    original, requests = counted(sandbox, lambda: must(run_timed(command, site.env), "baseline"))
    return {"seconds": original.seconds, "requests": requests, "peak_rss_mb": original.peak_rss_mb}


def measure_size(
    n: int, step: int, repeat: int, work: Path, pg_url: str, smallest: int, original_max: int
) -> dict:
    result: dict = {"invoices": n, "step": step}
    print(f"[bench] {n:,} invoices: starting the sandbox", flush=True)
    with SandboxProcess(n, seed=1) as sandbox:
        result["paid"] = int(sandbox.command("paid"))
        floor_before = bare(sandbox, step)

        print("[bench]   full sync (SQLite)", flush=True)
        site = Installation(work / f"sqlite-{n}", sandbox, step)
        full, full_requests = counted(sandbox, lambda: site.sync(full=True))
        floor_after = bare(sandbox, step)
        floor = (floor_before["wall_seconds"] + floor_after["wall_seconds"]) / 2
        result["floor"] = {
            "seconds": floor,
            "requests": floor_before["requests"],
            "runs": [floor_before["wall_seconds"], floor_after["wall_seconds"]],
            "peak_rss_mb": floor_before["peak_rss_mb"],
        }
        result["floor"]["loop_seconds"] = (floor_before["seconds"] + floor_after["seconds"]) / 2
        result["full"] = {
            "seconds": full.seconds,
            "requests": full_requests,
            "run_seconds": site.last_run_seconds(),
            "peak_rss_mb": full.peak_rss_mb,
            "summary": full.stdout.strip(),
        }

        print("[bench]   nothing-new sync, 1 000 new", flush=True)
        same, same_requests = counted(sandbox, lambda: site.sync(full=False))
        result["nothing_new"] = {
            "seconds": same.seconds,
            "requests": same_requests,
            "pipeline_requests": int(sandbox.command("count-unpaid")),
            "summary": same.stdout.strip(),
        }
        sandbox.command("add 1000")
        new, new_requests = counted(sandbox, lambda: site.sync(full=False))
        result["new_1000"] = {"seconds": new.seconds, "requests": new_requests, "summary": new.stdout.strip()}

        if n == smallest:
            result["network"] = measure_parallel(sandbox, site, step)

        print("[bench]   latency (SQLite)", flush=True)
        result["latency_sqlite"] = site.latency(repeat, costs=n // 10)

        if n <= original_max:
            result["original"] = measure_original(
                sandbox, Installation(work / f"original-{n}", sandbox, step)
            )

        if pg_url:
            print("[bench]   full sync and latency (PostgreSQL)", flush=True)
            db_url = create_pg_database(pg_url, f"bench_{n}")
            pg_site = Installation(work / f"pg-{n}", sandbox, step, database_url=db_url)
            pg_full, pg_requests = counted(sandbox, lambda: pg_site.sync(full=True))
            result["full_pg"] = {
                "seconds": pg_full.seconds,
                "requests": pg_requests,
                "run_seconds": pg_site.last_run_seconds(),
                "peak_rss_mb": pg_full.peak_rss_mb,
            }
            pg_floor = bare(sandbox, step)
            result["full_pg"]["floor"] = {
                "wall_seconds": pg_floor["wall_seconds"],
                "loop_seconds": pg_floor["seconds"],
            }
            result["latency_pg"] = pg_site.latency(repeat, costs=n // 10)
    return result


def machine() -> dict:
    mem_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    ).stdout.strip()
    pg = ""
    if os.environ.get("PG_BIN"):
        pg = subprocess.run(
            [os.environ["PG_BIN"] + "/postgres", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(),
        "commit": commit,
        "postgresql": pg,
    }


# --- the report ---------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "meets" if ok else "**misses**"


def sandbox_speed(generate_count: int, dataset: int) -> dict:
    """The sandbox's own speed (``bench.sandbox_speed``), in a process of its own."""
    command = [sys.executable, "-m", "bench.sandbox_speed"]
    command += ["--generate", str(generate_count), "--dataset", str(dataset)]
    env = child_env(Path(tempfile.gettempdir()) / "forecaster-bench-unused")
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _latency_target(name: str) -> float | None:
    """The target of a latency figure: the outlook's 300 ms, every report's and page's 100 ms;
    none for the cold fit, which no page waits for once a fit is kept."""
    if name == "outlook_12_cold_fit":
        return None
    if "outlook" in name:
        return OUTLOOK_TARGET_MS
    return TARGET_MS


def render(results: list[dict], info: dict, command: str, sandbox: dict | None) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand. Every speed figure is a",
        "ratio against a baseline measured in the same run, on the same machine, against the same",
        "WHMCS sandbox (its own process, on loopback). Benchmarks are not tests: nothing fails on a",
        "slow machine.",
        "",
        f"- **Command:** `{command}`",
        f"- **Date:** {info['date']} · commit `{info['commit']}`",
        f"- **Machine:** {info['cpus']} CPUs ({info['cpu']}), {info['memory_gib']} GiB memory, {info['os']}",
        f"- **Software:** Python {info['python']}, SQLite {info['sqlite']}"
        + (f", {info['postgresql']}" if info["postgresql"] else ""),
        f"- **Sandbox:** seed 1; Step {results[0]['step']} (the product's default) for every sync and floor",
        "",
        "## Full sync against the floor and the original",
        "",
        "The *floor* fetches the same pages with one keep-alive HTTP client and parses them, and",
        "nothing else: no sequential importer can be faster against this server. The *original* is",
        "the original module's algorithm (delete all, one INSERT committed per invoice), ported in",
        "`bench/baseline.py`, measured up to "
        f"{max((r['invoices'] for r in results if 'original' in r), default=0):,} invoices (about eight"
        " minutes per million). Times are wall-clock of the",
        "whole process, start-up included.",
        "",
        "| Invoices (paid) | Floor | Full sync | Ratio to floor (target ≤ 1.3) | Original "
        "| Original ÷ ours | Requests (sync / floor) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = r["full"]["seconds"] / r["floor"]["seconds"]
        original, speedup = "not measured", "—"
        if "original" in r:
            original = f"{r['original']['seconds']:.1f} s"
            speedup = f"{r['original']['seconds'] / r['full']['seconds']:.1f}×"
        lines.append(
            f"| {r['invoices']:,} ({r['paid']:,}) | {r['floor']['seconds']:.1f} s "
            f"| {r['full']['seconds']:.1f} s "
            f"| **{ratio:.2f}×** ({_verdict(ratio <= TARGET_RATIO)}) | {original} "
            f"| {speedup} | {r['full']['requests']:,} / {r['floor']['requests']:,} |"
        )
    lines += [
        "",
        "Without process start-up (Python, Django, imports): the sync run's own duration (its",
        "`SyncRun` start to finish) against the floor's fetch loop alone.",
        "",
        "| Invoices | Floor loop | Sync run | Ratio |",
        "|---|---|---|---|",
    ]
    for r in results:
        loop, run = r["floor"]["loop_seconds"], r["full"]["run_seconds"]
        lines.append(f"| {r['invoices']:,} | {loop:.2f} s | {run:.2f} s | {run / loop:.2f}× |")
    lines += [
        "",
        "Floor runs (before and after the sync): "
        + "; ".join(
            f"{r['invoices']:,}: " + ", ".join(f"{s:.1f} s" for s in r["floor"]["runs"]) for r in results
        )
        + ".",
        "",
        "## Peak memory of a full sync",
        "",
        "Peak resident set size of the `forecaster sync --full` process alone (GNU time's `%M`),",
        f"target < {TARGET_RSS_MB} MB and flat as N grows.",
        "",
        "| Invoices | Full sync peak RSS | Floor process peak RSS | Original peak RSS |",
        "|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['invoices']:,} | **{r['full']['peak_rss_mb']:.0f} MB** "
            f"({_verdict(r['full']['peak_rss_mb'] < TARGET_RSS_MB)}) | {r['floor']['peak_rss_mb']:.0f} MB "
            + (f"| {r['original']['peak_rss_mb']:.0f} MB |" if "original" in r else "| not measured |")
        )
    lines += [
        "",
        "## Sync with nothing new, and with 1 000 new invoices",
        "",
        "`forecaster sync ID` right after the full sync, then after the sandbox added 1 000 paid",
        "invoices. Requests counted by the sandbox. Target: ≤ 3 requests with nothing new. Every",
        "sync also reads the unpaid invoices due from this month on (the forecast's pipeline); with",
        "nothing new only its first page, kept when it and the count match the last whole read (a",
        "whole read, Step rows per request, follows any change). Its requests are counted apart.",
        "",
        "| Invoices held | Nothing new: requests | of which the unpaid pipeline | time "
        "| 1 000 new: requests | time |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['paid']:,} | **{r['nothing_new']['requests']}** "
            f"({_verdict(r['nothing_new']['requests'] <= TARGET_REQUESTS)}) "
            f"| {r['nothing_new'].get('pipeline_requests', '—')} "
            f"| {r['nothing_new']['seconds']:.2f} s "
            f"| {r['new_1000']['requests']} | {r['new_1000']['seconds']:.2f} s |"
        )
    lines += [
        "",
        "(Times are of the whole `forecaster sync` process, about half of which is Python and",
        "Django start-up.)",
        "",
        "## Report and page latency",
        "",
        "Median / 95th percentile over repeated requests after one warm-up. `report_month_all` is",
        "the monthly revenue report over all systems (`reports.queries.revenue`, in process);",
        "the pages are real HTTP GETs against `forecaster serve`, logged in. Target < 100 ms; the",
        "outlook < 300 ms. `outlook_12_cold_fit` fits every revenue model (no page waits for it once a",
        "fit is kept: it is reused until the history changes and redone in the background after a",
        "sync); `outlook_12` reads the kept fit. No target for the cold fit.",
        "",
    ]
    engines = [("latency_sqlite", "SQLite")] + (
        [("latency_pg", "PostgreSQL")] if any("latency_pg" in r for r in results) else []
    )
    names = list(results[0]["latency_sqlite"])
    header = (
        "| What | "
        + " | ".join(f"{label} {r['invoices']:,}" for key, label in engines for r in results if key in r)
        + " |"
    )
    lines += [header, "|---|" + "---|" * (header.count("|") - 2)]
    for name in names:
        cells = []
        for key, _label in engines:
            for r in results:
                if key in r and name in r[key]:
                    figure = r[key][name]
                    target = _latency_target(name)
                    mark = "" if target is None or figure["median_ms"] < target else " **(misses)**"
                    cells.append(f"{figure['median_ms']:.1f} / {figure['p95_ms']:.1f} ms{mark}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if any("full_pg" in r for r in results):
        lines += [
            "",
            "## Full sync on PostgreSQL",
            "",
            "The same sync on PostgreSQL (durable settings: fsync on), against the floor measured in",
            "the same run (the mean of the two floor runs around the SQLite sync and one right after",
            "this sync). The run's own duration is against the floor's fetch loop alone.",
            "",
            f"| Invoices | Floor | Full sync | Ratio to floor (target ≤ {TARGET_RATIO_PG}) | Sync run "
            "| Ratio to the floor loop | Peak RSS |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in results:
            if "full_pg" in r:
                pg = r["full_pg"]
                floor = (sum(r["floor"]["runs"]) + pg["floor"]["wall_seconds"]) / 3
                loop = (2 * r["floor"]["loop_seconds"] + pg["floor"]["loop_seconds"]) / 3
                ratio = pg["seconds"] / floor
                lines.append(
                    f"| {r['invoices']:,} | {floor:.1f} s | {pg['seconds']:.1f} s "
                    f"| **{ratio:.2f}×** ({_verdict(ratio <= TARGET_RATIO_PG)}) | {pg['run_seconds']:.2f} s "
                    f"| {pg['run_seconds'] / loop:.2f}× | {pg['peak_rss_mb']:.0f} MB |"
                )
    network = [r for r in results if "network" in r]
    if network:
        r = network[0]
        net = r["network"]
        floor = net["floor"]["wall_seconds"]
        lines += [
            "",
            f"## Across a network: {net['latency_ms']:.0f} ms per request, parallel requests",
            "",
            f"The sandbox answers every request {net['latency_ms']:.0f} ms late, as a WHMCS across a",
            f"network does; {r['invoices']:,} invoices, SQLite. The floor is the sequential loop (one",
            "request at a time) against the same sandbox; the sync runs with the system's",
            "*parallel requests* set to each value in turn.",
            "",
            f"| Parallel requests | Full sync | Ratio to the sequential floor ({floor:.1f} s) | Target "
            "| Requests | Peak RSS |",
            "|---|---|---|---|---|---|",
        ]
        for parallel, sync in net["syncs"].items():
            ratio = sync["seconds"] / floor
            target = TARGET_PARALLEL.get(int(parallel))
            verdict = f"≤ {target} ({_verdict(ratio <= target)})" if target else "—"
            lines.append(
                f"| {parallel} | {sync['seconds']:.1f} s | **{ratio:.2f}×** | {verdict} "
                f"| {sync['requests']:,} | {sync['peak_rss_mb']:.0f} MB |"
            )
    if sandbox is None:
        lines += ["", "*(Partial: written after each size; the run has not finished.)*"]
        sandbox = {}
    if sandbox:
        lines += [
            "",
            "## The sandbox itself",
            "",
            "The WHMCS sandbox must not be what these figures measure"
            " (`bench/sandbox_speed.py`, in process).",
            "",
            f"- Generating {sandbox['generate_invoices']:,} invoices:"
            f" **{sandbox['generate_seconds']:.1f} s**"
            f" (target ≤ 10 s for the million-invoice run)",
            f"- One page of 100 from {sandbox['page_dataset']:,} invoices:"
            f" **{sandbox['page_median_ms']:.1f} ms**"
            f" median, {sandbox['page_p95_ms']:.1f} ms 95th percentile (target < 20 ms)",
        ]
    lines += ["", "## Raw figures", "", "```json", json.dumps(results, indent=1), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated invoice counts")
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30, help="latency samples per figure")
    parser.add_argument("--output", default="BENCHMARKS.md")
    parser.add_argument(
        "--original-max", type=int, default=ORIGINAL_MAX, help="largest size the original algorithm runs at"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny run that only checks the scripts")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    repeat = 3 if args.smoke else args.repeat
    pg_url = os.environ.get("DATABASE_URL", "")
    if pg_url and not pg_url.startswith("postgres"):
        pg_url = ""
    command = "make bench" if len(sizes) > 1 else "make bench-quick"
    if args.smoke:
        command = "python -m bench.run --smoke"
    started = time.monotonic()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="forecaster-bench-") as work:
        for n in sizes:
            results.append(
                measure_size(n, args.step, repeat, Path(work), pg_url, min(sizes), args.original_max)
            )
            # Keep what is measured so far: a size that fails later loses only its own figures.
            Path(args.output).write_text(render(results, machine(), command, None), encoding="utf-8")
    print("[bench] the sandbox's own speed", flush=True)
    speed = sandbox_speed(max(sizes), min(sizes))
    info = machine()
    text = render(results, info, command, speed)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"[bench] wrote {args.output} in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
