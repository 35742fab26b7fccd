"""The user's document, end to end in a real browser against the real service and a sandbox.

Administrator: first start → create the administrator → Accounting Systems → List of systems →
Create apiWHMCS → fill every field → Save → Test connection → Full sync (progress seen
advancing) → Sync → Revenue report with its chart → CSV download, checked against the sandbox
to the cent. Viewer: sees the systems and the revenue, never the secret, cannot change a thing.

Each page is saved to ``screenshots/`` as it is reached. Selectors are by role, label and
visible text — what a user sees — so markup can change without breaking the test.
"""

from __future__ import annotations

import csv
import io
import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from forecaster.currency.money import base_amounts
from forecaster.sandbox.testing import running_sandbox

ADMIN, ADMIN_PASSWORD = "finance-admin", "Quarterly-Ledger-8841"
VIEWER, VIEWER_PASSWORD = "accountant-viewer", "Read-Only-Ledger-5523"
SECRET = "e2e-canary-secret-9f3b1c"
RATE = Decimal("0.250000")  # PLN → USD: the sandbox bills in PLN, the base currency is USD
STEP = 50
TIMEOUT_MS = 15_000


def label(text: str) -> re.Pattern:
    """A label that starts with ``text`` (labels may carry a required-field star)."""
    return re.compile(rf"^\s*{re.escape(text)}", re.IGNORECASE)


def count_pattern(number: int) -> re.Pattern:
    """``number`` as a page may print it: 2210, 2,210 or 2 210."""
    return re.compile(r"\b" + f"{number:,}".replace(",", r"[,\s\u00a0\u202f]?") + r"\b")


def open_systems_list(page: Page) -> None:
    """Accounting Systems (menu) → List of systems, as the document says."""
    page.get_by_text("Accounting Systems", exact=True).click()
    page.get_by_role("navigation").get_by_role("link", name="List of systems", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("system", re.I))


def create_first_admin(page: Page, base_url: str, shot) -> None:
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/setup/"))
    shot(page, "first start - create the administrator")
    page.get_by_label(label("Username")).fill(ADMIN)
    page.get_by_label(re.compile(r"^\s*Password\s*\*?\s*$")).fill(ADMIN_PASSWORD)
    page.get_by_label(label("Password again")).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name=re.compile("Create the administrator", re.I)).click()
    expect(page.locator(".messages")).to_contain_text("Administrator account created")


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label(label("Username")).fill(username)
    page.get_by_label(label("Password")).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header .who")).to_contain_text(username)


