"""Run the ``forecaster`` console script in a subprocess against its own data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FORECASTER = [str(Path(sys.executable).with_name("forecaster"))]


def fresh_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a first start: the embedded SQLite default in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORECASTER_", "DATABASE_URL"))}
    env.update({"FORECASTER_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def run_cli(data_dir: Path, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FORECASTER, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=fresh_env(data_dir, **extra),
        timeout=120,
        check=False,
    )
