"""Stored sync texts, shown in the reader's language.

A run's message, fix and note and a system's last-sync line are stored in **English**: the log,
the CLI and the database stay readable to an operator, and a history row written today reads
right in any language tomorrow. Each sentence is an English msgid marked where it is written
(``gettext_noop`` in the engine, ``gettext`` in the WHMCS client and its errors), filled in with
``%``-parameters. A page translates the stored text when it shows it::

    {% load sync_tags %}{{ run.error_message|shown }}

    >>> shown("Sync done: 0 new, 0 changed, 0 removed; 3 requests.")   # with Polish active
    'Synchronizacja zakończona: 0 nowych, 0 zmienionych, 0 usuniętych; 3 zapytań.'

:func:`shown` reads the text sentence by sentence (notes join several): at each position it takes
the longest catalogue msgid that matches there — literally, or with its ``%(name)s`` parameters
as wildcards — translates it, and translates each parameter the same way (a mode, a reason). What
no msgid matches (an older wording, a database's own words) stays as stored. The msgids come from
the compiled catalogues Django reads for the language (found with :func:`gettext.find` in the
folders Django searches, read with polib); each is translated with :func:`gettext`.
"""

from __future__ import annotations

import gettext as gnu_gettext
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import django
import polib
from django.apps import apps
from django.conf import settings
from django.utils.translation import get_language, gettext, gettext_noop, to_locale

# Earlier wordings of engine texts, no longer written but stored in older runs: kept in the
# catalogues so that sync history written before still reads in the reader's language.
LEGACY = (
    gettext_noop("WHMCS invoices kept changing while the sync read them."),
    gettext_noop("Run the sync again when WHMCS is quieter."),
    gettext_noop("The part read before the interruption was checked against WHMCS afterwards."),
    gettext_noop("WHMCS changed while the sync read it; the newest state was checked afterwards."),
    gettext_noop(
        "WHMCS sent %(count)s full pages in a row without a single new invoice; the sync stopped "
        "instead of paging on."
    ),
    gettext_noop("Check that WHMCS answers GetInvoices correctly (ordered by id); then sync again."),
    gettext_noop("Check that the system runs a supported WHMCS version; report this."),
    gettext_noop(
        "WHMCS reports %(count)s paid invoices, more than any installation holds; the sync stopped "
        "instead of paging it."
    ),
    gettext_noop("Check that the URL points at the real WHMCS API and that WHMCS works; then sync again."),
    gettext_noop("WHMCS response format changed: no invoice has the field '%(field)s'"),
    gettext_noop(
        "WHMCS kept sending unpaid invoices due ahead without reaching an end; the pipeline was not read."
    ),
    gettext_noop("Check that WHMCS answers GetInvoices correctly (ordered by due date); then sync again."),
)

_PARAM = re.compile(r"%\((\w+)\)([sd])|%%")
_PREFIX = 6  # msgids are indexed by their first characters
_SHORTEST = 8  # shorter msgids are words and labels, not the sentences stored here


class _Template:
    """One msgid with parameters as a pattern anchored at a position."""

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid
        self.ints: set[str] = set()
        parts, seen, last = [], set(), 0
        matches = list(_PARAM.finditer(msgid))
        for n, m in enumerate(matches):
            parts.append(re.escape(msgid[last : m.start()]))
            last = m.end()
            if m.group(0) == "%%":
                parts.append("%")
                continue
            name, kind = m.group(1), m.group(2)
            if name in seen:
                parts.append(f"(?P={name})")
            elif kind == "d":
                self.ints.add(name)
                parts.append(rf"(?P<{name}>-?\d+)")
            else:
                # The last parameter of a msgid that ends with it takes the rest of the text.
                at_end = n == len(matches) - 1 and m.end() == len(msgid)
                parts.append(rf"(?P<{name}>.+)" if at_end else rf"(?P<{name}>.+?)")
            seen.add(name)
        parts.append(re.escape(msgid[last:]))
        # A sentence ends at a space or the end of the text: "IP address %(ip)s." must take
        # "127.0.0.1", not stop at "127.".
        parts.append(r"(?=\s|$)")
        self.pattern = re.compile("".join(parts), re.S)
        self.literal_prefix = msgid[: matches[0].start()] if matches else msgid


def _locale_dirs() -> list[str]:
    """Where Django looks for catalogues, in the order it merges them: its own, the installed
    apps' ``locale`` folders (the last app first), then ``LOCALE_PATHS``."""
    dirs = [str(Path(django.__file__).parent / "conf" / "locale")]
    dirs += [str(Path(app.path) / "locale") for app in reversed(list(apps.get_app_configs()))]
    dirs += [str(p) for p in settings.LOCALE_PATHS]
    return dirs


def _msgids(language: str) -> Iterator[str]:
    """The translated msgids of ``language``'s compiled catalogues (without plurals and
    contexts), found as Django finds them and read with polib."""
    for localedir in _locale_dirs():
        for path in gnu_gettext.find("django", localedir, [to_locale(language)], all=True):
            for entry in polib.mofile(path):
                if entry.msgid and not entry.msgid_plural and not entry.msgctxt:
                    yield entry.msgid


@lru_cache(maxsize=8)
def _index(language: str) -> tuple[dict[str, list], list[_Template]]:
    """``({first characters: [msgid or _Template]}, [templates starting with a parameter])``."""
    by_prefix: dict[str, list] = {}
    wild: list[_Template] = []
    for key in dict.fromkeys(_msgids(language)):
        if len(key) < _SHORTEST:
            continue
        if "%(" in key:
            template = _Template(key)
            if len(template.literal_prefix) >= _PREFIX:
                by_prefix.setdefault(key[:_PREFIX], []).append(template)
            elif len(_PARAM.sub("", key)) >= _SHORTEST:  # "%(a)s: %(b)s" would match anything
                wild.append(template)
        else:
            by_prefix.setdefault(key[:_PREFIX], []).append(key)
    return by_prefix, wild


def shown(text: str) -> str:
    """``text`` (stored English) in the active language, sentence by sentence."""
    language = get_language()
    if not text or not language or language.split("-")[0] == "en":
        return text
    return _translate(text, *_index(language))


def _translate(text: str, by_prefix: dict[str, list], wild: list[_Template]) -> str:
    whole = gettext(text)
    if whole != text:
        return whole
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            out.append(text[pos])
            pos += 1
            continue
        end, translated = _longest_at(text, pos, by_prefix, wild)
        if end is None:
            # Nothing known starts here: keep the stored words up to the next sentence.
            stop = text.find(". ", pos)
            end = len(text) if stop < 0 else stop + 1
            translated = text[pos:end]
        out.append(translated)
        pos = end
    return "".join(out)


def _longest_at(text: str, pos: int, by_prefix: dict, wild: list[_Template]) -> tuple[int | None, str]:
    best_end: int | None = None
    best = ""
    for item in (*by_prefix.get(text[pos : pos + _PREFIX], ()), *wild):
        if isinstance(item, str):
            end = pos + len(item)
            if (
                text.startswith(item, pos)
                and (end == len(text) or text[end].isspace())
                and (best_end is None or end > best_end)
            ):
                best_end, best = pos + len(item), gettext(item)
            continue
        m = item.pattern.match(text, pos)
        if m is None or (best_end is not None and m.end() <= best_end):
            continue
        params = {
            k: int(v) if k in item.ints else _translate(v, *_index(get_language()))
            for k, v in m.groupdict().items()
        }
        try:
            best_end, best = m.end(), gettext(item.msgid) % params
        except (KeyError, TypeError, ValueError):
            continue  # a translation with other parameters than its msgid: keep looking
    return best_end, best
