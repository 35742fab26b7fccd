"""One installation of the product for the fault suite, driven through its CLI as an operator would.

``Site(data_dir)`` migrates a fresh data directory; ``site.add_system(sandbox, step=…)`` connects a
sandbox and returns the system's id; ``site.sync(id, full=True)`` runs a sync to its end;
``site.start_sync(...)`` returns the running process; ``site.dump()`` reads the local copy;
``assert_exact(site, sandbox, id)`` checks it against the sandbox to the cent.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from forecaster.lib.money import fmt
from tests.harness import FORECASTER, PROJECT_DIR, child_env, forecaster


class Site:
    """One installation of the product: a data directory and the CLI run against it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = child_env(data_dir)
        self.db_path = data_dir / "forecaster.sqlite3"
        forecaster(["migrate", "--no-input", "-v", "0"], self.env, check=True)

    def cli(
        self,
        *args: str,
        input: str | None = None,
        check: bool = False,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        return forecaster(args, self.env, input=input, check=check, timeout=timeout)

    def add_system(self, sandbox, *, step: int = 50, name: str = "Sandbox WHMCS", rate: str = "1") -> int:
        done = self.cli(
            "systems", "add", "whmcs", "--name", name, "--url", sandbox.url,
            "--identifier", sandbox.identifier, "--step", str(step), "--exchange-rate", rate,
            "--no-auto-sync", input=sandbox.secret + "\n", check=True,
        )  # fmt: skip
        return int(done.stdout.strip().splitlines()[-1])

    def sync(
        self, system_id: int, *, full: bool = False, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        args = ["sync", str(system_id)] + (["--full"] if full else [])
        return self.cli(*args, timeout=timeout)

    def start_sync(
        self, system_id: int, *, full: bool = False, max_file_bytes: int | None = None
    ) -> subprocess.Popen:
        """Start ``forecaster sync``; ``max_file_bytes`` makes the disk "full" for it: no file
        it writes may grow past that size (RLIMIT_FSIZE; the write fails with EFBIG)."""
        args = [*FORECASTER, "sync", str(system_id)] + (["--full"] if full else [])

        def limit_files() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, don't kill
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

        return subprocess.Popen(
            args,
            env=self.env,
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=limit_files if max_file_bytes else None,
        )

    def _dbtool(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tests.dbtool", *args],
            env=self.env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip().splitlines()[-1]

    def dump(self) -> dict:
        return json.loads(self._dbtool("dump"))

    def age_heartbeats(self, minutes: float = 30) -> None:
        """Move active runs' heartbeats into the past, as if an operator waited that long."""
        self._dbtool("age-heartbeats", str(minutes))

    def paid_copy(self, system_id: int, dump: dict | None = None) -> dict[int, tuple]:
        """The local copy's Paid invoices of one system: ``id → amounts`` as strings."""
        dump = dump or self.dump()
        return {
            row["whmcs_id"]: (row["subtotal"], row["tax"], row["tax2"], row["credit"], row["total"])
            for row in dump["invoices"]
            if row["system"] == system_id and row["status"] == "Paid"
        }


def expected_copy(sandbox) -> dict[int, tuple]:
    """The sandbox's paid set in the same shape as :meth:`Site.paid_copy`."""
    return {
        invoice_id: tuple(fmt(Decimal(inv[k])) for k in ("subtotal", "tax", "tax2", "credit", "total"))
        for invoice_id, inv in sandbox.paid_invoices().items()
    }


def assert_exact(site: Site, sandbox, system_id: int) -> dict:
    """The local copy equals the sandbox's paid set to the cent, with no duplicates."""
    dump = site.dump()
    assert dump["duplicates"] == [], f"duplicate invoices held: {dump['duplicates'][:10]}"
    local, remote = site.paid_copy(system_id, dump), expected_copy(sandbox)
    missing = sorted(set(remote) - set(local))
    extra = sorted(set(local) - set(remote))
    changed = sorted(i for i in set(local) & set(remote) if local[i] != remote[i])
    assert not (missing or extra or changed), (
        f"local copy differs from WHMCS: {len(missing)} missing {missing[:5]}, "
        f"{len(extra)} extra {extra[:5]}, {len(changed)} changed {changed[:5]}"
    )
    return dump
