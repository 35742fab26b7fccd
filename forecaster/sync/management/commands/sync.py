"""forecaster sync SYSTEM [--full] | forecaster sync --auto

Runs a sync in the foreground: a progress bar on a terminal, one summary line otherwise.
Exits 1 with a one-line reason on standard error when a sync fails or is already running.
SIGTERM or Ctrl-C stops between two steps; the run is marked interrupted and a later full
sync continues from its last completed step.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from forecaster.sync.engine import AlreadyRunning, run_sync, summary
from forecaster.sync.models import SyncRun
from forecaster.sync.schedule import auto_mode
from forecaster.systems import lookup
from forecaster.systems.models import AccountingSystem


class ProgressBar:
    """One line on a terminal, redrawn in place; log lines are written above it (``logs_above``)."""

    def __init__(self, out) -> None:  # noqa: ANN001 - Django's OutputWrapper
        self.out = out
        self.text = ""
        self.lock = threading.RLock()

    def show(self, text: str) -> None:
        with self.lock:
            self.text = text
            self.out.write("\r\x1b[K" + text, ending="")
            self.out.flush()

    def clear(self) -> None:
        """Blank the line (a log line is about to be written there)."""
        if self.text:
            self.out.write("\r\x1b[K", ending="")
            self.out.flush()

    def redraw(self) -> None:
        if self.text:
            self.show(self.text)

    def end(self) -> None:
        """Leave the last state on its own line."""
        with self.lock:
            if self.text:
                self.out.write("")
            self.text = ""


class _AboveTheBar(logging.Handler):
    """Wraps a log handler: clears the bar, writes the record, redraws the bar."""

    def __init__(self, inner: logging.Handler, bar: ProgressBar) -> None:
        super().__init__(inner.level)
        self.inner = inner
        self.bar = bar

    def handle(self, record: logging.LogRecord) -> bool:
        with self.bar.lock:
            self.bar.clear()
            try:
                return bool(self.inner.handle(record))
            finally:
                self.bar.redraw()


@contextmanager
def logs_above(bar: ProgressBar | None) -> Iterator[None]:
    """While a progress bar is on the terminal, every log line goes above it, not into it."""
    root = logging.getLogger()
    originals = list(root.handlers)
    if bar is None or not originals:
        yield
        return
    wrapped = [_AboveTheBar(handler, bar) for handler in originals]
    for handler in originals:
        root.removeHandler(handler)
    for handler in wrapped:
        root.addHandler(handler)
    try:
        yield
    finally:
        for handler in wrapped:
            root.removeHandler(handler)
        for handler in originals:
            root.addHandler(handler)


def find_system(ref: str) -> AccountingSystem:
    """A system by id or exact name; ``CommandError`` if none."""
    system = lookup.find_system(ref)
    if system is None:
        raise CommandError(f"no accounting system with id or name {ref!r} (see: forecaster systems list)")
    return system


class Command(BaseCommand):
    help = "Synchronize a system's paid invoices (Sync, or Full sync with --full)."

    def add_arguments(self, parser: CommandParser) -> None:
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

    def handle(
        self, *args: Any, system: str | None, full: bool, restart: bool, auto: bool, **options: Any
    ) -> None:
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
            target = find_system(system or "")  # given: checked against --auto above
            targets = [(target, SyncRun.Mode.FULL if full else SyncRun.Mode.INCREMENTAL)]
        failures = []
        for target, mode in targets:
            if stop.is_set():
                break
            on_progress = self._progress_for(target)
            try:
                with logs_above(self._bar):
                    run = run_sync(
                        target,
                        mode,
                        SyncRun.Trigger.CLI if not auto else SyncRun.Trigger.SCHEDULE,
                        on_progress=on_progress,
                        stop=stop,
                        resume=not restart,
                    )
            except AlreadyRunning as exc:
                failures.append(str(exc))
                continue
            finally:
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

    def _progress_for(self, system: AccountingSystem) -> Callable[[SyncRun], None] | None:
        self._bar = None
        if not self.stdout.isatty():
            return None
        self._bar = bar = ProgressBar(self.stdout)

        def show(run: SyncRun) -> None:
            total = run.steps_total or 0
            width = 30
            done = min(run.step, total) if total else 0
            filled = int(width * done / total) if total else 0
            drawn = "#" * filled + "-" * (width - filled)
            of = f" of {total}" if total else ""
            text = f"{system.name}: [{drawn}] step {run.step}{of}, {run.inserted} new, {run.removed} removed"
            bar.show(text + " ")

        return show

    def _end_progress(self) -> None:
        bar = getattr(self, "_bar", None)
        if bar is not None:
            bar.end()
            self._bar = None

    @staticmethod
    def _install_signals(stop: threading.Event) -> Callable[[], None]:
        """SIGTERM (and Ctrl-C on a terminal) stop between steps; returns the undo."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def handler(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, handler)
        if sys.stdin is not None and sys.stdin.isatty():
            signal.signal(signal.SIGINT, handler)

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore
