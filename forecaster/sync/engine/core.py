"""The engine of one run: its state, and the steps a test can drive one at a time.

    engine = Engine(system, run, client)
    engine.prepare_full(); engine.full_step(); engine.switch()     # or engine.full()
    engine.incremental()

Each responsibility is a mixin in its own module: remote reads and prefetch
(:mod:`.fetching`), stage rows and page commits (:mod:`.staging`), the switch (:mod:`.switch`),
the full sync (:mod:`.full`), the cheap sync (:mod:`.cheap`) and the unpaid pipeline
(:mod:`.pipeline`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from forecaster.currency.rates import RateBook
from forecaster.sync.engine.cheap import CheapSync
from forecaster.sync.engine.errors import SyncStopped
from forecaster.sync.engine.fetching import MAX_PARALLEL, Fetching
from forecaster.sync.engine.full import FullSync
from forecaster.sync.engine.heartbeat import Heartbeat
from forecaster.sync.engine.pipeline import Pipeline
from forecaster.sync.engine.staging import Staging, column_adapters, stage_rows_per_statement
from forecaster.sync.engine.switch import Switching
from forecaster.sync.engine.writer import PageWriter
from forecaster.sync.models import SyncRun
from forecaster.systems.models import AccountingSystem
from forecaster.systems.source import InvoiceSource


class Engine(FullSync, CheapSync, Switching, Staging, Fetching, Pipeline):
    """One run's work, as steps a test can drive: ``full_step()``, ``switch()``, ``incremental()``."""

    def __init__(
        self,
        system: AccountingSystem,
        run: SyncRun,
        client: InvoiceSource,
        *,
        on_progress: Callable[[SyncRun], None] | None = None,
        stop: threading.Event | None = None,
        prefetch: bool = True,
    ) -> None:
        self.system = system
        self.run = run
        self.client = client
        self.on_progress = on_progress
        self.stop = stop
        self.prefetch = prefetch
        self.size = max(1, int(system.step))
        # Page requests in flight at once (the system's setting, 1 to MAX_PARALLEL).
        self.parallel = min(MAX_PARALLEL, max(1, int(system.parallel_requests or 1)))
        self.rates = RateBook(system)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.totals: set[int] = set()
        # Database adapters; on SQLite the stage rows go through the driver's own cursor.
        self._adapt_date, self._adapt_datetime = column_adapters()
        self._plain_text = connection.vendor == "sqlite"
        # PostgreSQL: new stage rows through COPY (psycopg's copy API).
        self._copy = connection.vendor == "postgresql"
        self._stage_sql_cache: dict[int, str] = {}
        self._batch = stage_rows_per_statement()
        self._resumed = False  # set by prepare_full when it continues an interrupted stage
        self._pool: ThreadPoolExecutor | None = None
        self._ahead: deque[tuple[tuple, Future]] = deque()  # requests in flight, oldest first
        self._first_request: int | None = None
        self._last_total: int | None = None
        self._last_read: int | None = None  # the last id of the page committed last
        self._stale_pages = 0  # full pages in a row without a new id
        self._writer: PageWriter | None = None  # commits a full sync's pages in its own thread
        self._committed: dict[str, int] | None = None  # the checkpoint of the last page committed
        self._staged_tail: tuple | None = None  # the staged row with the highest id, as written
        self.heartbeat: Heartbeat | None = None  # set by run_sync: claim and Cancel checks

    def _check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise SyncStopped()
        if self.heartbeat is not None:
            self.heartbeat.check()

    def _progress(self) -> None:
        self.run.requests = self.client.requests_made
        if self.on_progress is not None:
            self.on_progress(self.run)
