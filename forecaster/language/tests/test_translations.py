"""The translation gate: every string a person reads is marked, and Polish and Russian are complete.

`make test` runs `make messages` first, so the catalogues hold every marked string of the tree;
these tests then fail with the list of what is missing. CONTRIBUTING.md ("Translations") says how
to add a string and its translations.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

PACKAGE = Path(__file__).resolve().parents[2]  # forecaster/
LANGUAGES = ("pl", "ru")

# Words that are the same in every language: product and protocol names, codes, units.
SAME_IN_EVERY_LANGUAGE = {
    "Commitment Forecaster", "WHMCS", "apiWHMCS", "API", "URL", "http", "https", "JSON", "CSV",
    "XLSX", "PDF", "ECB", "EUR", "USD", "PLN", "OK", "ID", "IP", "WebDAV", "S3", "SHA-256",
}  # fmt: skip
# Parts of the tree that are not the web UI: the CLI stays English, the sandbox is a fake WHMCS.
NOT_WEB_UI = ("sandbox", "management", "tests", "migrations", "formats", "bench")

SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "kbd"}  # code examples stay as they are
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description"}
WORD = re.compile(r"[^\W\d_]{2,}")


def _templates() -> list[Path]:
    return sorted(p for p in PACKAGE.glob("**/templates/**/*.html") if not set(p.parts) & {"tests"})


def _without_allowed(text: str) -> str:
    for word in sorted(SAME_IN_EVERY_LANGUAGE, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", text)
    return text


class _VisibleText(HTMLParser):
    """Collects the text a person sees (data outside script/style/code, visible attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self._skip += 1
        attrs = dict(attrs)
        for name, value in attrs.items():
            shown = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and attrs.get("type") in ("submit", "button", "reset")
            )
            if shown and value:
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def unmarked_template_text(source: str) -> list[str]:
    """Visible words in a template that are outside {% translate %} / {% blocktranslate %}.

    Django's own lexer splits the template; variables, tags and comments become a placeholder
    character, translated regions disappear, and what remains is parsed as HTML.
    """
    out: list[str] = []
    depth = 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split(" ", 1)[0]
            if name in ("blocktranslate", "blocktrans"):
                depth += 1
            elif name in ("endblocktranslate", "endblocktrans"):
                depth -= 1
            out.append("\x00")
        elif token.token_type == TokenType.TEXT and not depth:
            out.append(token.contents)
        elif not depth:
            out.append("\x00")
    parser = _VisibleText()
    parser.feed("".join(out))
    parser.close()
    problems = []
    for text in parser.found:
        rest = _without_allowed(text.replace("\x00", " "))
        if WORD.search(rest):
            problems.append(" ".join(text.replace("\x00", "…").split()))
    return problems


def test_every_template_string_is_marked_for_translation():
    problems = []
    for path in _templates():
        for text in unmarked_template_text(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(PACKAGE.parent)}: {text!r}")
    assert not problems, "Wrap these in {% translate %} / {% blocktranslate %}:\n" + "\n".join(problems)


# --- Python ---------------------------------------------------------------------------------------

TEXT_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label", "description"}
TEXT_CALLS = {  # callable name → index of the argument a person reads
    "ValidationError": 0,
    "Http404": 0,
    "PermissionDenied": 0,
    "success": 1,
    "error": 1,
    "warning": 1,
    "info": 1,
    "add_message": 2,
    "add_error": 1,
    # What went wrong talking to an accounting system, and the fix (forecaster.systems.errors):
    # shown by Test connection, the sync history and the list of systems.
    **dict.fromkeys(
        (
            "RemoteError", "SetupError", "AuthenticationFailed", "IpNotAllowed", "IpBanned",
            "PermissionMissing", "NotAnApi", "TlsError", "ForbiddenAddress", "ResponseFormatChanged",
            "WhmcsError", "Unreachable", "TransientError", "RemoteTimeout", "ServerError", "BadResponse",
        ),
        0,
    ),
    "OutboundError": 1,
}  # fmt: skip
MESSAGE_MODULES = {"messages"}


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORD.search(_without_allowed(node.value)))
    if isinstance(node, ast.JoinedStr):
        return any(_is_text(v) for v in node.values)
    return False


def _python_files() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.glob("**/*.py")
        if not set(p.relative_to(PACKAGE).parts) & set(NOT_WEB_UI) and p.name not in ("settings.py",)
    )


