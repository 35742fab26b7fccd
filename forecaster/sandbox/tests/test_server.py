"""The HTTP server itself: keep-alive, concurrency, speed, shutdown and the CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from forecaster.sandbox.testing import running_sandbox
from forecaster.sandbox.tests.helpers import call


def test_keep_alive_reuses_one_connection():
    with running_sandbox(invoices=50) as sb, httpx.Client() as client:
        for _ in range(5):
            response = call(sb, client=client)
            assert response.http_version == "HTTP/1.1"
            assert "close" not in response.headers.get("connection", "")
        assert len(sb._connections) == 1


def test_concurrent_clients_get_consistent_answers():
    with running_sandbox(invoices=2000, seed=4) as sb:
        expected = call(sb, status="Paid", orderby="id", limitnum=100, limitstart=300).content
        sb.requests.clear()

        def worker(_):
            with httpx.Client() as client:
                return [
                    call(sb, client=client, status="Paid", orderby="id", limitnum=100,
                         limitstart=300).content
                    for _ in range(10)
                ]  # fmt: skip

        with ThreadPoolExecutor(8) as pool:
            bodies = [b for batch in pool.map(worker, range(8)) for b in batch]
        assert bodies == [expected] * 80
        assert sb.requests.count == 80


def test_mutations_during_concurrent_paging_never_break_a_page():
    with running_sandbox(invoices=3000, seed=6) as sb:
        stop = threading.Event()

        def mutate():
            ids = sb.state.ids("Paid")
            i = 0
            while not stop.is_set():
                sb.state.refund(ids[i % len(ids)])
                sb.state.pay(ids[i % len(ids)])
                i += 1

        mutator = threading.Thread(target=mutate)
        mutator.start()
        try:
            with httpx.Client() as client:
                for start in range(0, 2000, 100):
                    body = call(sb, client=client, status="Paid", orderby="id",
                                limitstart=start, limitnum=100).json()  # fmt: skip
                    ids = [i["id"] for i in body["invoices"]["invoice"]]
                    assert ids == sorted(ids) and len(ids) == 100
        finally:
            stop.set()
            mutator.join()


def test_stop_closes_idle_keep_alive_connections():
    sb = running_sandbox(invoices=10)
    server = sb.__enter__()
    client = httpx.Client()
    call(server, client=client)
    sb.__exit__(None, None, None)
    try:
        call(server, client=client)
    except httpx.TransportError:
        pass
    else:
        raise AssertionError("the server still answered after stop()")
    finally:
        client.close()


def test_cli_serves_prints_credentials_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "FORECASTER_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "forecaster", "sandbox", "--port", "0", "--invoices", "40",
         "--seed", "3", "--fail-every", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        url = re.search(r"URL:\s+(\S+)", "".join(lines)).group(1)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/includes/api\.php", url)
        assert "Identifier: sandbox-identifier" in "".join(lines)
        assert "Secret:     sandbox-secret" in "".join(lines)
        data = {
            "action": "GetInvoices", "identifier": "sandbox-identifier",
            "secret": "sandbox-secret", "responsetype": "json",
        }  # fmt: skip
        assert httpx.post(url, data=data).json()["totalresults"] == 40
        assert httpx.post(url, data=data).status_code == 500  # --fail-every 2
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
        assert process.returncode == 0, err
        assert "Stopped after 2 API calls." in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
