"""The switch: a complete stage becomes the system's invoices in ONE transaction (R6).

Invoices not in the stage are deleted (they stopped being Paid: refunded, cancelled, deleted),
new ones inserted, changed ones updated (``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE``
something differs, so unchanged rows keep the exchange rate they were converted with), and the
report aggregates refreshed — all or nothing, so reports show the previous figures until then.
An invoice quarantined (unreadable) by this stage's run keeps its held copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from forecaster.sync.engine import staging
from forecaster.sync.engine.days import collect_days
from forecaster.sync.engine.errors import ClaimLost
from forecaster.sync.engine.staging import CONTENT, STORED
from forecaster.sync.models import Invoice, QuarantinedRecord, StagedInvoice, SyncRun
from forecaster.sync.signals import invoices_changed
from forecaster.systems.models import AccountingSystem


@dataclass
class SwitchSql:
    """The tables and conditions of one switch, quoted for this database."""

    inv: str
    stg: str
    differs: str  # the held row (ON CONFLICT target) differs from the staged one
    differs_join: str  # i (held) differs from s (staged)
    kept: str  # i is quarantined by the stage's run: unreadable is not "not paid"

    @classmethod
    def build(cls) -> SwitchSql:
        q = connection.ops.quote_name
        inv, stg = q(Invoice._meta.db_table), q(StagedInvoice._meta.db_table)
        qtn, runs = q(QuarantinedRecord._meta.db_table), q(SyncRun._meta.db_table)
        return cls(
            inv=inv,
            stg=stg,
            differs=" OR ".join(f"{inv}.{c} IS DISTINCT FROM excluded.{c}" for c in CONTENT),
            differs_join=" OR ".join(f"i.{c} IS DISTINCT FROM s.{c}" for c in CONTENT),
            kept=(
                f"EXISTS (SELECT 1 FROM {qtn} q JOIN {runs} r ON r.id = q.run_id "  # noqa: S608
                f"WHERE r.stage = %s AND q.whmcs_id = i.whmcs_id)"
            ),
        )


class Switching:
    """``switch()`` (a mixin of the ``Engine``)."""

    system: AccountingSystem
    run: SyncRun
    _progress: Any

    def switch(self) -> None:
        """Make the stage the system's invoices in one transaction (R6) and clean it up."""
        run, system_id, stage = self.run, self.system.pk, staging.stage_of(self.run)
        sql = SwitchSql.build()
        with transaction.atomic(), connection.cursor() as cur:
            staged_count, inserted, updated, removed = _counts(cur, sql, system_id, stage)
            changed = inserted + removed + updated
            days: set[date] | None = None
            paid_days: set[date] | None = None
            # A few changed days are refreshed one by one; many (a first sync) in one rebuild.
            if 0 < changed <= min(20_000, staged_count // 10 + 100):
                days, paid_days = _changed_days(cur, sql, system_id, stage)
            if removed:
                _delete_removed(cur, sql, system_id, stage)
            if changed:
                staging._fault("switch-deleted")
            if inserted or updated:
                _upsert_staged(cur, sql, system_id, stage)
            if changed:
                invoices_changed.send(Invoice, system_id=system_id, days=days, paid_days=paid_days)
            self._record_switch(inserted, updated, removed)
        # The stage is spent; dropping it is not part of the switch (a crash here loses nothing).
        StagedInvoice.objects.filter(stage=stage).delete()
        SyncRun.objects.filter(system_id=system_id, stage=stage).update(stage=None)
        run.stage = None
        self._progress()

    def _record_switch(self, inserted: int, updated: int, removed: int) -> None:
        run, now = self.run, timezone.now()
        run.inserted += inserted
        run.updated += updated
        run.removed += removed
        owned = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
            inserted=run.inserted, updated=run.updated, removed=run.removed, note=run.note, heartbeat_at=now
        )
        if not owned:
            raise ClaimLost()  # the run was taken for dead: the switch is rolled back
        AccountingSystem.objects.filter(pk=self.system.pk).update(last_full_sync_at=now)
        self.system.last_full_sync_at = now


