"""Keep the benchmark scripts working: a tiny ``bench.run --smoke`` writes every section.

Two sizes, the original algorithm at the smaller only, as ``make bench`` runs it.

The real figures come from ``make bench`` (too long for CI); this only proves the scripts
still run end to end against the current code and produce a complete report.
"""

from __future__ import annotations

import subprocess
import sys

from tests.harness import PROJECT_DIR, child_env


def test_bench_scripts_write_every_figure(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--sizes", "2000,2500", "--original-max", "2000",
         "--output", str(output)],
        cwd=PROJECT_DIR, env=child_env(tmp_path / "unused"), capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    text = output.read_text(encoding="utf-8")
    for heading in (
        "## Full sync against the floor and the original",
        "## Peak memory of a full sync",
        "## Sync with nothing new, and with 1 000 new invoices",
        "## Report and page latency",
        "## The sandbox itself",
    ):
        assert heading in text
    assert "of which the unpaid pipeline" in text
    for figure in ("report_month_all", "page_systems_list", "page_revenue_report", "Ratio to floor"):
        assert figure in text
    assert "nan" not in text.lower()
    # The original algorithm runs up to --original-max only; the larger size says so.
    assert "| 2,000 (" in text and "| 2,500 (" in text
    assert text.count("not measured") == 2
