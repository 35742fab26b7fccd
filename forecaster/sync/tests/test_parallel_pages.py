"""Parallel pages: a system's "parallel requests" in flight at once, committed in order; a
Retry-After pauses every request of the system (the sandbox over loopback HTTP)."""

from __future__ import annotations

import threading
import time

import pytest

from forecaster.sync.engine import run_sync
from forecaster.systems.whmcs.client import RetryPolicy, WhmcsClient
from tests.builders import assert_exact, make_system

pytestmark = pytest.mark.django_db


class InFlight:
    """Wraps the sandbox's API: counts the requests it is answering at once (each held a
    moment, so that requests sent together meet) and when each one arrived."""

    def __init__(self, sb, hold: float = 0.05) -> None:
        self.sb, self.hold, self.original = sb, hold, sb.api.handle
        self.lock = threading.Lock()
        self.now = self.peak = 0
        self.starts: list[tuple[float, str]] = []
        sb.api.handle = self

    def __call__(self, params, client_ip):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.starts.append((time.monotonic(), params.get("limitstart", "")))
        try:
            time.sleep(self.hold)
            return self.original(params, client_ip)
        finally:
            with self.lock:
                self.now -= 1


@pytest.mark.parametrize("parallel", [1, 4])
def test_a_full_sync_keeps_the_systems_parallel_requests_in_flight_and_ends_exact(sb, parallel):
    system = make_system(sb, step=10, parallel_requests=parallel)
    probe = InFlight(sb)
    run = run_sync(system, "full", "cli")
    assert run.status == "succeeded", run.error_message
    assert probe.peak == parallel
    assert_exact(system, sb)
    assert run.step == run.steps_total  # every page committed, in order


def test_parallel_pages_survive_drift_and_faults_and_end_exact(sb):
    from forecaster.sandbox.faults import churn

    system = make_system(sb, step=10, parallel_requests=8)
    sb.controls.before_getinvoices = churn(pay=2, refund=2, seed=3)
    sb.controls.fail_every = 7
    client = WhmcsClient.for_system(system, sleep=lambda seconds: None)
    try:
        run = run_sync(system, "full", "cli", client=client)
    finally:
        client.close()
    sb.controls.reset()
    assert run.status == "succeeded", run.error_message
    # The churn went on until the last request; one more cheap sync always converges.
    run_sync(system, "incremental", "cli")
    assert_exact(system, sb)


def test_retry_after_pauses_every_request_of_the_system_not_only_the_one_refused(sb, db):
    """One request answered 429 with Retry-After: 1; a request another thread sends during
    that second waits for it too."""
    system = make_system(sb, step=10)
    probe = InFlight(sb, hold=0)
    sb.controls.fail_status, sb.controls.retry_after = 429, 1
    sb.controls.fail_next("status")
    paused = threading.Event()

    def sleep(seconds: float) -> None:
        paused.set()
        time.sleep(seconds)

    client = WhmcsClient.for_system(system, sleep=sleep, retry=RetryPolicy(jitter=0))
    try:
        first = threading.Thread(target=client.get_invoices, kwargs={"limitstart": 0, "limitnum": 5})
        first.start()
        assert paused.wait(10)
        refused_at = time.monotonic()
        page = client.get_invoices(limitstart=50, limitnum=5)
        first.join()
    finally:
        client.close()
    assert page.returned == 5
    other = [at for at, start in probe.starts if start == "50"]
    assert other and other[0] - refused_at >= 0.8
