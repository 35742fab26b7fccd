"""Look into a data directory's database from outside, for the fault suite.

    FORECASTER_DATA_DIR=… python -m tests.dbtool dump
    FORECASTER_DATA_DIR=… python -m tests.dbtool runs
    FORECASTER_DATA_DIR=… python -m tests.dbtool age-heartbeats MINUTES
    FORECASTER_DATA_DIR=… python -m tests.dbtool issue-token NAME

``dump`` prints one JSON object: ``invoices`` (every row of the local copy: system, WHMCS id,
status and amounts as two-decimal strings), ``duplicates`` (``(system, whmcs_id)`` pairs held
more than once; the database should make this impossible), ``runs`` (the sync history) and
``quarantined`` (the records a sync could not read: system, run, WHMCS id, reason) and
``staged`` (how many rows full syncs have staged and not switched yet).
``runs`` prints only the sync history. Both go through the ORM, so they read SQLite and
PostgreSQL alike and do not depend on how amounts are stored.

``age-heartbeats`` moves every active run's heartbeat MINUTES into the past: what the clock
does while an operator waits after a crash, without the wait. A run whose process was killed
keeps its "running" row until its heartbeat is stale; this lets a test reach that point.

``issue-token`` creates an API token and prints it (for the API fuzzing and benchmarks).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta


def dump(invoices: bool = True) -> dict:
    from django.db.models import Count

    from forecaster.lib.money import fmt
    from forecaster.sync.models import Invoice, QuarantinedRecord, StagedInvoice, SyncRun

    rows = (
        [
            {
                "system": row["system_id"],
                "whmcs_id": row["whmcs_id"],
                "status": row["status"],
                "subtotal": fmt(row["subtotal"]),
                "tax": fmt(row["tax"]),
                "tax2": fmt(row["tax2"]),
                "credit": fmt(row["credit"]),
                "total": fmt(row["total"]),
            }
            for row in Invoice.objects.order_by("system_id", "whmcs_id").values(
                "system_id", "whmcs_id", "status", "subtotal", "tax", "tax2", "credit", "total"
            )
        ]
        if invoices
        else []
    )
    duplicates = list(
        Invoice.objects.values("system_id", "whmcs_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("system_id", "whmcs_id")
    )
    runs = list(
        SyncRun.objects.order_by("id").values(
            "id",
            "system_id",
            "mode",
            "status",
            "error_class",
            "error_message",
            "requests",
            "step",
            "steps_total",
            "inserted",
            "updated",
            "removed",
            "started_at",
            "finished_at",
        )
    )
    for run in runs:
        started, finished = run.pop("started_at"), run.pop("finished_at")
        run["seconds"] = (finished - started).total_seconds() if started and finished else None
    quarantined = [
        {"system": q["system_id"], "run": q["run_id"], "whmcs_id": q["whmcs_id"], "error": q["error"]}
        for q in QuarantinedRecord.objects.order_by("id").values("system_id", "run_id", "whmcs_id", "error")
    ]
    staged = StagedInvoice.objects.count()
    return {
        "invoices": rows,
        "duplicates": duplicates,
        "runs": runs,
        "quarantined": quarantined,
        "staged": staged,
    }


def age_heartbeats(minutes: float) -> int:
    from django.db.models import F

    from forecaster.sync.models import SyncRun

    delta = timedelta(minutes=minutes)
    return SyncRun.objects.filter(status__in=SyncRun.ACTIVE).update(
        heartbeat_at=F("heartbeat_at") - delta, created_at=F("created_at") - delta
    )


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
    import django

    django.setup()
    if argv[:1] == ["dump"]:
        print(json.dumps(dump()))
    elif argv[:1] == ["runs"]:
        print(json.dumps(dump(invoices=False)["runs"]))
    elif argv[:1] == ["issue-token"] and len(argv) == 2:
        from forecaster.accounts.models import ApiToken

        print(ApiToken.issue(argv[1])[1])
    elif argv[:1] == ["age-heartbeats"] and len(argv) == 2:
        print(age_heartbeats(float(argv[1])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
