"""A hostile WHMCS: odd records, absurd counts, endless pages, a dripping answer, an echoed secret.

Each test runs the real ``forecaster`` CLI (and, at the end, the real service) against a
:class:`~tests.faults.hostile.HostileWhmcs` on loopback. What must hold whatever the
server says: one record never stops a sync (it is quarantined with a reason), a run always ends
with a reason, nothing hangs, and afterwards every system still syncs and every page answers.
"""

from __future__ import annotations

import json
import re
import signal
import time
from decimal import Decimal
from urllib.parse import quote

import httpx

from tests.faults.hostile import HostileWhmcs, Raw, invoice
from tests.faults.site import Site
from tests.harness import LiveService

# Each of these once stopped every import of its system (hardening, item 1).
ODD_RECORDS = {
    "amount 1e27": {"subtotal": "1e27"},
    "amount 1e309 as text": {"total": "1e309"},
    "amount 1e309 as a JSON number": {"total": Raw("1e309")},
    "taxrate 1e30": {"taxrate": "1e30"},
    "datepaid in year 9999": {"datepaid": "9999-12-31 23:59:59"},
    "datepaid in year 1 (Warsaw)": {"datepaid": "0001-01-01 00:30:00"},
    "amount with 16 significant digits": {"total": "99999999999999.99"},
}
ODD_IDS = ["²", str(2**63), 2**63]  # served last but the first, as WHMCS orders by id
GOOD = 20  # well-formed invoices around the odd ones: ids 10, 20, … 200


def hostile_site(site: Site) -> Site:
    """Invoice dates paid are read in Warsaw time (year 1 at 00:30 there is before year 1 in UTC)."""
    site.env["FORECASTER_TIME_ZONE"] = "Europe/Warsaw"
    return site


def odd_server(whmcs: HostileWhmcs) -> None:
    """Good invoices with one odd record after each of the first ones, in id order."""
    odd = [invoice(10 * (i + 1) + 5, **fields) for i, fields in enumerate(ODD_RECORDS.values())]
    odd.insert(3, invoice(ODD_IDS[0]))
    for n in range(1, GOOD + 1):
        whmcs.add(invoice(10 * n, subtotal=f"{n}.00", tax="0.00", total=f"{n}.00"))
        if odd:
            whmcs.add(odd.pop(0))
    whmcs.add(*(invoice(whmcs_id) for whmcs_id in ODD_IDS[1:]))


def quarantined(site: Site, system_id: int) -> list[dict]:
    return [q for q in site.dump()["quarantined"] if q["system"] == system_id]


def test_odd_records_are_quarantined_and_the_sync_goes_on(site):
    """Item 1: every odd value is quarantined with a reason; the good invoices arrive; the
    next sync (cheap and full) succeeds too."""
    hostile_site(site)
    with HostileWhmcs() as whmcs:
        odd_server(whmcs)
        system_id = site.add_system(whmcs, step=7)
        for full in (True, False, True):
            done = site.sync(system_id, full=full)
            assert done.returncode == 0, done.stderr
            assert "Traceback" not in done.stderr
        dump = site.dump()
        held = {row["whmcs_id"] for row in dump["invoices"] if row["system"] == system_id}
        assert held == {10 * n for n in range(1, GOOD + 1)}
        reasons = quarantined(site, system_id)
        assert {q["whmcs_id"] for q in reasons} >= {10 * (i + 1) + 5 for i in range(len(ODD_RECORDS))}
        assert all(q["error"] and "could not be read" not in q["error"] for q in reasons), reasons
        assert "unreadable (quarantined)" in done.stdout
        report = site.cli("report", "revenue", "--format", "json")
        assert report.returncode == 0, report.stderr


def test_huge_amounts_neither_overflow_sums_nor_change_on_every_sync(site):
    """Item 6: 1 000 invoices of 99,999,999,999,999.99 are refused at import (they would
    overflow the sums and lose a digit), the largest accepted amount is held to the cent, sums
    stay exact, and a second sync finds nothing changed."""
    with HostileWhmcs() as whmcs:
        top = "99999999999.99"  # the largest amount accepted (11 digits before the point)
        whmcs.add(*(invoice(n, subtotal=top, tax="0.00", total=top) for n in range(1, 1001)))
        huge = "99999999999999.99"  # 16 significant digits: refused
        whmcs.add(*(invoice(n, subtotal=huge, total=huge) for n in range(1001, 2001)))
        system_id = site.add_system(whmcs, step=500)
        first = site.sync(system_id, full=True)
        assert first.returncode == 0, first.stderr
        assert "1000 new" in first.stdout and "1000 unreadable" in first.stdout
        again = site.sync(system_id, full=True)
        assert again.returncode == 0, again.stderr
        assert "0 new, 0 changed, 0 removed" in again.stdout, again.stdout
        cheap = site.sync(system_id)
        assert "0 new, 0 changed, 0 removed" in cheap.stdout, cheap.stdout
        held = [r for r in site.dump()["invoices"] if r["system"] == system_id]
        assert {r["total"] for r in held} == {top}
        listed = site.cli("systems", "list", "--format", "json")
        assert listed.returncode == 0, listed.stderr
        assert str(Decimal(top) * 1000) in listed.stdout


