"""Static files: compressed, with long-lived hashed names once collected.

``forecaster serve`` collects them into the data directory (``STATIC_ROOT``) at every start:
each file gets its content hash in its name (``chart.umd.min.1a2b3c4d5e6f.js``) and gzip
copies, and WhiteNoise serves those compressed and cached for a year (``immutable``): a new
version has a new name. Before anything is collected (the test suite, ``forecaster manage
runserver`` in a bare checkout) the plain names are used and served from the source folders.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from whitenoise.storage import CompressedManifestStaticFilesStorage

from forecaster.lib.private_files import ensure_private_file


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed, hashed storage; the plain name for a file not collected yet."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected (no manifest entry, no copy to hash): the plain name
            return name


def collect() -> bool:
    """Collect the static files into ``STATIC_ROOT`` (hashed names, gzip copies) unless the
    files collected last time came from the same sources; ``True`` if it collected.

    Hashing and compressing every file takes seconds, so ``forecaster serve`` skips it when no
    source file changed (same names, sizes and modification times).
    """
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    digest = hashlib.sha256()
    sources = sorted(
        (path, storage.path(path))
        for finder in get_finders()
        for path, storage in finder.list(["CVS", ".*", "*~"])
    )
    for path, full in sources:
        stat = os.stat(full)
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    root = Path(settings.STATIC_ROOT)
    stamp = root.with_name(root.name + ".collected")
    fingerprint = digest.hexdigest()
    manifest = root / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    ensure_private_file(stamp).write_text(fingerprint)  # a file of the data directory: 0600
    return True
