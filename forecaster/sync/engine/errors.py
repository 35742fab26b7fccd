"""What a sync raises: the one exception callers see, and the two the engine ends a run with."""

from __future__ import annotations

from forecaster.systems.models import AccountingSystem


class AlreadyRunning(Exception):
    """A sync of this system is queued or running."""

    def __init__(self, system: AccountingSystem) -> None:
        super().__init__(f"A sync of {system.name} is already running.")


class SyncStopped(Exception):
    """The run was asked to stop (SIGTERM, Ctrl-C) between two steps."""


class ClaimLost(Exception):
    """The run no longer owns its system: something marked it interrupted (its heartbeat looked
    stale) and another run may have started. It must not write or finish anything."""


class SyncCancelled(Exception):
    """Someone pressed Cancel: the run stops between two steps, interrupted and resumable."""


class SyncFailed(Exception):
    """A failure of the sync itself (not of the remote), with a message and a fix."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