def login(service: LiveService, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=service.url, timeout=60, follow_redirects=False)
    client.get("/accounts/login/")
    token = client.cookies.get("csrftoken", "")
    done = client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": service.url + "/accounts/login/"},
    )
    assert done.status_code == 302, done.text[:500]
    return client


def test_after_the_hostile_servers_every_system_syncs_and_every_page_answers(site):
    """The suite's closing check: with systems behind hostile servers (odd records, the
    largest amounts) behaving again, every system syncs and every page answers."""
    hostile_site(site)
    with HostileWhmcs() as odd, HostileWhmcs() as rich:
        odd_server(odd)
        top = "99999999999.99"
        rich.add(*(invoice(n, subtotal=top, tax="0.00", total=top) for n in range(1, 101)))
        rich.add(invoice(101, total="99999999999999.99"))
        ids = [site.add_system(odd, step=5, name="Odd WHMCS"), site.add_system(rich, name="Rich WHMCS")]
        for system_id in ids:
            for full in (True, False):
                done = site.sync(system_id, full=full)
                assert done.returncode == 0, done.stderr
        site.cli("createadmin", "--username", "admin", input="correct horse battery staple\n", check=True)
        with LiveService(site.data_dir, worker=False, FORECASTER_TIME_ZONE="Europe/Warsaw") as service:
            web = login(service, "admin", "correct horse battery staple")
            pages = ["/", "/systems/", "/sync/", "/reports/revenue/", "/reports/revenue/?by=day"]
            for system_id in ids:
                pages += [f"/systems/{system_id}/", f"/sync/{system_id}/", f"/reports/rates/{system_id}/"]
            for page in pages:
                answer = web.get(page)
                assert answer.status_code == 200, (page, answer.status_code, answer.text[:300])
            token = site._dbtool("issue-token", "hostile")
            for page in ("/api/systems", "/api/revenue"):
                bearer = {"Authorization": f"Bearer {token}"}
                answer = httpx.get(service.url + page, headers=bearer, timeout=60)
                assert answer.status_code == 200, (page, answer.text[:300])
            listing = web.get("/systems/").text
            assert re.search(r"9\D?999\D?999\D?999\D?999[.,]00", listing)  # 100 × the largest amount


def test_a_dripping_server_cannot_hold_test_connection_or_a_sync(site):
    """Item 4: one byte every 3 s never trips a read timeout. Test connection still ends at
    its 10 s timeout and a sync at the request deadline (set to 6 s here), each with a timeout
    reason; once the server behaves, the system syncs."""
    site.env["FORECASTER_REQUEST_DEADLINE"] = "6"
    with HostileWhmcs() as whmcs:
        whmcs.add(*(invoice(n) for n in range(1, 31)))
        system_id = site.add_system(whmcs, step=10)
        whmcs.drip = 3.0
        # Without a total deadline the answer (about 400 bytes) takes some twenty minutes.
        tested = site.cli("systems", "test", str(system_id), timeout=120)
        assert tested.returncode == 1 and "did not answer in time" in tested.stderr, tested.stderr
        synced = site.sync(system_id, full=True, timeout=120)
        assert synced.returncode == 1 and "did not answer in time" in synced.stderr, synced.stderr
        whmcs.reset()
        done = site.sync(system_id, full=True)
        assert done.returncode == 0 and "30 new" in done.stdout, done.stderr


def test_an_implausible_count_or_endless_pages_fail_the_run_with_a_reason(site):
    """Item 3: totalresults 10**30 or 10**9 (pages always full), or full pages that never
    bring a new id, end the run at once with a reason — no raw OverflowError, no run left
    "running", no millions of staged rows — and the system's staged rows go with the system."""
    with HostileWhmcs() as whmcs:
        whmcs.add(*(invoice(n) for n in range(1, 101)))
        system_id = site.add_system(whmcs, step=10)
        whmcs.total = 10**30
        for _ in range(2):  # the first run ended: the second is not refused as "already running"
            done = site.sync(system_id, full=True, timeout=120)
            assert done.returncode == 1 and "impossible “totalresults”" in done.stderr, done.stderr
            assert "OverflowError" not in done.stderr and "Traceback" not in done.stderr
        whmcs.total, whmcs.endless = None, True  # 10**9, every page full of new ids
        done = site.sync(system_id, full=True, timeout=120)
        assert done.returncode == 1 and "more than any installation holds" in done.stderr, done.stderr
        assert whmcs.requests < 10 and site.dump()["staged"] == 0
        whmcs.endless, whmcs.repeat, whmcs.total = False, True, 100_000  # the same page forever
        done = site.sync(system_id, full=True, timeout=120)
        assert done.returncode == 1 and "without a single new invoice" in done.stderr, done.stderr
        dump = site.dump()
        assert 0 < dump["staged"] <= 11 and all(r["status"] != "running" for r in dump["runs"])
        whmcs.reset()
        done = site.sync(system_id, full=True)
        assert done.returncode == 0 and "100 new" in done.stdout, done.stderr
        whmcs.repeat = True
        whmcs.total = 100_000
        assert site.sync(system_id, full=True, timeout=120).returncode == 1
        assert site.dump()["staged"] > 0
        site.cli("systems", "delete", str(system_id), "--yes", check=True)
        assert site.dump()["staged"] == 0


