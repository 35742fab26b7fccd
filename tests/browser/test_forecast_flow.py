"""The forecast, end to end in a real browser: synced revenue and a commitment → Outlook (chart
drawn from our own static files, a cell explained on click) → a scenario saved by name with a
cancelled and an added commitment → the outlook under it → compared side by side."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from forecaster.sandbox.testing import running_sandbox

ADMIN, ADMIN_PASSWORD = "forecast-admin", "Outlook-Ledger-2207"
TIMEOUT_MS = 20_000

SETUP_COSTS = """
from datetime import date, timedelta
from decimal import Decimal
from django.utils import timezone
from forecaster.costs.models import Agreement, Commitment, Counterparty
today = timezone.localdate()
first = today.replace(day=1)
end = (first + timedelta(days=130)).replace(day=1) - timedelta(days=1)
party = Counterparty.objects.create(company_name="Datacenter One")
agreement = Agreement.objects.create(counterparty=party, title="Colocation", starts_on=date(2024, 1, 1),
    expires_on=end, notice_value=1, notice_unit="months", tacit_renewal=True)
Commitment.objects.create(name="Rack A12", agreement=agreement, expected_amount=Decimal("1500.00"),
    expected_currency="USD", frequency="monthly")
"""


def test_outlook_and_a_scenario(browser, service, shot):
    with running_sandbox(invoices=3000, seed=5) as sandbox:
        service.cli("createadmin", "--username", ADMIN, input=ADMIN_PASSWORD + "\n")
        added = service.cli(
            "systems", "add", "whmcs", "--name", "Sandbox Hosting", "--url", sandbox.url,
            "--identifier", sandbox.identifier, input=sandbox.secret + "\n",
        )  # fmt: skip
        system_id = added.stdout.strip().splitlines()[-1]
        service.cli("sync", system_id, "--full")
        service.cli("manage", "shell", "-c", SETUP_COSTS)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(service.url + "/accounts/login/")
    page.get_by_label(re.compile(r"^\s*Username")).fill(ADMIN)
    page.get_by_label(re.compile(r"^\s*Password")).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The dashboard names the next cancel-by date.
    expect(page.get_by_text("Next cancel-by date")).to_be_visible()
    expect(page.get_by_text("Colocation").first).to_be_visible()

    # Forecast → Outlook: 12 actual and 12 forecast months, the chart drawn.
    menu = page.get_by_role("navigation")
    menu.get_by_text("Forecast", exact=True).click()
    menu.get_by_role("link", name="Outlook", exact=True).click()
    expect(page.get_by_role("heading", name="Outlook")).to_be_visible()
    expect(page.locator("#outlook-chart[data-ready='1']")).to_have_count(1)
    expect(page.locator("table.outlook tbody tr.forecast")).to_have_count(12)
    # A costs cell explains itself on click.
    first_forecast = page.locator("table.outlook tbody tr.forecast").first
    first_forecast.locator("details.why summary").nth(1).click()
    expect(first_forecast.get_by_text(re.compile("Rack A12: 1,500.00"))).to_be_visible()
    shot(page, "outlook")

    # A scenario: churn, Rack A12 cancelled at its next cancel-by date, a new commitment.
    page.goto(service.url + "/forecasts/scenarios/")
    page.get_by_role("link", name="New scenario").click()
    page.get_by_label(re.compile(r"^\s*Name")).fill("Churn, no rack")
    page.get_by_label(re.compile("revenue growth", re.I)).fill("-10")
    page.get_by_label("Rack A12").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Scenario “Churn, no rack” saved.")).to_be_visible()
    page.get_by_label(re.compile(r"^\s*Name")).nth(1).fill("New PoP")
    page.get_by_label(re.compile("amount per month", re.I)).fill("400.00")
    page.get_by_label(re.compile(r"^\s*Currency")).fill("USD")
    page.get_by_label(re.compile(r"^\s*From")).fill(page.evaluate("new Date().toISOString().slice(0, 10)"))
    page.get_by_role("button", name="Add a commitment").click()
    expect(page.get_by_text(re.compile("New PoP: 400.00 USD"))).to_be_visible()
    page.get_by_role("link", name="Open on the outlook").click()
    expect(page.get_by_text("scenario “Churn, no rack”")).to_be_visible()
    last = page.locator("table.outlook tbody tr.forecast").last
    # Columns: revenue, its pipeline, costs: the rack has ended, the PoP goes on.
    expect(last.locator("td").nth(2)).to_contain_text("400.00")
    shot(page, "outlook under a scenario")

    # Side by side with the plain forecast.
    page.goto(service.url + "/forecasts/scenarios/")
    page.get_by_label(re.compile("Compare Churn, no rack")).check()
    page.get_by_role("button", name="Compare side by side").click()
    expect(page.get_by_role("columnheader", name="Plain forecast")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Churn, no rack")).to_be_visible()
    shot(page, "scenarios side by side")
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
    context.close()
