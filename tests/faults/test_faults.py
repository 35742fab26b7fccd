"""Fault injection: the sync ends exact whatever happens to its process, the remote or the DB.

Each test drives ``forecaster sync`` as a separate process against a sandbox on loopback and
compares the local copy with the sandbox's paid set to the cent (``assert_exact``).
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter

import pytest

from forecaster.sandbox.faults import churn
from forecaster.sandbox.testing import running_sandbox
from tests.faults.site import Site, assert_exact, expected_copy

INVOICES = 3000  # about 2 600 paid: 53 pages of 50
STEP = 50


def wait_for_requests(sandbox, count: int, proc, timeout: float = 120) -> bool:
    """Wait until the sandbox has answered ``count`` API calls; False if ``proc`` ended first."""
    deadline = time.monotonic() + timeout
    while sandbox.requests.count < count:
        if proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {sandbox.requests.count} requests after {timeout} s")
        time.sleep(0.002)
    return True


def sync_until_done(site: Site, system_id: int, *, full: bool) -> str:
    """Run a sync to success. A run killed earlier keeps its "running" row until its heartbeat
    is stale; when the engine refuses because of it, age the heartbeat (the operator's wait)
    and run again. Returns the successful run's output."""
    for _attempt in range(3):
        done = site.sync(system_id, full=full)
        if done.returncode == 0:
            return done.stdout
        assert "already running" in done.stderr.lower(), done.stderr
        site.age_heartbeats(30)
    raise AssertionError(f"the sync did not succeed: {done.stderr}")


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_full_sync_killed_at_random_steps_resumes_exact(site, seed):
    """SIGKILL at random requests, twice; reports keep the previous figures meanwhile; the
    resumed full sync ends equal to WHMCS, to the cent, without duplicates (R1, R5, R6)."""
    rng = random.Random(seed)
    with running_sandbox(invoices=INVOICES, seed=seed) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        before: dict = {}
        if seed % 2 == 0:
            # A synced system whose WHMCS then changed: the killed full syncs must leave the
            # old copy in force, untouched.
            site.sync(system_id, full=True).check_returncode()
            before = expected_copy(sandbox)
            state = sandbox.state
            for invoice_id in state.random_ids("Paid", 5, rng):
                state.refund(invoice_id)
            for invoice_id in state.random_ids("Unpaid", 5, rng):
                state.pay(invoice_id)
            for _ in range(3):
                state.add_invoice(status="Paid", subtotal="42.10", taxrate="23")
        pages = len(sandbox.paid_invoices()) // STEP + 1
        sandbox.controls.latency_ms = 10
        remaining = pages  # requests a full pass still needs (a resumed run needs fewer)
        for kill in range(2):
            sandbox.requests.clear()
            proc = site.start_sync(system_id, full=True)
            at = rng.randint(2, max(2, remaining - 3))
            if wait_for_requests(sandbox, at, proc):
                time.sleep(rng.uniform(0, 0.012))  # land inside a page transaction sometimes
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            if proc.returncode != -signal.SIGKILL:
                break  # it finished (or was refused) before the kill point
            remaining -= at - 2
            held = site.paid_copy(system_id)
            assert held == before, f"kill {kill} at request {at}: the copy changed before the switch"
            if kill == 0:
                # Right after a kill, the run's row still says "running": the next start is
                # refused (or it takes over the dead run); never a second pager alongside.
                again = site.sync(system_id, full=True)
                assert again.returncode == 0 or "already running" in again.stderr.lower()
                if again.returncode == 0:
                    break
                site.age_heartbeats(30)
        sandbox.controls.latency_ms = 0
        sync_until_done(site, system_id, full=True)
        dump = assert_exact(site, sandbox, system_id)
        statuses = Counter(run["status"] for run in dump["runs"])
        assert statuses["running"] == 0 and statuses["queued"] == 0, statuses
        # A cheap sync afterwards finds nothing to do and changes nothing.
        sync_until_done(site, system_id, full=False)
        assert_exact(site, sandbox, system_id)


def test_full_sync_resumed_after_whmcs_changed_ends_exact(site):
    """A full sync killed halfway is resumed after WHMCS changed in the part it had already
    read (refunds, payments): the resumed sync must still end equal to WHMCS (R5)."""
    with running_sandbox(invoices=INVOICES, seed=5) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        pages = len(sandbox.paid_invoices()) // STEP + 1
        sandbox.controls.latency_ms = 10
        proc = site.start_sync(system_id, full=True)
        assert wait_for_requests(sandbox, pages // 2, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        sandbox.controls.latency_ms = 0
        # Changes among the invoices already staged (low ids) and beyond.
        state = sandbox.state
        paid = sorted(state.ids("Paid"))
        for invoice_id in paid[10:15]:
            state.refund(invoice_id)
        state.cancel(paid[20])
        state.delete(paid[30])
        for invoice_id in sorted(state.ids("Unpaid"))[:3]:
            state.pay(invoice_id)
        state.set_amounts(paid[40], subtotal="77.70")
        site.age_heartbeats(30)
        sync_until_done(site, system_id, full=True)
        assert_exact(site, sandbox, system_id)


def test_sigterm_stops_between_steps_and_the_next_full_sync_continues(site):
    """SIGTERM mid-sync marks the run interrupted; the next full sync resumes and ends exact
    without re-reading what was committed (R5, R18)."""
    with running_sandbox(invoices=INVOICES, seed=7) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        pages = len(sandbox.paid_invoices()) // STEP + 1
        sandbox.controls.latency_ms = 10
        proc = site.start_sync(system_id, full=True)
        assert wait_for_requests(sandbox, pages // 2, proc)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        assert proc.returncode != 0, "a stopped sync must not report success"
        assert site.paid_copy(system_id) == {}
        runs = site.dump()["runs"]
        assert runs[-1]["status"] == "interrupted", runs[-1]
        sandbox.requests.clear()
        sandbox.controls.latency_ms = 0
        sync_until_done(site, system_id, full=True)
        assert_exact(site, sandbox, system_id)
        # Resumed, not restarted: clearly fewer requests than a whole pass.
        assert sandbox.requests.count < pages, (sandbox.requests.count, pages)


def test_sync_survives_a_failing_truncating_slow_server(site):
    """5xx, HTML error pages, truncated JSON, dropped connections and latency: retried, and
    the copy ends exact (R13, R15)."""
    with running_sandbox(invoices=INVOICES, seed=8) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        controls = sandbox.controls
        controls.latency_ms = 15
        controls.fail_every = 7
        controls.html_every = 11
        controls.truncate_every = 13
        controls.fail_next("drop", times=1)
        done = site.sync(system_id, full=True)
        assert done.returncode == 0, done.stderr
        faults = Counter(r.fault for r in sandbox.requests.records if r.fault)
        assert faults["status"] and faults["html"] and faults["truncate"] and faults["drop"], faults
        assert_exact(site, sandbox, system_id)

        # Invoices change; the cheap sync, again against a failing server, catches up exactly.
        state = sandbox.state
        rng = random.Random(8)
        for invoice_id in state.random_ids("Paid", 3, rng):
            state.refund(invoice_id)
        for invoice_id in state.random_ids("Paid", 2, rng):
            state.cancel(invoice_id)
        for invoice_id in state.random_ids("Paid", 2, rng):
            state.delete(invoice_id)
        for invoice_id in state.random_ids("Unpaid", 4, rng):
            state.pay(invoice_id)
        for invoice_id in state.random_ids("Paid", 2, rng):
            state.set_amounts(invoice_id, subtotal="123.45")
        for _ in range(60):
            state.add_invoice(status="Paid", subtotal="9.99", taxrate="8")
        done = site.sync(system_id)
        assert done.returncode == 0, done.stderr
        assert_exact(site, sandbox, system_id)


def test_a_failure_that_outlasts_the_retries_loses_nothing(site):
    """The server keeps failing: the sync fails with a reason, the copy keeps the last good
    figures, and a later sync ends exact (R15)."""
    with running_sandbox(invoices=INVOICES, seed=9) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        site.sync(system_id, full=True).check_returncode()
        good = site.paid_copy(system_id)
        for invoice_id in sandbox.state.random_ids("Unpaid", 10, random.Random(9)):
            sandbox.state.pay(invoice_id)
        sandbox.controls.fail_every = 1  # every call fails
        done = site.sync(system_id, full=True)
        assert done.returncode != 0
        assert done.stderr.strip(), "a failed sync must say why"
        assert site.paid_copy(system_id) == good
        sandbox.controls.reset()
        sync_until_done(site, system_id, full=True)
        assert_exact(site, sandbox, system_id)


@pytest.mark.parametrize("rate", [1, 3])
def test_invoices_changing_while_a_full_sync_pages(site, rate):
    """Invoices paid and refunded before every page (offset drift). The full sync either ends
    exact or, when the churn outlasts its bounded re-reads, fails saying so with the previous
    copy intact; once WHMCS is quieter one more sync ends equal to WHMCS (R7)."""
    with running_sandbox(invoices=INVOICES, seed=10 + rate) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        sandbox.controls.before_getinvoices = churn(pay=rate, refund=rate, seed=rate)
        done = site.sync(system_id, full=True)
        sandbox.controls.before_getinvoices = None
        if done.returncode != 0:
            assert "changing" in done.stderr.lower(), done.stderr
            assert site.paid_copy(system_id) == {}
        else:
            drift = site.dump()["runs"][-1]
            assert drift["status"] == "succeeded", drift
        sync_until_done(site, system_id, full=False)
        assert_exact(site, sandbox, system_id)


def test_two_syncs_of_one_system_at_once_run_one_pager(site):
    """Two full syncs started together: one runs, the other is refused (or joins); never two
    pagers, and the copy ends exact (R11)."""
    with running_sandbox(invoices=INVOICES, seed=12) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        sandbox.controls.latency_ms = 20
        procs = [site.start_sync(system_id, full=True) for _ in range(2)]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        codes = sorted(code for code, _out, _err in results)
        assert codes[0] == 0, results
        for code, _out, err in results:
            assert code == 0 or "already running" in err.lower(), err
        offsets = Counter(
            r.params.get("limitstart")
            for r in sandbox.requests.records
            if r.action == "getinvoices" and r.params.get("order", "asc") == "asc"
        )
        repeated = sum(n - 1 for n in offsets.values() if n > 1)
        assert repeated <= 3, f"offsets requested more than once: {repeated} (two pagers?)"
        assert_exact(site, sandbox, system_id)


def test_a_locked_database_delays_the_sync_but_loses_nothing(site):
    """Another connection holds SQLite's write lock for a few seconds mid-sync: the sync waits
    (busy timeout) instead of failing, and ends exact (R19)."""
    with running_sandbox(invoices=INVOICES, seed=13) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        sandbox.controls.latency_ms = 10
        proc = site.start_sync(system_id, full=True)
        assert wait_for_requests(sandbox, 10, proc)
        locker = sqlite3.connect(site.db_path, timeout=30, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # the write lock: every other writer waits
        time.sleep(4)
        locker.execute("ROLLBACK")
        locker.close()
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert_exact(site, sandbox, system_id)

        # And a lock held while a cheap sync writes its changes.
        for _ in range(30):
            sandbox.state.add_invoice(status="Paid", subtotal="5.00")
        locker = sqlite3.connect(site.db_path, timeout=30, isolation_level=None, check_same_thread=False)
        locker.execute("BEGIN IMMEDIATE")
        release = threading.Timer(3, lambda: (locker.execute("ROLLBACK"), locker.close()))
        release.start()
        done = site.sync(system_id)
        release.join()
        assert done.returncode == 0, done.stderr
        assert_exact(site, sandbox, system_id)


def fill_disk_during_full_sync(site: Site, sandbox, system_id: int) -> tuple[subprocess.Popen, str]:
    """Run a full sync that runs out of disk space while it stages its pages; returns the
    finished process and its standard error."""
    for invoice_id in sandbox.state.random_ids("Unpaid", 20, random.Random(14)):
        sandbox.state.pay(invoice_id)
    # Room for a few pages at most. In WAL mode the pages are written to the write-ahead log,
    # which starts empty (the last connection removed it), so no file may grow beyond 256 KiB:
    # less than staging every page takes, however many pages one commit holds.
    assert not list(site.data_dir.glob("forecaster.sqlite3-wal"))
    proc = site.start_sync(system_id, full=True, max_file_bytes=256 * 1024)
    _out, err = proc.communicate(timeout=300)
    return proc, err


def test_a_full_disk_fails_the_sync_and_loses_nothing(site):
    """The disk fills up while a full sync stages its pages: the sync fails, the copy keeps
    the last good figures, and once there is room again a rerun ends exact."""
    with running_sandbox(invoices=INVOICES, seed=14) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        site.sync(system_id, full=True).check_returncode()
        good = site.paid_copy(system_id)
        proc, _err = fill_disk_during_full_sync(site, sandbox, system_id)
        assert proc.returncode != 0, "a sync that could not write must not report success"
        assert site.paid_copy(system_id) == good
        sync_until_done(site, system_id, full=True)
        assert_exact(site, sandbox, system_id)


def test_a_full_disk_is_reported_in_one_line_and_frees_the_system(site):
    """The disk fills mid-sync: one line says so, nothing imported is lost, and the run is
    recorded as failed, so the next sync may start. Whether the small status write still fits
    depends on where the last page's commit ended (a table more or less moves it): when even
    that write failed, the run's process is gone and the next sync marks it interrupted."""
    with running_sandbox(invoices=INVOICES, seed=14) as sandbox:
        system_id = site.add_system(sandbox, step=STEP)
        site.sync(system_id, full=True).check_returncode()
        before = site.paid_copy(system_id)
        proc, err = fill_disk_during_full_sync(site, sandbox, system_id)
        assert proc.returncode != 0
        assert "Traceback" not in err, f"expected a one-line reason, got:\n{err[-1500:]}"
        assert "disk" in err.lower(), err
        assert site.paid_copy(system_id) == before
        failed = site.dump()["runs"][-1]
        if failed["status"] == "running":
            site.sync(system_id).check_returncode()  # not blocked by the dead process's run
            runs = {r["id"]: r for r in site.dump()["runs"]}
            assert runs[failed["id"]]["status"] == "interrupted"
        else:
            assert failed["status"] == "failed"


def test_log_lines_go_above_the_progress_bar_on_a_terminal(site):
    """On a terminal, a log line written while the progress bar is drawn starts a line of its
    own (the bar is cleared first and redrawn after), never runs on from the bar's text."""
    site.env["FORECASTER_LOG_LEVEL"] = "INFO"  # the run's summary is logged while the bar shows
    with running_sandbox(invoices=300, seed=2) as sandbox:
        system_id = site.add_system(sandbox, step=20)
        screen, returncode = on_a_terminal(site, "sync", str(system_id), "--full")
    assert returncode == 0, screen
    lines = [line.rsplit("\r", 1)[-1].replace("\x1b[K", "") for line in screen.split("\n")]
    logged = [line for line in lines if " INFO forecaster" in line]
    assert logged, screen
    for line in logged:
        assert "] step " not in line and line[:4].isdigit(), line  # starts with the log's date


def on_a_terminal(site: Site, *args: str) -> tuple[str, int]:
    """Run ``forecaster ARGS`` with standard output and error on a pseudo-terminal; return what
    it wrote (line ends as "\\n") and its exit status."""
    import os
    import pty

    from tests.harness import FORECASTER, PROJECT_DIR

    master, child = pty.openpty()
    proc = subprocess.Popen(
        [*FORECASTER, *args],
        env=site.env,
        cwd=PROJECT_DIR,
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the program ended and closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out.decode("utf-8", "replace").replace("\r\n", "\n"), proc.wait(timeout=300)
