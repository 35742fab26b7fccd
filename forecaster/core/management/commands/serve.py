"""forecaster serve: migrate, then the web server + background worker + daily scheduler.

One command runs everything a small installation needs: a production WSGI server (waitress)
for the web UI, a ``db_worker`` subprocess that runs sync jobs, and the daily scheduler loop
(in the worker's company, see ``forecaster.sync.schedule``). Ctrl-C or SIGTERM stops all three.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecaster.core.checks import private_paths
from forecaster.core.server import WebServer
from forecaster.core.staticfiles import collect as collect_static
from forecaster.lib.private_files import tighten


class Command(BaseCommand):
    help = "Migrate the database, then run the web UI, the background worker and the scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--port", type=int, default=8000, help="Port to listen on (0: any free port, printed at start)."
        )
        parser.add_argument("--threads", type=int, default=8, help="Web server threads.")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the background worker and scheduler "
            "(when you run `forecaster db_worker` separately).",
        )

    def _prepare(self, host: str) -> None:
        """Migrate, collect the static files, tighten file modes, run the deploy checks and
        interrupt orphaned runs."""
        call_command("migrate", interactive=False, verbosity=0)
        # Hashed, compressed static files, collected before the web application (WhiteNoise)
        # looks at them.
        collect_static()
        for path in tighten(private_paths()):
            self.stderr.write(f"Made {path} private to this user (it was readable by others).")
        call_command("check", deploy=True, fail_level="ERROR", verbosity=0)
        # Runs a killed process left "running" are interrupted (and resumable), not shown as live.
        from forecaster.sync.recovery import interrupt_orphans

        interrupt_orphans()
        if host not in settings.ALLOWED_HOSTS and host not in ("0.0.0.0", "::"):  # noqa: S104
            settings.ALLOWED_HOSTS.append(host)

    def handle(self, *args: Any, host: str, port: int, threads: int, no_worker: bool, **options: Any) -> None:
        self._prepare(host)
        from forecaster.wsgi import application

        stop = threading.Event()
        children = [] if no_worker else _start_background(port, stop)

        try:
            server = WebServer(application, host=host, port=port, threads=threads)
        except OSError as exc:
            for child in children:
                child.terminate()
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None

        def shutdown(signum: int, frame: FrameType | None) -> None:
            stop.set()  # the server loop notices within a second and closes every connection

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        self.stdout.write(f"Commitment Forecaster is running at http://{shown}:{server.port}/")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}. Press Ctrl-C to stop.")
        self.stdout.flush()
        try:
            server.serve_until(stop)
        finally:
            stop.set()
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            self.stdout.write("Stopped.")


def _start_background(port: int, stop: threading.Event) -> list[subprocess.Popen]:
    """The task worker (a child process) and the daily scheduler (a thread stopped by ``stop``)."""
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "forecaster",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--worker-id",
            f"serve-{port}",
        ]
    )
    scheduler = _scheduler_loop()
    if scheduler is not None:
        threading.Thread(target=scheduler, args=(stop,), daemon=True, name="scheduler").start()
    return [worker]


def _scheduler_loop() -> Callable[..., None] | None:
    """The daily scheduler's loop function, once the sync app provides one."""
    try:
        from forecaster.sync.schedule import run_scheduler
    except ImportError:
        return None
    return run_scheduler
