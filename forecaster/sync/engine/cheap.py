"""Sync (cheap, incremental): bring the copy up to date with a few requests (package docstring).

1. Read the newest invoices (``order=desc``) until a page reaches an id already held; each page
   is a complete picture of an id range, so the held rows in that range become exactly the page.
2. Prove the older part with the two rows at ascending positions ``Lb-1`` and ``Lb``.
3. Otherwise bisect for the first differing position, replace that window, check again — at
   most ``MAX_REPAIRS`` times, then fall back to a full sync rather than be wrong.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from forecaster.sync.engine.days import add_days
from forecaster.sync.engine.errors import ClaimLost
from forecaster.sync.engine.full import join_note
from forecaster.sync.engine.staging import CONTENT, STORED
from forecaster.sync.models import Invoice, SyncRun
from forecaster.sync.signals import invoices_changed
from forecaster.systems.source import BadRecord, InvoiceRecord

MAX_REPAIRS = 4  # bisection repairs per cheap sync before falling back to a full sync
MAX_CHEAP_PAGES = 50  # newest pages a cheap sync reads before a full sync is cheaper


class CheapSync:
    """``incremental()`` and ``apply_window()`` (a mixin of the ``Engine``)."""

    system: Any
    run: SyncRun
    client: Any
    size: int
    tz: Any
    totals: set[int]
    fetch: Any
    full: Any
    _row: Any
    _quarantine: Any
    _check_stop: Any
    _progress: Any

    def incremental(self, allow_full: bool = True) -> None:
        """The cheap sync described in the module docstring; may fall back to a full sync."""
        if allow_full and self.system.last_full_sync_at is None:
            self._fallback(allow_full, gettext_noop("First sync of this system: a full sync."))
            return
        for _attempt in range(2):
            self.totals = set()
            exact = self._cheap_pass()
            if exact and len(self.totals) <= 1:
                return
            if exact:  # the remote changed during the pass: look once more
                self.run.drift += 1
                continue
            break
        self._fallback(
            allow_full,
            gettext_noop(
                "Sync could not prove the copy exact with a few requests, so it ran a full reconciliation."
            ),
        )

    def _fallback(self, allow_full: bool, note: str) -> None:
        if not allow_full:
            self.run.note = join_note(
                self.run.note, gettext_noop("Some changes may remain for the next sync.")
            )
            return
        if note:
            self.run.note = join_note(self.run.note, note)
        self.run.mode = SyncRun.Mode.FULL
        self.run.save(update_fields=["mode", "note", "drift", "heartbeat_at"])
        self.full(resume=True)

    def _cheap_pass(self) -> bool:
        """Steps 1–3 of the cheap sync; ``True`` when the copy is proven exact."""
        held = Invoice.objects.filter(system=self.system)
        newest = self._read_newest(held.aggregate(m=Max("whmcs_id"))["m"] or 0)
        if newest is None or newest is True:
            return bool(newest)
        return self._prove_below(held, newest)

    def _read_newest(self, max_local: int) -> int | bool | None:
        """Step 1: replace the newest windows until one reaches a held id. Returns that
        window's lower id ``b``; ``True`` when the bottom was reached (every paid invoice was
        compared), ``None`` when the remote moved or too many pages were new."""
        run = self.run
        upper: int | None = None  # exclusive upper bound of the next window
        offset = pages = 0
        while True:
            self._check_stop()
            start = offset - 1 if offset > 0 else 0
            limit = self.size + 1 if offset > 0 else self.size
            page = self.fetch(start, limit, order="desc")
            pages += 1
            if offset > 0 and (not page.ids or page.ids[0] is None or page.ids[0] < upper):
                # A newer invoice left the paid set: rows moved up past our position.
                run.drift += 1
                return None
            rows = [r for r in page.records if upper is None or r.whmcs_id < upper]
            bottom = page.short or page.returned == 0
            lower = 0 if bottom else min(i for i in page.ids if i is not None)
            self._apply_step(lower, upper, rows, page.bad)
            if bottom:
                return True
            if lower <= max_local:
                return lower
            if pages >= MAX_CHEAP_PAGES:
                return None
            upper = lower
            offset = start + page.returned

    def _apply_step(
        self, lower: int, upper: int | None, rows: list[InvoiceRecord], bad: list[BadRecord]
    ) -> None:
        self.apply_window(lower, upper, rows, bad)
        self.run.step += 1
        self.run.steps_total = self.run.step
        self._progress()

    def _prove_below(self, held: QuerySet, b: int) -> bool:
        """Steps 2–3: the remote holds the same ids below ``b`` as we do, or repair and retry."""
        for repair in range(MAX_REPAIRS + 1):
            below = held.filter(whmcs_id__lt=b)
            count = below.count()
            local_last = below.order_by("-whmcs_id").values_list("whmcs_id", flat=True).first()
            got = self._ids_at(max(count - 1, 0), 2 if count else 1)
            if got == ([local_last, b] if count else [b]):
                return True
            if repair == MAX_REPAIRS:
                return False
            p = count if count and got[:1] == [local_last] else self._first_difference(below, count)
            self._repair_window(below, p, b)
        return False

    def _first_difference(self, below: QuerySet, count: int) -> int:
        """Bisect for the first position whose remote id differs from ours."""
        ordered = below.order_by("whmcs_id").values_list("whmcs_id", flat=True)
        lo, hi = 0, max(count - 1, 0)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._ids_at(mid, 1) == [ordered[mid]]:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _repair_window(self, below: QuerySet, p: int, b: int) -> None:
        """Replace the held window from position ``p`` with one page read from there."""
        window_lower = 0
        if p > 0:
            window_lower = below.order_by("whmcs_id").values_list("whmcs_id", flat=True)[p - 1] + 1
        page = self.fetch(p, self.size)
        ids = [i for i in page.ids if i is not None]
        window_upper = b if page.short or not ids or max(ids) >= b else max(ids) + 1
        rows = [r for r in page.records if window_lower <= r.whmcs_id < window_upper]
        self._apply_step(window_lower, window_upper, rows, page.bad)

    def _ids_at(self, start: int, limit: int) -> list[int | None]:
        self._check_stop()
        page = self.fetch(start, limit)
        return page.ids[:limit]

    def apply_window(
        self, lower: int, upper: int | None, records: list[InvoiceRecord], bad: list[BadRecord]
    ) -> None:
        """Make the held invoices with ``lower <= id < upper`` exactly ``records``, in one
        transaction with the aggregates (an id range read completely from WHMCS)."""
        remote = {r.whmcs_id: self._row(r) for r in records}
        # A quarantined id keeps its held copy: unreadable now is not "no longer paid".
        keep = {b.whmcs_id for b in bad if b.whmcs_id is not None}
        with transaction.atomic():
            held = Invoice.objects.filter(system=self.system, whmcs_id__gte=lower)
            if upper is not None:
                held = held.filter(whmcs_id__lt=upper)
            local = {row["whmcs_id"]: row for row in held.values("id", "whmcs_id", *STORED)}
            new, changed, gone, days, paid_days = self._diff_window(local, remote, keep)
            if new:
                Invoice.objects.bulk_create(new, batch_size=1000)
            if changed:
                Invoice.objects.bulk_update(changed, [*STORED, "synced_at"], batch_size=500)
            if gone:
                Invoice.objects.filter(id__in=gone).delete()
            if new or changed or gone:
                invoices_changed.send(Invoice, system_id=self.system.pk, days=days, paid_days=paid_days)
            self._record_window(len(new), len(changed), len(gone), self._quarantine(bad))

    def _diff_window(
        self, local: dict, remote: dict, keep: set
    ) -> tuple[list, list, list, set[date], set[date]]:
        """New and changed rows (as ``Invoice``), ids of gone rows, and the days they touch."""
        now = timezone.now()
        new, changed, gone = [], [], []
        days: set[date] = set()
        paid_days: set[date] = set()
        for wid, row in remote.items():
            old = local.get(wid)
            if old is None:
                new.append(Invoice(system=self.system, **row))
            elif any(old[c] != row[c] for c in CONTENT):
                changed.append(Invoice(id=old["id"], system=self.system, synced_at=now, **row))
                add_days(old, days, paid_days, self.tz)
            else:
                continue
            add_days(row, days, paid_days, self.tz)
        for wid, old in local.items():
            if wid not in remote and wid not in keep:
                gone.append(old["id"])
                add_days(old, days, paid_days, self.tz)
        return new, changed, gone, days, paid_days

    def _record_window(self, inserted: int, updated: int, removed: int, quarantined: int) -> None:
        run = self.run
        run.quarantined += quarantined
        run.inserted += inserted
        run.updated += updated
        run.removed += removed
        owned = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
            inserted=run.inserted,
            updated=run.updated,
            removed=run.removed,
            quarantined=run.quarantined,
            step=run.step + 1,
            requests=self.client.requests_made,
            heartbeat_at=timezone.now(),
            remote_total=run.remote_total,
        )
        if not owned:
            raise ClaimLost()  # the run was taken for dead: the window is rolled back