def progress_of(page: Page) -> tuple[int, int] | None:
    """The "step k of n" the page shows now, if any."""
    text = page.locator("main").inner_text()
    match = re.search(r"[Ss]tep\s+(\d+)\s+of\s+(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def sync_controls(page: Page):
    return page.locator(".sync-controls").first


def wait_for_sync_end(page: Page, seen: set[tuple[int, int]], timeout: float = 120) -> str:
    """Watch the live progress (htmx replaces it in place every few seconds) until the run's
    progress bar is gone; returns what the controls say about the finished run."""
    deadline = time.monotonic() + timeout
    controls = sync_controls(page)
    while time.monotonic() < deadline:
        step = progress_of(page)
        if step:
            seen.add(step)
        if controls.get_by_role("progressbar").count() == 0 and re.search(r"\bLast\b", controls.inner_text()):
            return controls.inner_text()
        page.wait_for_timeout(150)
    raise AssertionError(f"the sync did not finish within {timeout:.0f} s; steps seen: {sorted(seen)}")


@pytest.mark.browser
def test_administrator_connects_whmcs_syncs_and_reads_revenue(browser, service, shot, tmp_path):
    with running_sandbox(invoices=2500, seed=11, currency="PLN") as sandbox:
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)

        # 1. First start: the administrator account.
        create_first_admin(page, service.url, shot)

        # 2. Accounting Systems → List of systems.
        open_systems_list(page)
        shot(page, "list of systems - empty")

        # 3. Create apiWHMCS → the connection details form, every field filled.
        page.get_by_role("link", name=re.compile("Create apiWHMCS", re.I)).or_(
            page.get_by_role("button", name=re.compile("Create apiWHMCS", re.I))
        ).first.click()
        page.get_by_label(label("Name")).fill("Sandbox Hosting PL")
        page.get_by_label(label("Description")).fill("Polish brand, billed in PLN; e2e test")
        page.get_by_label(label("URL")).fill(sandbox.url)
        page.get_by_label(label("Username (API Identifier)")).fill(sandbox.identifier)
        page.get_by_label(label("Password (API Secret)")).fill(sandbox.secret)
        page.get_by_label(label("Step")).fill(str(STEP))
        page.get_by_label(re.compile("Automatic synchronization", re.I)).check()
        page.get_by_label(label("Exchange rate")).fill(str(RATE))
        shot(page, "create apiWHMCS - connection details filled")

        # 4. Save: a clear success message; the secret is never shown back.
        page.get_by_role("button", name=re.compile(r"^\s*Save", re.I)).click()
        expect(page.locator(".messages")).to_contain_text(re.compile("saved|created", re.I))
        assert sandbox.secret not in page.content()
        shot(page, "system saved")

        # 5. Test connection: says it works and how many paid invoices WHMCS holds.
        paid = sandbox.paid_invoices()
        page.get_by_role("button", name=re.compile("Test connection", re.I)).first.click()
        result = page.get_by_role("status").filter(has_text=re.compile("Connection works"))
        expect(result).to_contain_text(count_pattern(len(paid)))
        shot(page, "test connection - success")

        # 6. Full sync: the progress bar advances step by step (slow the sandbox so it shows).
        sandbox.controls.latency_ms = 250
        page.get_by_role("button", name=re.compile(r"^\s*Full sync", re.I)).first.click()
        seen: set[tuple[int, int]] = set()
        deadline = time.monotonic() + 60
        while not progress_of(page) and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        first = progress_of(page)
        assert first, "no 'step k of n' progress appeared after Full sync"
        shot(page, "full sync - in progress")
        finished = wait_for_sync_end(page, seen)
        sandbox.controls.latency_ms = 0
        assert "OK" in finished, finished
        steps = {k for k, _n in seen}
        totals = {n for _k, n in seen}
        assert len(steps) >= 2, f"the progress did not advance: {sorted(seen)}"
        assert totals == {-(-len(paid) // STEP)}, f"n should be ceil({len(paid)}/{STEP}): {sorted(seen)}"
        # Without a reload, the details show what the run brought (refreshed when it ended).
        panel = page.locator("#system-panel")
        held = panel.get_by_role("row", name=re.compile("Invoices held")).get_by_role("cell")
        expect(held).to_contain_text(count_pattern(len(paid)))
        expect(panel.get_by_role("row", name=re.compile("Last sync"))).not_to_contain_text("never")
        page.reload()
        shot(page, "full sync - finished")

        # 7. Sync: one invoice paid meanwhile is brought in.
        new_id = sandbox.state.add_invoice(status="Paid", subtotal="100.00", taxrate="23")
        before = sync_controls(page).inner_text()
        page.get_by_role("button", name="Sync", exact=True).first.click()
        expect(sync_controls(page)).not_to_have_text(before)  # htmx swapped in the new run
        finished = wait_for_sync_end(page, set())
        assert re.search(r"OK.*\b1 added", finished, re.S), finished
        page.reload()
        shot(page, "sync - finished")
        paid = sandbox.paid_invoices()
        assert new_id in paid

        # The list of systems shows the invoices held and their total.
        open_systems_list(page)
        row = page.get_by_role("row", name=re.compile("Sandbox Hosting PL"))
        expect(row).to_contain_text(count_pattern(len(paid)))
        shot(page, "list of systems - synced")

        # 8. Revenue report and its chart.
        page.get_by_role("link", name="Revenue", exact=True).click()
        expect(page.locator("canvas").first).to_be_visible()
        expect(page.locator("table").first).to_be_visible()
        shot(page, "revenue report")

        # 9. CSV download: its total equals the sandbox's paid invoices, converted, to the cent.
        with page.expect_download() as download_info:
            page.get_by_role("link", name=re.compile(r"\bCSV\b", re.I)).first.click()
        saved = tmp_path / "revenue.csv"
        download_info.value.save_as(saved)
        text = saved.read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows, "the CSV has no rows"
        gross_key = next(k for k in rows[0] if k and k.strip().lower() == "gross")
        period_key = next(iter(rows[0]))
        body_rows = [r for r in rows if not r[period_key].strip().lower().startswith("total")]
        csv_gross = sum(Decimal(r[gross_key]) for r in body_rows)
        expected = sum(
            sum(base_amounts(RATE, inv["subtotal"], inv["tax"], inv["tax2"])) for inv in paid.values()
        )
        assert csv_gross == expected
        assert SECRET not in text and sandbox.secret not in text
        context.close()


@pytest.mark.browser
def test_viewer_sees_systems_and_revenue_but_never_the_secret(browser, service, shot):
    with running_sandbox(invoices=300, seed=12) as sandbox:
        service.cli("createadmin", "--username", ADMIN, input=ADMIN_PASSWORD + "\n")
        added = service.cli(
            "systems", "add", "whmcs", "--name", "Viewer Test WHMCS", "--url", sandbox.url,
            "--identifier", sandbox.identifier, "--step", "100", input=SECRET + "\n",
        )  # fmt: skip
        system_id = added.stdout.strip().splitlines()[-1]
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)

        # The administrator adds a viewer from the Users page.
        log_in(page, service.url, ADMIN, ADMIN_PASSWORD)
        page.get_by_role("link", name="Users").click()
        page.get_by_label(label("Username")).fill(VIEWER)
        page.get_by_label(re.compile(r"^\s*Password\s*\*?\s*$")).fill(VIEWER_PASSWORD)
        page.get_by_label(label("Password again")).fill(VIEWER_PASSWORD)
        page.get_by_label(label("Role")).select_option("viewer")
        page.get_by_role("button", name="Add user").click()
        expect(page.locator(".messages")).to_contain_text(f"User {VIEWER} created")
        shot(page, "users - viewer added")
        page.get_by_role("button", name="Log out").click()

        # The viewer sees the list and the revenue, with no way to change anything.
        log_in(page, service.url, VIEWER, VIEWER_PASSWORD)
        open_systems_list(page)
        expect(page.get_by_role("row", name=re.compile("Viewer Test WHMCS"))).to_be_visible()
        shot(page, "viewer - list of systems")
        for action in ("Create apiWHMCS", "Full sync", "Delete", "Save", "Test connection"):
            assert page.get_by_role("button", name=re.compile(action, re.I)).count() == 0, action
            assert page.get_by_role("link", name=re.compile(action, re.I)).count() == 0, action
        assert SECRET not in page.content()

        # Typing the edit address is refused, and never shows the secret.
        for path in (f"/systems/{system_id}/", f"/systems/{system_id}/edit/"):
            response = page.goto(service.url + path)
            assert response is not None
            assert SECRET not in page.content()
            if response.status == 200:
                expect(page.get_by_label(re.compile(r"Secret|Password", re.I))).to_have_count(0)
        shot(page, "viewer - edit refused")

        # A forged POST from the viewer's session changes nothing.
        token = page.context.cookies()
        csrf = next((c["value"] for c in token if c["name"] == "csrftoken"), "")
        forged = page.request.post(
            service.url + f"/systems/{system_id}/edit/",
            form={"name": "Hijacked", "secret": "attacker", "csrfmiddlewaretoken": csrf},
            headers={"X-CSRFToken": csrf, "Referer": service.url + "/"}, max_redirects=0,
        )  # fmt: skip
        assert forged.status in (302, 403, 404, 405)
        listing = service.cli("systems", "list", "--format", "json").stdout
        assert "Viewer Test WHMCS" in listing and "Hijacked" not in listing
        assert SECRET not in listing

        page.get_by_role("link", name="Revenue", exact=True).click()
        expect(page.locator("main")).to_be_visible()
        shot(page, "viewer - revenue")
        assert SECRET not in page.content()
        context.close()
