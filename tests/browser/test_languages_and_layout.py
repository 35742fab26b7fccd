"""Every page in English, Polish and Russian, on a phone (390 px) and a laptop (1,280 px).

The English flow itself (create, test, sync, report) is ``test_user_flow``; here a system is
connected and synced through the CLI, then each language is chosen with the menu's switcher and
every page the menu reaches (plus a system's own pages, a long report and a missing page) is
checked for:

- no horizontal overflow: the document is never wider than the window;
- no serious or critical accessibility violation found by axe-core (from the npm registry,
  ``node_modules/axe-core``), WCAG 2.1 A and AA rules;
- in Polish and Russian, no English string left: no visible text or visible attribute equals an
  English entry of the catalogues whose translation differs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from forecaster.sandbox.testing import running_sandbox
from tests.browser.test_user_flow import ADMIN, ADMIN_PASSWORD, create_first_admin
from tests.harness import PROJECT_DIR

AXE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
LANGUAGES = ("en", "pl", "ru")
TIMEOUT_MS = 15_000

# What a person sees: text nodes outside script/style/code, and the attributes that are read out.
VISIBLE_STRINGS_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest("script, style, code, pre, [hidden]")) continue;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll("[title], [placeholder], [aria-label], [alt]")) {
    for (const name of ["title", "placeholder", "aria-label", "alt"]) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.replace(/\\s+/g, " ").trim());
    }
  }
  return out;
}"""

AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def _english_entries(language: str) -> set[str]:
    """English msgids (plain text, no placeholders or markup) whose translation differs."""
    found: set[str] = set()
    for po in (PROJECT_DIR / "forecaster").glob(f"**/locale/{language}/LC_MESSAGES/django.po"):
        text = po.read_text(encoding="utf-8")
        for msgid, msgstr in re.findall(r'^msgid (".*")\nmsgstr (".*")$', text, re.M):
            english, translated = ast.literal_eval(msgid), ast.literal_eval(msgstr)
            if len(english) > 1 and translated and translated != english and not re.search(r"[<%{]", english):
                found.add(english)
    return found


def _pages(page: Page, base: str, system_id: str) -> list[str]:
    """Every page the menu links to, and the pages reached from a system."""
    page.goto(base + "/")
    links = page.eval_on_selector_all(
        "header nav a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
    )
    extra = [
        f"/systems/{system_id}/",
        f"/systems/{system_id}/edit/",
        "/systems/new/whmcs/",
        f"/sync/{system_id}/",
        f"/reports/rates/{system_id}/",
        "/reports/revenue/?by=day",
        "/no-such-page/",
    ]
    return list(dict.fromkeys([*links, *extra]))


def _choose_language(page: Page, base: str, code: str) -> None:
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.goto(base + "/")
    page.locator(f"form.language button[value='{code}']").first.click()
    expect(page.locator("html")).to_have_attribute("lang", code)


@pytest.mark.browser
def test_every_page_in_three_languages_fits_the_screen_and_passes_axe(browser, service, shot):
    with running_sandbox(invoices=400, seed=5, currency="PLN") as sandbox:
        service.cli(
            "systems", "add", "whmcs", "--name", "Sandbox PL", "--url", sandbox.url,
            "--identifier", sandbox.identifier, "--exchange-rate", "0.25", "--step", "100",
            input=sandbox.secret + "\n",
        )  # fmt: skip
        service.cli("sync", "Sandbox PL", "--full")
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        create_first_admin(page, service.url, shot)  # signs the administrator in
        system_id = re.search(r"/systems/(\d+)/", page.goto(service.url + "/systems/").text()).group(1)
        urls = _pages(page, service.url, system_id)
        assert len(urls) >= 12, urls

        problems: list[str] = []
        axe_source = AXE.read_text(encoding="utf-8")
        for language in LANGUAGES:
            _choose_language(page, service.url, language)
            english = _english_entries(language) if language != "en" else set()
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                for url in urls:
                    response = page.goto(service.url + url)
                    where = f"{language} {width}px {url}"
                    if response.status >= 500 or (response.status >= 400 and url != "/no-such-page/"):
                        problems.append(f"{where}: HTTP {response.status}")
                        continue
                    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                    if wide[0] > wide[1]:
                        problems.append(f"{where}: document {wide[0]} px wide in a {wide[1]} px window")
                        shot(page, f"too wide {language} {width} {url}")
                    if english:
                        left = sorted({s for s in page.evaluate(VISIBLE_STRINGS_JS) if s in english})
                        if left:
                            problems.append(f"{where}: untranslated {left}")
                    if width == WIDTHS[0] or language == "en":
                        page.evaluate(axe_source)
                        for violation in page.evaluate(AXE_RUN_JS):
                            problems.append(f"{where}: axe {violation}")
                if language != "en":
                    shot(page, f"{language} {width}px last page")
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_the_menu_collapses_on_a_phone_and_opens_without_script(browser, service, shot):
    context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    service.cli("createadmin", "--username", ADMIN, input=ADMIN_PASSWORD + "\n")
    page.goto(service.url + "/accounts/login/")
    page.get_by_label(re.compile(r"^\s*Username")).fill(ADMIN)
    page.get_by_label(re.compile(r"^\s*Password")).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    expect(menu).to_be_visible()
    shot(page, "phone - menu open")
    menu.get_by_role("link", name="Revenue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revenue")
    context.close()


def test_axe_core_comes_from_the_npm_registry():
    assert AXE.exists(), "run `make install` (npm ci installs axe-core from package-lock.json)"
    assert '"axe-core"' in Path(PROJECT_DIR / "package.json").read_text(encoding="utf-8")