def _counts(cur: Any, sql: SwitchSql, system_id: int, stage: int) -> tuple[int, int, int, int]:
    """How many rows the stage holds, and how many of them are new, changed, and how many held
    invoices it lacks. A system holding no invoice yet (its first sync) needs no comparison:
    every staged row is new, which spares two passes over a million rows."""
    cur.execute(f"SELECT 1 FROM {sql.inv} WHERE system_id = %s LIMIT 1", [system_id])  # noqa: S608
    if cur.fetchone() is None:
        cur.execute(f"SELECT COUNT(*) FROM {sql.stg} WHERE stage = %s", [stage])  # noqa: S608
        staged = cur.fetchone()[0]
        return staged, staged, 0, 0
    return (*_count_staged(cur, sql, system_id, stage), _count_removed(cur, sql, system_id, stage))


def _count_staged(cur: Any, sql: SwitchSql, system_id: int, stage: int) -> tuple[int, int, int]:
    """One pass over the stage: how many rows it holds, how many are new, how many changed."""
    is_new = "CASE WHEN i.id IS NULL THEN 1 ELSE 0 END"
    is_changed = f"CASE WHEN i.id IS NOT NULL AND ({sql.differs_join}) THEN 1 ELSE 0 END"
    cur.execute(
        f"SELECT COUNT(*), COALESCE(SUM({is_new}), 0), "  # noqa: S608
        f"COALESCE(SUM({is_changed}), 0) FROM {sql.stg} s LEFT JOIN {sql.inv} i "
        f"ON i.system_id = %s AND i.whmcs_id = s.whmcs_id WHERE s.stage = %s",
        [system_id, stage],
    )
    return cur.fetchone()


def _count_removed(cur: Any, sql: SwitchSql, system_id: int, stage: int) -> int:
    cur.execute(
        f"SELECT COUNT(*) FROM {sql.inv} i WHERE i.system_id = %s AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {sql.stg} s WHERE s.stage = %s AND s.whmcs_id = i.whmcs_id) "
        f"AND NOT {sql.kept}",
        [system_id, stage, stage],
    )
    return cur.fetchone()[0]


def _changed_days(cur: Any, sql: SwitchSql, system_id: int, stage: int) -> tuple[set[date], set[date]]:
    """Invoice days and paid days touched: old values of removed and updated rows, new values
    of inserted and updated ones."""
    days: set[date] = set()
    paid_days: set[date] = set()
    cur.execute(
        f"SELECT i.date, i.date_paid FROM {sql.inv} i WHERE i.system_id = %s AND "  # noqa: S608
        f"NOT EXISTS (SELECT 1 FROM {sql.stg} s WHERE s.stage = %s AND "
        f"s.whmcs_id = i.whmcs_id AND NOT ({sql.differs_join})) AND NOT {sql.kept}",
        [system_id, stage, stage],
    )
    collect_days(cur, days, paid_days)
    cur.execute(
        f"SELECT s.date, s.date_paid FROM {sql.stg} s WHERE s.stage = %s AND "  # noqa: S608
        f"NOT EXISTS (SELECT 1 FROM {sql.inv} i WHERE i.system_id = %s AND "
        f"i.whmcs_id = s.whmcs_id AND NOT ({sql.differs_join}))",
        [stage, system_id],
    )
    collect_days(cur, days, paid_days)
    return days, paid_days


def _delete_removed(cur: Any, sql: SwitchSql, system_id: int, stage: int) -> None:
    kept = sql.kept.replace("i.whmcs_id", sql.inv + ".whmcs_id")
    cur.execute(
        f"DELETE FROM {sql.inv} WHERE system_id = %s AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {sql.stg} s WHERE s.stage = %s AND s.whmcs_id = {sql.inv}.whmcs_id) "
        f"AND NOT {kept}",
        [system_id, stage, stage],
    )


def _upsert_staged(cur: Any, sql: SwitchSql, system_id: int, stage: int) -> None:
    cols = ", ".join(STORED)
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*STORED, "synced_at"))
    cur.execute(
        f"INSERT INTO {sql.inv} (system_id, whmcs_id, {cols}, synced_at) "  # noqa: S608
        f"SELECT %s, whmcs_id, {cols}, %s FROM {sql.stg} WHERE stage = %s "
        f"ON CONFLICT (system_id, whmcs_id) DO UPDATE SET {updates} WHERE {sql.differs}",
        [system_id, timezone.now(), stage],
    )