def unmarked_python_text(source: str) -> list[tuple[int, str]]:
    """String literals a person reads (labels, help texts, choices, messages, form errors)
    that are not wrapped in gettext/gettext_lazy/ngettext."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []

    def flag(node: ast.AST) -> None:
        if _is_text(node):
            found.append((node.lineno, ast.unparse(node)[:90]))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = (
                func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            )
            index = TEXT_CALLS.get(name)
            is_message = name in ("success", "error", "warning", "info", "add_message")
            if index is not None and (not is_message or owner in MESSAGE_MODULES) and len(node.args) > index:
                flag(node.args[index])
            for kw in node.keywords:
                if kw.arg in TEXT_KEYWORDS:
                    flag(kw.value)
                elif kw.arg == "error_messages" and isinstance(kw.value, ast.Dict):
                    for value in kw.value.values:
                        flag(value)
                elif kw.arg == "choices" and isinstance(kw.value, ast.List | ast.Tuple):
                    for item in kw.value.elts:
                        if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                            flag(item.elts[1])
        elif isinstance(node, ast.ClassDef):
            choices = any(ast.unparse(base).endswith("Choices") for base in node.bases)
            for statement in node.body:
                if not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
                    continue
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                names = {t.id for t in targets if isinstance(t, ast.Name)}
                if choices and isinstance(statement.value, ast.Tuple) and len(statement.value.elts) == 2:
                    flag(statement.value.elts[1])
                elif names & {"message", "fix"}:
                    flag(statement.value)
    return found


def test_every_python_string_for_people_is_marked_for_translation():
    problems = []
    for path in _python_files():
        for line, text in unmarked_python_text(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text}")
    assert not problems, "Wrap these in gettext / gettext_lazy (as _):\n" + "\n".join(problems)


def test_the_checks_catch_what_they_should():
    """The gate itself: an unmarked word is found, a marked one and a product name are not."""
    assert unmarked_template_text('<p>Save</p><a title="Open it">{% translate "x" %}</a>') == [
        "Save",
        "Open it",
    ]
    assert unmarked_template_text('{% translate "Save" %}<b>{{ n }}</b> · WHMCS <i>—</i>') == []
    assert unmarked_template_text("{% blocktranslate %}Hello {{ n }}{% endblocktranslate %}") == []
    assert unmarked_template_text('<script>var a = "text";</script><input type="submit" value="Go">') == [
        "Go"
    ]
    assert unmarked_template_text("<code>curl -H Authorization</code>") == []
    source = 'from django import forms\nx = forms.CharField(label="Name", help_text=_("ok"))\n'
    assert [t for _, t in unmarked_python_text(source)] == ["'Name'"]
    assert unmarked_python_text('messages.success(request, f"Saved {name}.")')
    assert not unmarked_python_text('log.error("%s", x)\nlogger.info("sync done")')


# --- catalogues ---------------------------------------------------------------------------------


def _entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgstr(s), flags (a small reader, enough for our files)."""
    entries: list[dict] = []
    current: dict = {"flags": set(), "msgstr": {}}
    field = None

    def finish():
        if "msgid" in current:
            entries.append(current)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            current, field = {"flags": set(), "msgstr": {}}, None
        elif line.startswith("#,"):
            current["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            field = "msgid_plural"
            current[field] = _unquote(line[len("msgid_plural ") :])
        elif line.startswith("msgid "):
            field = "msgid"
            current[field] = _unquote(line[len("msgid ") :])
        elif line.startswith("msgstr"):
            key, _, value = line.partition(" ")
            index = key[len("msgstr[") : -1] if "[" in key else "0"
            field = ("msgstr", index)
            current["msgstr"][index] = _unquote(value)
        elif line.startswith('"') and field:
            if isinstance(field, tuple):
                current["msgstr"][field[1]] += _unquote(line)
            else:
                current[field] += _unquote(line)
    finish()
    return entries


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def _catalogues(language: str) -> list[Path]:
    return sorted(PACKAGE.glob(f"**/locale/{language}/LC_MESSAGES/django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_is_complete_and_nothing_is_fuzzy(language):
    assert _catalogues(language), "no catalogues: run `make messages`"
    problems = []
    for path in _catalogues(language):
        for entry in _entries(path):
            where = f"{path.relative_to(PACKAGE.parent)}: {entry['msgid'][:80]!r}"
            if entry["msgid"] == "":
                if "fuzzy" in entry["flags"]:
                    problems.append(f"{where} (the header is fuzzy)")
                continue
            if "fuzzy" in entry["flags"]:
                problems.append(f"{where} is fuzzy: check it against the new English, then drop the flag")
            elif not entry["msgstr"] or any(not text for text in entry["msgstr"].values()):
                problems.append(f"{where} is not translated")
            elif "msgid_plural" in entry and len(entry["msgstr"]) < 3:
                problems.append(f"{where} lacks plural forms")
    assert not problems, f"{language}: translate these (CONTRIBUTING.md, Translations):\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    """A translation must use the same %(name)s placeholders and keep the markup tags."""
    problems = []
    for path in _catalogues(language):
        for entry in _entries(path):
            if not entry["msgid"]:
                continue
            source = entry["msgid"] + entry.get("msgid_plural", "")
            wanted = set(re.findall(r"%\(\w+\)s|\{\{ ?\w+ ?\}\}", source))
            tags = sorted(re.findall(r"</?(\w+)", entry["msgid"]))
            for text in entry["msgstr"].values():
                if not text:
                    continue
                got = set(re.findall(r"%\(\w+\)s|\{\{ ?\w+ ?\}\}", text))
                if ("msgid_plural" not in entry and got != wanted) or not got <= wanted:
                    problems.append(
                        f"{path.relative_to(PACKAGE.parent)}: {entry['msgid'][:60]!r}: {got} ≠ {wanted}"
                    )
                if "msgid_plural" not in entry and sorted(re.findall(r"</?(\w+)", text)) != tags:
                    problems.append(
                        f"{path.relative_to(PACKAGE.parent)}: {entry['msgid'][:60]!r}: markup differs"
                    )
    assert not problems, "\n".join(problems)
