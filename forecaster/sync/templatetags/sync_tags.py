"""``{% sync_state system as st %}``: what the sync controls fragment shows for one system;
``{{ text|shown }}``: a stored sync text in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils import timezone

from forecaster.sync import texts
from forecaster.sync.models import SyncRun
from forecaster.systems.models import AccountingSystem

register = template.Library()


@dataclass
class SyncState:
    active: SyncRun | None
    last: SyncRun | None

    @property
    def percent(self) -> int:
        run = self.active
        if run is None or not run.steps_total:
            return 0
        return min(100, int(100 * run.step / run.steps_total))

    @property
    def read(self) -> int:
        """Invoices a running full sync has read so far (its position in WHMCS's list)."""
        run = self.active
        if run is None:
            return 0
        return min(run.next_offset, run.remote_total) if run.remote_total is not None else run.next_offset

    @property
    def finish_at(self) -> datetime | None:
        """When the active run should end, at the pace of the steps it took itself (a resumed
        run's earlier steps were taken by the run it continues); ``None`` until it can tell."""
        run = self.active
        if run is None or run.started_at is None or not run.steps_total or run.step >= run.steps_total:
            return None
        resumed = run.resumed_from if run.resumed_from_id else None
        done = run.step - (resumed.step if resumed is not None else 0)
        if done <= 0:
            return None
        now = timezone.now()
        return now + (now - run.started_at) * (run.steps_total - run.step) / done


@register.simple_tag
def sync_state(system: AccountingSystem) -> SyncState:
    """The system's active run (queued/running) and its last finished run."""
    runs = list(
        SyncRun.objects.filter(system=system)
        .select_related("resumed_from")
        .order_by("-created_at", "-id")[:2]
    )
    active = next((r for r in runs if r.is_active), None)
    last = next((r for r in runs if not r.is_active), None)
    return SyncState(active=active, last=last)


@register.filter
def shown(text: str) -> str:
    """A stored sync text (English) in the reader's language: ``{{ run.note|shown }}``."""
    return texts.shown(text or "")
