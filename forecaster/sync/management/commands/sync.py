"""forecaster sync SYSTEM [--full] | forecaster sync --auto

Runs a sync in the foreground: a progress bar on a terminal, one summary line otherwise.
Exits 1 with a one-line reason on standard error when a sync fails or is already running.
SIGTERM or Ctrl-C stops between two steps; the run is marked interrupted and a later full
sync continues from its last completed step.
"""

from __future__ import annotations

import signal
import sys
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from forecaster.sync.engine import AlreadyRunning, run_sync, summary
from forecaster.sync.models import SyncRun
from forecaster.sync.schedule import auto_mode
from forecaster.systems import lookup
from forecaster.systems.models import AccountingSystem


def find_system(ref: str) -> AccountingSystem:
    """A system by id or exact name; ``CommandError`` if none."""
    system = lookup.find_system(ref)
    if system is None:
        raise CommandError(f"no accounting system with id or name {ref!r} (see: forecaster systems list)")
    return system


class Command(BaseCommand):
    help = "Synchronize a system's paid invoices (Sync, or Full sync with --full)."

    def add_arguments(self, parser):
        parser.add_argument("system", nargs="?", help="The system's id or exact name.")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Full sync: re-read every paid invoice (continues an interrupted one).",
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="With --full: start over instead of continuing an interrupted full sync.",
        )
        parser.add_argument(
            "--auto",
            action="store_true",
            help="Sync every system with automatic synchronization on (for cron/systemd).",
        )

    def handle(self, *args, system: str | None, full: bool, restart: bool, auto: bool, **options):
        if auto == bool(system):
            raise CommandError("give either SYSTEM or --auto")
        stop = threading.Event()
        restore = self._install_signals(stop)
        try:
            self._run(system, full, restart, auto, stop)
        except DatabaseError as exc:
            # A full disk, a lock held past the busy timeout, a lost PostgreSQL connection: say
            # it in one line. The data already imported is intact (every page is a transaction).
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(
                f"the database refused the sync ({first_line}); nothing already imported was lost. "
                "Check free disk space and that no other program holds the database, then run "
                "the sync again."
            ) from None
        finally:
            restore()

    def _run(self, system: str | None, full: bool, restart: bool, auto: bool, stop: threading.Event) -> None:
        if auto:
            systems = list(AccountingSystem.objects.filter(auto_sync=True))
            targets = [(s, auto_mode(s)) for s in systems]
            if not targets:
                self.stdout.write("No system has automatic synchronization on.")
                return
        else:
            target = find_system(system)
            targets = [(target, SyncRun.Mode.FULL if full else SyncRun.Mode.INCREMENTAL)]
        failures = []
        for target, mode in targets:
            if stop.is_set():
                break
            try:
                run = run_sync(
                    target,
                    mode,
                    SyncRun.Trigger.CLI if not auto else SyncRun.Trigger.SCHEDULE,
                    on_progress=self._progress_for(target),
                    stop=stop,
                    resume=not restart,
                )
            except AlreadyRunning as exc:
                failures.append(str(exc))
                continue
            self._end_progress()
            line = f"{target.name}: {summary(run)}"
            if run.status == SyncRun.Status.SUCCEEDED:
                self.stdout.write(line)
            else:
                failures.append(line)
        if failures:
            if len(failures) > 1:
                for line in failures[:-1]:
                    self.stderr.write(line)
            raise CommandError(failures[-1])

    # --- progress -------------------------------------------------------------------------------

    def _progress_for(self, system: AccountingSystem):
        self._bar_shown = False
        if not self.stdout.isatty():
            return None

        def show(run: SyncRun) -> None:
            total = run.steps_total or 0
            width = 30
            done = min(run.step, total) if total else 0
            filled = int(width * done / total) if total else 0
            bar = "#" * filled + "-" * (width - filled)
            of = f" of {total}" if total else ""
            self.stdout.write(
                f"\r{system.name}: [{bar}] step {run.step}{of}, {run.inserted} new, {run.removed} removed ",
                ending="",
            )
            self.stdout.flush()
            self._bar_shown = True

        return show

    def _end_progress(self) -> None:
        if getattr(self, "_bar_shown", False):
            self.stdout.write("")
            self._bar_shown = False

    @staticmethod
    def _install_signals(stop: threading.Event):
        """SIGTERM (and Ctrl-C on a terminal) stop between steps; returns the undo."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def handler(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, handler)
        if sys.stdin is not None and sys.stdin.isatty():
            signal.signal(signal.SIGINT, handler)

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore
