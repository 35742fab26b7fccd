"""``{% sync_state system as st %}``: what the sync controls fragment shows for one system;
``{{ text|shown }}``: a stored sync text in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from forecaster.sync import texts
from forecaster.sync.models import SyncRun

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


@register.simple_tag
def sync_state(system) -> SyncState:
    """The system's active run (queued/running) and its last finished run."""
    runs = list(SyncRun.objects.filter(system=system).order_by("-created_at", "-id")[:2])
    active = next((r for r in runs if r.is_active), None)
    last = next((r for r in runs if not r.is_active), None)
    return SyncState(active=active, last=last)


@register.filter
def shown(text: str) -> str:
    """A stored sync text (English) in the reader's language: ``{{ run.note|shown }}``."""
    return texts.shown(text or "")
