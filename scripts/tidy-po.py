#!/usr/bin/env python3
"""Tidy the catalogues `make messages` just wrote: forecaster/**/locale/<lang>/LC_MESSAGES/django.po.

- drop the POT-Creation-Date line (it changes on every run; an unchanged catalogue stays unchanged),
- fill in the header's Language and un-fuzzy the header of a new catalogue (msgfmt ignores a fuzzy
  header, and with it the plural rules and the charset).
Entries themselves are never touched: translating them is a person's job.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def tidy(path: Path) -> None:
    lang = path.parent.parent.name
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition('\nmsgid "')
    head = re.sub(r'^"POT-Creation-Date:.*\n', "", head + sep + rest.split("\n\n", 1)[0], flags=re.M)
    head = head.replace('\n#, fuzzy\nmsgid ""', '\nmsgid ""', 1)
    if head.startswith('#, fuzzy\nmsgid ""'):
        head = head[len("#, fuzzy\n") :]
    head = head.replace('"Language: \\n"', f'"Language: {lang}\\n"', 1)
    body = rest.split("\n\n", 1)[1] if "\n\n" in rest else ""
    new = head + ("\n\n" + body if body else "\n")
    if new != text:
        path.write_text(new, encoding="utf-8")


def main(root: str = "forecaster") -> None:
    for path in sorted(Path(root).glob("**/locale/*/LC_MESSAGES/django.po")):
        tidy(path)


if __name__ == "__main__":
    main(*sys.argv[1:])
