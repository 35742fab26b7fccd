"""The page writer: a full sync outside any caller's transaction commits its pages in a thread
of its own while the next ones are read (pages that wait for it together, with the last one's
checkpoint); a failure on either side leaves the checkpoint of the last page committed, with
exactly the rows up to it staged, and the next run resumes from it and ends exact."""

from __future__ import annotations

import threading

import pytest

from forecaster.sync.engine import run_sync, staging
from forecaster.sync.models import StagedInvoice
from forecaster.sync.tests.test_full_sync import Boom, report, true_report
from tests.builders import assert_exact, make_system

# No test transaction: the writer's own connection must see what the run commits.
pytestmark = pytest.mark.django_db(transaction=True)


def committed_by(monkeypatch) -> list[str]:
    """The threads that committed pages, one per commit (through the commit's fault point)."""
    threads: list[str] = []
    monkeypatch.setattr(
        staging,
        "_fault",
        lambda where: (
            threads.append(threading.current_thread().name) if where == "checkpoint-written" else None
        ),
    )
    return threads


def test_pages_committed_by_the_writer_end_exact(sb, monkeypatch):
    system = make_system(sb, step=10)
    threads = committed_by(monkeypatch)
    run = run_sync(system, "full", "cli")
    assert run.status == "succeeded", run.error_message
    assert 1 <= len(threads) <= run.step and run.step >= 10 and set(threads) == {"sync-writer"}
    assert_exact(system, sb)
    assert report(system) == true_report(system)


@pytest.mark.parametrize("point", ["rows-written", "checkpoint-written"])
def test_a_crash_in_the_writer_keeps_the_pages_before_it(sb, monkeypatch, point):
    system = make_system(sb, step=10)
    calls = {"n": 0}

    def crash(where):
        if where == point:
            calls["n"] += 1
            if calls["n"] == 2:
                raise Boom()

    monkeypatch.setattr(staging, "_fault", crash)
    run = run_sync(system, "full", "cli")
    assert run.status == "failed" and run.error_class == "Boom"
    run.refresh_from_db()
    # The pages of the first commit are staged, though the sync had read ahead of them: the
    # checkpoint says so (every page here is a full one).
    staged = StagedInvoice.objects.filter(stage=run.stage)
    assert run.step >= 1 and staged.count() == run.step * system.step
    assert staged.filter(whmcs_id__gt=run.last_id).count() == 0
    monkeypatch.setattr(staging, "_fault", lambda where: None)
    again = run_sync(system, "full", "cli")  # starts over: the error was not the remote's
    assert again.status == "succeeded"
    assert_exact(system, sb)
    assert report(system) == true_report(system)


def test_a_failure_while_pages_wait_for_the_writer_keeps_what_was_committed(sb, monkeypatch):
    system = make_system(sb, step=10)
    threads = committed_by(monkeypatch)
    requests = {"n": 0}

    def refuse_from_the_sixth(state, params):
        requests["n"] += 1
        if requests["n"] == 6:
            sb.policy.permissions = set()  # this and later requests fail

    sb.controls.before_getinvoices = refuse_from_the_sixth
    run = run_sync(system, "full", "cli")
    sb.controls.before_getinvoices = None
    sb.policy.permissions = {"getinvoices"}
    assert run.status == "failed"
    run.refresh_from_db()
    staged = sorted(StagedInvoice.objects.filter(stage=run.stage).values_list("whmcs_id", flat=True))
    # The checkpoint is the last page committed: the rows staged are exactly the paid invoices
    # up to it, and the run's step counts the pages committed.
    assert threads and run.step >= len(threads)
    assert staged == sorted(i for i in sb.paid_invoices() if i <= run.last_id)
    assert len(staged) == run.step * system.step
    again = run_sync(system, "full", "cli")
    assert again.status == "succeeded" and again.resumed_from_id == run.pk
    assert_exact(system, sb)
