"""Static files are served compressed, with long-lived hashed names, once collected (item 21)."""

from __future__ import annotations

import re

from forecaster.core.staticfiles import collect


def test_collected_static_files_have_hashed_names_and_are_served_compressed_for_a_year(
    admin_client, settings, tmp_path
):
    settings.STATIC_ROOT = tmp_path / "static"
    assert collect() is True
    assert collect() is False  # nothing changed: not hashed and compressed again
    page = admin_client.get("/").content.decode()
    script = re.search(r'src="(/static/vendor/htmx/htmx\.min\.[0-9a-f]{12}\.js)"', page)
    assert script, "the page does not name htmx by its hashed name"
    answer = admin_client.get(script.group(1), HTTP_ACCEPT_ENCODING="gzip")
    assert answer.status_code == 200
    assert answer["Content-Encoding"] == "gzip"
    max_age = int(re.search(r"max-age=(\d+)", answer["Cache-Control"]).group(1))
    assert max_age >= 365 * 24 * 3600 and "immutable" in answer["Cache-Control"]
    chart = admin_client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert chart.status_code == 200  # the plain name still answers (a page cached before)


def test_before_anything_is_collected_pages_name_the_plain_files(admin_client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "empty"
    settings.STATIC_ROOT.mkdir()
    page = admin_client.get("/").content.decode()
    assert 'src="/static/vendor/htmx/htmx.min.js"' in page
    assert admin_client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