def test_serve_marks_runs_of_killed_processes_interrupted_when_it_starts(site):
    """Item 5: a sync killed with SIGKILL stays "running" in the database; when the service
    starts, that run is marked interrupted (resumable), without waiting for the next sync."""
    with HostileWhmcs() as whmcs:
        whmcs.add(*(invoice(n) for n in range(1, 201)))
        system_id = site.add_system(whmcs, step=10)
        whmcs.drip = 0.001  # about half a second a page: the kill lands mid-run
        proc = site.start_sync(system_id, full=True)
        while whmcs.requests < 3 and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert [r["status"] for r in site.dump()["runs"]] == ["running"]
        with LiveService(site.data_dir, worker=False):
            runs = site.dump()["runs"]
        assert [r["status"] for r in runs] == ["interrupted"], runs
        whmcs.reset()
        done = site.sync(system_id, full=True)
        assert done.returncode == 0 and "200 new" in done.stdout, done.stderr


def test_a_run_that_lost_its_claim_never_finishes(site):
    """Item 4: when a live run is taken for dead (its heartbeat aged past the limit) and a
    second run of the system starts, the first stops instead of running on beside it and
    later overwriting "interrupted" with "succeeded"."""
    with HostileWhmcs() as whmcs:
        whmcs.add(*(invoice(n) for n in range(1, 301)))
        system_id = site.add_system(whmcs, step=10)
        whmcs.drip = 0.0005  # about a second a page
        first = site.start_sync(system_id, full=True)
        while whmcs.requests < 3 and first.poll() is None:
            time.sleep(0.05)
        whmcs.drip = 0.02  # the first run's next page takes about a minute
        for _attempt in range(3):
            site.age_heartbeats(30)  # as if it had been silent for half an hour
            second = site.start_sync(system_id, full=True)
            while len(site.dump()["runs"]) < 2 and second.poll() is None:
                time.sleep(0.1)
            if len(site.dump()["runs"]) == 2:
                break
            second.communicate()  # refused: the heartbeat beat in between; age it again
        whmcs.drip = None
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0 and "300 new" in out, err
        _out, err = first.communicate(timeout=300)
        runs = site.dump()["runs"]
        assert [r["status"] for r in runs] == ["interrupted", "succeeded"], (runs, err)
        assert first.returncode == 1 and "Traceback" not in err, err
        held = [r for r in site.dump()["invoices"] if r["system"] == system_id]
        assert len(held) == 300


def test_a_secret_or_identifier_echoed_by_the_server_is_masked_everywhere(site):
    """Item 12: a server that echoes the API secret ("Invalid IP <secret>"), a redirect whose
    Location holds the secret and the identifier, and an error quoting both: neither reaches the
    sync history, the system's last result, the CLI, /api/systems or Test connection's answer."""
    with HostileWhmcs() as whmcs:
        whmcs.add(*(invoice(n) for n in range(1, 11)))
        system_id = site.add_system(whmcs, step=5)
        seen: list[str] = []  # everything shown or stored
        echoes = ("invalid-ip", "redirect", "error")
        for echo in echoes:
            whmcs.echo = echo
            tested = site.cli("systems", "test", str(system_id))
            synced = site.sync(system_id, full=True)
            assert tested.returncode == 1 and synced.returncode == 1, (echo, synced.stdout)
            assert "Traceback" not in tested.stderr + synced.stderr
            listed = site.cli("systems", "list", "--format", "json")
            seen += [tested.stdout, tested.stderr, synced.stdout, synced.stderr, listed.stdout]
        runs = site.dump()["runs"]
        assert len(runs) == len(echoes) and all(r["status"] == "failed" for r in runs), runs
        assert "********" in runs[0]["error_message"]  # the IP WHMCS "saw" is shown masked
        seen.append(json.dumps(runs))
        site.cli("createadmin", "--username", "admin", input="correct horse battery staple\n", check=True)
        with LiveService(site.data_dir, worker=False) as service:
            web = login(service, "admin", "correct horse battery staple")
            for echo in echoes:
                whmcs.echo = echo
                answer = web.post(
                    f"/systems/{system_id}/test/",
                    headers={"HX-Request": "true", "X-CSRFToken": web.cookies.get("csrftoken", "")},
                )
                assert answer.status_code == 200, answer.text[:300]
                seen.append(answer.text)
            for page in ("/systems/", f"/sync/{system_id}/", "/sync/"):
                seen.append(web.get(page).text)
            token = site._dbtool("issue-token", "echo")
            api = httpx.get(service.url + "/api/systems", headers={"Authorization": f"Bearer {token}"})
            assert api.status_code == 200
            seen.append(api.text)
            assert whmcs.identifier not in api.text + json.dumps(runs)
        for text in seen:
            assert whmcs.secret not in text and quote(whmcs.secret) not in text, text[:2000]
