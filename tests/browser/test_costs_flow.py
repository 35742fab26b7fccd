"""The cost side end to end in a real browser: counterparty → agreement → commitment → cost
invoice → the dashboard shows costs and the result (revenue − costs).

Selectors are by role, label and visible text; each page is saved to ``screenshots/``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_user_flow import ADMIN, ADMIN_PASSWORD, TIMEOUT_MS, label, log_in


def open_costs(page, entry: str) -> None:
    page.get_by_text("Costs", exact=True).first.click()
    page.get_by_role("navigation").get_by_role("link", name=entry, exact=True).click()


@pytest.mark.browser
def test_administrator_records_a_contract_and_its_invoice_and_sees_the_result(browser, service, shot):
    service.cli("createadmin", "--username", ADMIN, input=ADMIN_PASSWORD + "\n")
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    log_in(page, service.url, ADMIN, ADMIN_PASSWORD)

    # 1. Counterparty.
    open_costs(page, "Counterparties")
    expect(page.get_by_text("No counterparties yet")).to_be_visible()
    page.get_by_role("link", name="New counterparty").click()
    page.get_by_label(label("Company name")).fill("Nordic Colo GmbH")
    page.get_by_label(label("VAT id")).fill("DE 123 456 789")
    page.get_by_label(label("Country")).fill("de")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Nordic Colo GmbH")
    shot(page, "costs - counterparty created")

    # 2. Agreement from the counterparty's page: renews yearly, 3 months' notice.
    page.get_by_role("link", name="Add agreement").click()
    page.get_by_label(label("Title")).fill("Colocation, 2 racks")
    page.get_by_label(label("Start date")).fill("2024-06-01")
    page.get_by_label(label("Expiry date")).fill("2025-05-31")
    page.get_by_label(label("Tacit renewal")).check()
    page.get_by_label(label("Notice period")).fill("3")
    page.get_by_label(label("Notice unit")).select_option("months")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Colocation, 2 racks")
    cancel_by = page.locator('[data-term="cancel-by"]').inner_text()
    assert re.search(r"\d{4}-0[23]-(28|29|30|31)", cancel_by), cancel_by  # 3 months before a 31 May
    shot(page, "costs - agreement with cancel-by")

    # 3. Commitment bound to the agreement.
    page.get_by_role("link", name="Add commitment").click()
    page.get_by_label(label("Name")).fill("Colocation Frankfurt")
    page.get_by_label(label("Agreement")).select_option(label="Colocation, 2 racks (Nordic Colo GmbH)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Colocation Frankfurt")
    shot(page, "costs - commitment")

    # 4. Cost invoice for it; a wrong gross is refused first, nothing saved.
    page.get_by_role("link", name="Add cost invoice").click()
    page.get_by_label(label("Number")).fill("NC-2024-118")
    page.get_by_label(label("Document date")).fill(datetime.now(UTC).date().isoformat())  # this month, UTC
    page.get_by_label(label("Net")).fill("3800.00")
    page.get_by_label(label("VAT")).fill("874.00")
    page.get_by_label(label("Gross")).fill("4674.01")
    page.get_by_label(label("Currency")).fill("USD")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("4674.00, not 4674.01")
    page.get_by_label(label("Gross")).fill("4674.00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("NC-2024-118 saved")
    shot(page, "costs - cost invoice")

    # 5. The commitment counts it; the costs report and the dashboard show it.
    page.get_by_role("link", name="Colocation Frankfurt").first.click()
    expect(page.locator('[data-kpi="incurred"]')).to_contain_text("3,800.00")
    open_costs(page, "Costs report")
    expect(page.locator("table.report tfoot")).to_contain_text("4,674.00")
    shot(page, "costs - report")
    page.get_by_role("navigation").get_by_role("link", name="Dashboard").click()
    expect(page.locator('[data-kpi="costs-1"]')).to_contain_text("3,800.00")  # costs this month
    expect(page.locator('[data-kpi="result-1"]')).to_contain_text("-3,800.00")  # no revenue yet
    expect(page.locator('canvas[data-source="result-chart-data"]')).to_have_attribute("data-ready", "1")
    shot(page, "dashboard - costs and result")
    context.close()
