"""Full sync: page every Paid invoice into a stage, then switch (see the package docstring).

Every page after the first starts one row early (``limitstart = next_offset - 1``): that overlap
row must be the last id already read (or an earlier one). If the page starts *after* it, rows
before our position left the paid set while we paged, so the offset backs off and the page is
read again (bounded; each counted in ``SyncRun.drift``).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from forecaster.sync.engine.errors import SyncFailed
from forecaster.sync.engine.outcome import failed_unexpectedly
from forecaster.sync.engine.staging import COMMITTED, writer_connection
from forecaster.sync.engine.writer import PageWriter
from forecaster.sync.models import StagedInvoice, SyncRun

MAX_DRIFT_RETRIES = 8  # re-reads of one step when the remote shifts under us
# Full pages in a row that bring no invoice id above the ones already read: a server repeating
# itself, never reaching the end.
MAX_PAGES_WITHOUT_NEW_IDS = 3
# What a resumed run takes over from the interrupted one.
RESUMED = ("next_offset", "last_id", "first_total", "step", "steps_total")
STARTED_OVER = gettext_noop(
    "Started over from the first step: the last full sync failed on the data it had read "
    "(%(error)s), so that data was read again instead of resumed."
)
TOO_MUCH_DRIFT = (
    gettext_noop("The accounting system's invoices kept changing while the sync read them."),
    gettext_noop("Run the sync again when the accounting system is quieter."),
)


class FullSync:
    """``full()``, ``prepare_full()``, ``full_step()`` (a mixin of the ``Engine``)."""

    system: Any
    run: SyncRun
    client: Any
    size: int
    totals: set[int]
    _resumed: bool
    _first_request: int | None
    _last_total: int | None
    _last_read: int | None
    fetch: Any
    fetch_ahead: Any
    prefetch: bool
    parallel: int
    close: Any
    commit_page: Any
    write_pages: Any
    _staged_tail: tuple | None
    rewind_to_committed: Any
    _writer: PageWriter | None
    _committed: dict[str, int] | None
    switch: Any
    incremental: Any
    _check_stop: Any

    def full(self, resume: bool = True) -> None:
        """Page everything into a stage, switch atomically, verify if the remote moved."""
        try:
            self.prepare_full(resume)
            self._start_writer()
            while self.full_step():
                self._check_stop()
            self._check_stop()
            self._finish_writer()
            self.switch()
        except BaseException:
            # The pages queued before the failure are still committed; the run's checkpoint
            # is then the last committed page's, whatever was read beyond it.
            with contextlib.suppress(Exception):  # the first failure is the one to report
                self._finish_writer()
            self.rewind_to_committed()
            raise
        finally:
            self.close()
        if self._resumed:
            # The part staged before the interruption may have changed in WHMCS since (an
            # invoice refunded, a late payment): verify the whole copy, and when the cheap
            # check cannot prove it exact, re-read everything once from the start.
            self._resumed = False
            self.run.note = join_note(
                self.run.note,
                gettext_noop(
                    "The part read before the interruption was checked against the accounting system "
                    "afterwards."
                ),
            )
            self.incremental(allow_full=True)
        elif len(self.totals) > 1 or self.run.drift:
            self.run.note = join_note(
                self.run.note,
                gettext_noop(
                    "The accounting system changed while the sync read it; the newest state was checked "
                    "afterwards."
                ),
            )
            self.incremental(allow_full=False)

    def _start_writer(self) -> None:
        """Commit pages in a thread of their own (:mod:`.writer`) when the run overlaps its work
        (``prefetch``) and no caller's transaction is open (the writer's connection could not
        see into it)."""
        self._committed = {name: getattr(self.run, name) for name in COMMITTED}
        self._staged_tail = None  # the stage may have been emptied by prepare_full
        if self.prefetch and not connection.in_atomic_block:
            self._writer = PageWriter(self.write_pages, writer_connection)

    def _finish_writer(self) -> None:
        writer = self._writer
        if writer is not None:
            try:
                writer.finish()
            finally:
                self._writer = None

    def prepare_full(self, resume: bool = True) -> None:
        """Choose the stage: continue the last interrupted full sync, or start a new one."""
        run = self.run
        run.mode = SyncRun.Mode.FULL
        # A pass of its own: the request ceiling and the totals seen start afresh (a resumed
        # stage that fails verification is re-read from the start within the same run).
        self._first_request = None
        self._last_total = None
        self.totals = set()
        previous = self._resumable() if resume else None
        stale = SyncRun.objects.filter(system=self.system, stage__isnull=False).exclude(pk=run.pk)
        if previous is not None:
            stale = stale.exclude(stage=previous.stage)
            self._take_over(previous)
        else:
            run.stage = run.pk
            run.next_offset = run.last_id = run.step = 0
            run.first_total = None
        if run.first_total is not None:
            self.totals.add(run.first_total)
        old_stages = [s for s in stale.values_list("stage", flat=True).distinct() if s is not None]
        with transaction.atomic():
            if old_stages:
                StagedInvoice.objects.filter(stage__in=old_stages).delete()
                SyncRun.objects.filter(stage__in=old_stages).update(stage=None)
            if previous is None and run.stage is not None:
                StagedInvoice.objects.filter(stage=run.stage).delete()
            run.heartbeat_at = timezone.now()
            run.save()

    def _resumable(self) -> SyncRun | None:
        """The last full sync, when it was interrupted or failed with a stage to continue.

        A run that failed unexpectedly (not because of WHMCS, the network or the database's
        room) may have failed on the rows it staged: resuming would meet them again, every
        time. Its stage is not continued; the run starts over and its note says so."""
        previous = (
            SyncRun.objects.filter(system=self.system, mode=SyncRun.Mode.FULL)
            .exclude(pk=self.run.pk)
            .order_by("-created_at", "-id")
            .first()
        )
        if (
            previous is None
            or previous.status not in (SyncRun.Status.FAILED, SyncRun.Status.INTERRUPTED)
            or previous.stage is None
            or previous.next_offset == 0
        ):
            return None
        if failed_unexpectedly(previous):
            self.run.note = join_note(self.run.note, STARTED_OVER % {"error": previous.error_class})
            return None
        return previous

    def _take_over(self, previous: SyncRun) -> None:
        run = self.run
        run.stage = previous.stage
        run.resumed_from = previous
        for name in RESUMED:
            setattr(run, name, getattr(previous, name))
        run.note = gettext_noop("Resumed from step %(step)s.") % {"step": previous.step}
        self._resumed = True

    def full_step(self) -> bool:
        """Read and commit one page; ``False`` when the last page has been read."""
        run = self.run
        self._check_budget()
        offset, start, page = self._read_overlapping(run.next_offset)
        first = page.ids[0] if page.ids else None
        if offset > 0 and first is not None and first < run.last_id and page.ids[:1] != [run.last_id]:
            run.drift += 1  # rows inserted before our position: harmless duplicates
        end = start + page.returned
        done = page.returned == 0 or page.short or end >= page.total
        if run.first_total is None:
            run.first_total = page.total
        self._last_total = page.total
        new_last = max([run.last_id, *(i for i in page.ids if i is not None)])
        # A page read from further back after drift holds rows we have already read by design:
        # only a page read where we stood counts towards the "no new invoice" bound.
        backed_off = offset < run.next_offset
        if new_last == run.last_id and not done and not backed_off:
            self._stale_pages = getattr(self, "_stale_pages", 0) + 1
            if self._stale_pages >= MAX_PAGES_WITHOUT_NEW_IDS:
                raise SyncFailed(
                    gettext_noop(
                        "The accounting system sent %(count)s full pages in a row without a single new "
                        "invoice; the sync stopped instead of paging on."
                    )
                    % {"count": self._stale_pages},
                    gettext_noop(
                        "Check that the accounting system lists its invoices correctly (ordered by id); "
                        "then sync again."
                    ),
                )
        else:
            self._stale_pages = 0
        if not done:
            self._prefetch_after(end, page.total)
        if offset > 0 and self._last_read is not None and page.ids[:1] == [self._last_read]:
            # The overlap row was read (and, if unreadable, quarantined) with the page before.
            page.bad = [b for b in page.bad if b.whmcs_id != self._last_read]
        self.commit_page(page, end, new_last)
        self._last_read = page.ids[-1] if page.ids else None
        return not done

    def _read_overlapping(self, offset: int) -> tuple[int, int, Any]:
        """The page at ``offset`` (one row early), re-read further back while rows moved back
        past our position; returns ``(offset, start, page)`` as finally read."""
        run = self.run
        retries = 0
        while True:
            start = offset - 1 if offset > 0 else 0
            limit = self.size + 1 if offset > 0 else self.size
            page = self.fetch(start, limit, staged=True)
            first = page.ids[0] if page.ids else None
            # The overlap row (or an earlier one) must come first; otherwise rows moved back
            # past our position while we paged and some would be skipped.
            if offset == 0 or (first is not None and first <= run.last_id):
                return offset, start, page
            if page.returned == 0 and page.total == 0:
                return offset, start, page
            retries += 1
            run.drift += 1
            if retries > MAX_DRIFT_RETRIES:
                raise SyncFailed(*TOO_MUCH_DRIFT)
            # Back off by what the count says left the paid set (at least one row), doubling
            # on each miss; a whole-page step back would re-read mostly rows we already hold.
            shrunk = (self._last_total or page.total) - page.total
            offset = max(0, offset - max(1, shrunk) * (2 ** min(retries - 1, 10)))

    def _prefetch_after(self, end: int, total: int) -> None:
        """Keep up to ``parallel`` requests in flight: the next page, then guesses that each
        following page is a full one (the usual case). A wrong guess (a short page, drift)
        costs one request whose answer is dropped; pages are still committed in order."""
        for ahead in range(self.parallel):
            start = end - 1 + ahead * self.size
            if ahead and start + 1 >= total:
                break
            self.fetch_ahead(start, self.size + 1)

    def _check_budget(self) -> None:
        """R8: a request ceiling, whatever the remote does while we page. Each request in flight
        may be a guess that drift makes stale, so the ceiling grows with the parallel requests."""
        if self._first_request is None:
            self._first_request = self.client.requests_made
        expected = math.ceil((self.run.first_total or 0) / self.size) + 1
        ceiling = self.parallel * (2 * expected + 4 * MAX_DRIFT_RETRIES) + 10
        if self.client.requests_made - self._first_request > ceiling:
            raise SyncFailed(*TOO_MUCH_DRIFT)


def join_note(note: str, more: str) -> str:
    """A run's note with one more sentence (the column holds 500 characters)."""
    return f"{note} {more}".strip()[:500]
