"""Run the real programs for the quality suites: the service, the sandbox and the CLI.

The browser tests, the fault-injection suite and the benchmarks drive the product the way an
operator does — as separate processes talking over loopback — so that a SIGKILL is a real
kill, a locked database is really locked by someone else, and a page is served by the real
WSGI server. Every process gets its own data directory (SQLite unless ``database_url`` is
given), so runs never share state.

    with tempfile.TemporaryDirectory() as tmp, LiveService(Path(tmp)) as service:
        service.cli("createadmin", ...)
        httpx.get(service.url + "/healthz")

    with SandboxProcess(invoices=100_000, seed=3) as sandbox:   # in its own process
        sandbox.url, sandbox.identifier, sandbox.secret
        sandbox.command("add 1000")                              # see bench/sandbox_proc.py

``forecaster(...)`` runs one CLI command and returns the finished process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import httpx

PROJECT_DIR = Path(__file__).resolve().parents[1]
FORECASTER = [sys.executable, "-m", "forecaster"]
# The environment variables that would make a child use someone else's data.
_INHERITED_DATA_VARS = ("DATABASE_URL", "FORECASTER_DATA_DIR", "DJANGO_SETTINGS_MODULE")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a child process using ``data_dir`` (and ``database_url`` if given)."""
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_DATA_VARS}
    env["FORECASTER_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("FORECASTER_LOG_LEVEL", "WARNING")
    env.update(extra)
    return env


def forecaster(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    input: str | None = None,  # same name as subprocess.run's
    timeout: float = 600,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``forecaster ARGS`` to completion, capturing its output as text."""
    proc = subprocess.run(
        [*FORECASTER, *args], env=dict(env), input=input if input is not None else "",
        capture_output=True, text=True, timeout=timeout, cwd=PROJECT_DIR,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(
            f"forecaster {' '.join(args)} exited {proc.returncode}\n"
            f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
        )
    return proc


def wait_for_http(
    url: str, proc: subprocess.Popen | None = None, timeout: float = 60, log: Path | None = None
) -> None:
    """Poll ``url`` until it answers (any HTTP status); fail early if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            pass
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered\n{tail}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class LiveService:
    """``forecaster serve`` (web + worker + scheduler) on a free loopback port.

    ``data_dir`` holds its SQLite database and keys (and its log, ``serve.log``).
    """

    def __init__(
        self, data_dir: Path, *, database_url: str | None = None, worker: bool = True, **env: str
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.env = child_env(self.data_dir, database_url, **env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.data_dir / "serve.log"
        self.worker = worker
        self.proc: subprocess.Popen | None = None

    def start(self) -> LiveService:
        args = [*FORECASTER, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not self.worker:
            args.append("--no-worker")
        with self.log_path.open("ab") as log:
            # A new session, so stopping it never signals the test runner's process group.
            self.proc = subprocess.Popen(
                args,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=PROJECT_DIR,
                start_new_session=True,
            )
        wait_for_http(f"{self.url}/healthz", self.proc, timeout=120, log=self.log_path)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def cli(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        """Run a ``forecaster`` command against this service's data."""
        return forecaster(args, self.env, input=input, check=check, timeout=timeout)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def __enter__(self) -> LiveService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SandboxProcess:
    """The WHMCS sandbox in a process of its own (``bench/sandbox_proc.py``).

    A separate process keeps the sandbox's work off the measured process's CPU time and GIL.
    It is steered through its standard input, one command a line (``add N``, ``count``,
    ``reset-count``, ``paid-total``); each answer is one line.
    """

    def __init__(self, invoices: int, *, seed: int = 1, latency_ms: float = 0) -> None:
        self.invoices = invoices
        self.seed = seed
        self.latency_ms = latency_ms
        self.port = free_port()
        self.identifier = "bench-identifier"
        self.secret = "bench-secret-not-real"
        self.url = f"http://127.0.0.1:{self.port}/includes/api.php"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 600) -> SandboxProcess:
        env = {k: v for k, v in os.environ.items() if k not in _INHERITED_DATA_VARS}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sandbox_proc", "--port", str(self.port),
             "--invoices", str(self.invoices), "--seed", str(self.seed),
             "--identifier", self.identifier, "--secret", self.secret,
             "--latency-ms", str(self.latency_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=PROJECT_DIR,
            start_new_session=True,
        )  # fmt: skip
        ready = self._read_line(timeout)
        if not ready.startswith("ready"):
            raise RuntimeError(f"sandbox did not start: {ready!r}")
        return self

    def _read_line(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        # The sandbox answers promptly; a dead one gives EOF, which readline returns as "".
        del timeout
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"sandbox exited with {self.proc.poll()}")
        return line.strip()

    def command(self, text: str, timeout: float = 600) -> str:
        """Send one control command and return its one-line answer."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self._read_line(timeout)

    @property
    def request_count(self) -> int:
        return int(self.command("count"))

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.stdin:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stop_process(self.proc)
            self.proc = None

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fetch_paid(url: str, identifier: str, secret: str, *, page: int = 5000) -> dict[int, dict]:
    """Every Paid invoice the API returns, fetched independently of our sync code.

    ``id → {"subtotal", "tax", "tax2", "total", "credit": Decimal, "date", "invoicenum"}``;
    the ground truth that a finished sync must equal.
    """
    import json

    result: dict[int, dict] = {}
    start = 0
    with httpx.Client(timeout=60) as client:
        while True:
            response = client.post(url, data={
                "action": "GetInvoices", "identifier": identifier, "secret": secret,
                "responsetype": "json", "status": "Paid", "orderby": "id", "order": "asc",
                "limitstart": str(start), "limitnum": str(page),
            })  # fmt: skip
            response.raise_for_status()
            body = json.loads(response.content, parse_float=Decimal)
            invoices = body.get("invoices") or {}
            rows = invoices.get("invoice", []) if isinstance(invoices, dict) else []
            if not rows:
                return result
            for row in rows:
                result[int(row["id"])] = {
                    "subtotal": Decimal(str(row["subtotal"])), "tax": Decimal(str(row["tax"])),
                    "tax2": Decimal(str(row["tax2"])), "total": Decimal(str(row["total"])),
                    "credit": Decimal(str(row["credit"])), "date": row["date"],
                    "invoicenum": row.get("invoicenum", ""),
                }  # fmt: skip
            start += len(rows)
