"""Validation shared by every accounting-system type (web form and CLI use the same classes).

A type's form subclasses :class:`SystemForm` and sets its labels, help texts and
``api_path_suffix``; see ``forecaster/systems/whmcs/forms.py``.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from forecaster.lib.crypto import KeyConfigError, load_keys
from forecaster.lib.http import address_verdict
from forecaster.systems.models import AccountingSystem

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_WHMCS_PAGES = {"index.php", "clientarea.php", "cart.php", "login.php", "dologin.php", "admin", "api.php"}

PLAIN_HTTP_WARNING = _(
    "This URL uses plain http://: the API secret and the invoice data travel unencrypted. "
    "Use https:// unless WHMCS runs on this machine or a trusted private network."
)


def sends_in_clear(url: str) -> bool:
    """Whether ``url`` sends the secret unencrypted over a network: plain http:// to anything but
    this machine (127.0.0.0/8, ::1, localhost), where no network is crossed.

    >>> sends_in_clear("http://billing.example/includes/api.php"), sends_in_clear("http://127.0.0.1:8765/")
    (True, False)
    """
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return False  # not a URL anything is sent to
    if parts.scheme.lower() != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def suggest_api_url(value: str, suffix: str) -> str:
    """Best guess at the API address the user meant (site root, trailing slash, admin page…).

    >>> suggest_api_url("https://billing.example/", "/includes/api.php")
    'https://billing.example/includes/api.php'
    """
    raw = value.strip()
    if "://" not in raw:
        raw = "https://" + raw.lstrip("/")
    parts = urlsplit(raw)
    path = re.sub(r"/{2,}", "/", parts.path)
    if not path.endswith(suffix):
        if path.endswith(suffix + "/"):
            path = path[:-1]
        else:
            stripped = path.rstrip("/")
            if stripped.endswith("/includes"):
                stripped = stripped[: -len("/includes")]
            elif stripped.rsplit("/", 1)[-1].lower() in _WHMCS_PAGES:
                stripped = stripped.rsplit("/", 1)[0]
                if stripped.endswith("/admin"):
                    stripped = stripped[: -len("/admin")]
            path = stripped + suffix
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:
        pass
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


def _split(url: str) -> SplitResult:
    """``urlsplit(url)``, or ``ValidationError`` for what it cannot split (an unclosed "[")."""
    try:
        return urlsplit(url)
    except ValueError:
        raise forms.ValidationError(
            _("The host in the URL is not valid; an IPv6 address goes in brackets: https://[2001:db8::1]/…"),
            code="host",
        ) from None


def clean_api_url(value: str, *, suffix: str, allow_private: bool | None = None) -> str:
    """The normalised API URL, or ``ValidationError`` with a message that offers the fix."""
    if allow_private is None:
        allow_private = settings.ALLOW_PRIVATE_URLS
    raw = (value or "").strip()
    _check_text(raw, suffix)
    parts = _split(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise forms.ValidationError(_("Only https:// and http:// addresses are supported."), code="scheme")
    host, port = _checked_authority(parts)
    _check_host(host, allow_private)
    _check_path(raw, parts, suffix)
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path, "", ""))


def _check_text(raw: str, suffix: str) -> None:
    """Refuse an empty URL, one with spaces, or one without a scheme (suggesting the fix)."""
    if not raw:
        raise forms.ValidationError(_("Enter the URL of the WHMCS API."), code="required")
    if any(c.isspace() for c in raw):
        raise forms.ValidationError(_("The URL cannot contain spaces."), code="invalid")
    if "://" not in raw:
        _split("https://" + raw.lstrip("/"))
        raise forms.ValidationError(
            _("Start the URL with https:// (or http://). Did you mean %(fix)s?"),
            code="scheme",
            params={"fix": suggest_api_url(raw, suffix)},
        )


def _checked_authority(parts: SplitResult) -> tuple[str, int | None]:
    """The host and port of the URL; refuses credentials in it, no host or a bad port."""
    if "@" in parts.netloc:
        raise forms.ValidationError(
            _(
                "Remove the user name and password from the URL (the part before “@”): the API "
                "credentials go in Username and Password below."
            ),
            code="userinfo",
        )
    host = parts.hostname or ""
    if not host:
        raise forms.ValidationError(_("The URL has no host name."), code="host")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise forms.ValidationError(_("The port must be a number from 1 to 65535."), code="port")
    return host, port


def _check_host(host: str, allow_private: bool) -> None:
    """An IP address must be one we may connect to; a name must be a valid host name."""
    if address_verdict(host, allow_private=True) != "not an IP address":
        reason = address_verdict(host, allow_private=allow_private)
        if reason:
            raise forms.ValidationError(
                _("%(host)s is a %(reason)s; connections there are not allowed."),
                code="address",
                params={"host": host, "reason": reason},
            )
        return
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    if not ascii_host or not all(_HOST_LABEL.match(label) for label in ascii_host.split(".")):
        message = _("%(host)s is not a valid host name.")
        raise forms.ValidationError(message, code="host", params={"host": host})


def _check_path(raw: str, parts: SplitResult, suffix: str) -> None:
    """No query or fragment, and a path ending in the API's ``suffix`` (suggesting the fix)."""
    fix = suggest_api_url(raw, suffix)
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise forms.ValidationError(
            _(
                "Remove the “?…” or “#…” part: the API address has none (credentials never go in "
                "the URL). Did you mean %(fix)s?"
            ),
            code="query",
            params={"fix": fix},
        )
    if not parts.path.endswith(suffix) or "//" in parts.path:
        raise forms.ValidationError(
            _("The URL must point at the WHMCS API and end in %(suffix)s. Did you mean %(fix)s?"),
            code="path",
            params={"suffix": suffix, "fix": fix},
        )


class CommaDecimalField(forms.DecimalField):
    """A decimal that also accepts a comma as the decimal separator (``4,25``), shown without
    trailing zeros (``4``, not ``4.000000``) in a plain text box."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {}  # no HTML number constraints: the comma must get through to the server

    def prepare_value(self, value: object) -> object:
        if isinstance(value, Decimal) and value.is_finite():
            return format(value.normalize(), "f")
        return value

    def to_python(self, value: object) -> Decimal | None:
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)


RATE_SCOPE_FUTURE = "future"
RATE_SCOPE_HISTORY = "history"


ANOTHER_WHMCS = "another_whmcs"


def another_whmcs_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("This is another WHMCS"),
        required=False,
        help_text=_(
            "Tick only when this URL and identifier reach a different WHMCS installation than the "
            "system already using them (for example behind a proxy); otherwise its revenue is "
            "counted twice."
        ),
    )


def same_whmcs(url: str, identifier: str, *, exclude: int | None = None) -> AccountingSystem | None:
    """Another system reading the same WHMCS: the same API URL (ignoring letter case and a
    trailing slash) and the same API identifier."""
    wanted = url.strip().rstrip("/").lower()
    others = AccountingSystem.objects.filter(identifier=identifier).exclude(pk=exclude)
    return next((s for s in others if s.url.strip().rstrip("/").lower() == wanted), None)


def whole_number_field(
    label: str, initial: int, top: int, error: str, *, required: bool = True
) -> forms.IntegerField:
    """A whole number from 1 to ``top``, with one error message for every way it can be wrong."""
    messages = dict.fromkeys(("invalid", "min_value", "max_value", "required"), error)
    return forms.IntegerField(
        label=label,
        initial=initial,
        min_value=1,
        max_value=top,
        required=required,
        error_messages=messages,
    )


class SystemForm(forms.ModelForm):
    """Connection details of an accounting system. ``kind`` is set by the caller.

    Pass ``invoices_held`` (how many invoices the system already holds) on edit: when it is
    positive, the form asks whether a new exchange rate applies to them too.
    """

    api_path_suffix = "/includes/api.php"

    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        error_messages={"required": _("Enter the URL of the WHMCS API.")},
    )
    secret = forms.CharField(
        label=_("Secret"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    step = whole_number_field(_("Step"), 100, 1000, _("Enter a whole number from 1 to 1000."))
    parallel_requests = whole_number_field(
        _("Parallel requests"), 2, 8, _("Enter a whole number from 1 to 8."), required=False
    )
    exchange_rate = CommaDecimalField(
        label=_("Exchange rate"),
        initial=Decimal("1"),
        max_digits=18,
        decimal_places=6,
        error_messages={
            "invalid": _("Enter a positive number such as 1 or 4.251, with at most 6 decimals."),
            "required": _("Enter the exchange rate (1 when WHMCS bills in the base currency)."),
        },
    )
    apply_rate_to = forms.ChoiceField(
        label=_("Apply a changed exchange rate"),
        choices=[
            (RATE_SCOPE_FUTURE, _("only to invoices synced from now on")),
            (RATE_SCOPE_HISTORY, _("also re-convert the invoices already imported")),
        ],
        initial=RATE_SCOPE_FUTURE,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = AccountingSystem
        fields = [
            "name",
            "description",
            "url",
            "identifier",
            "step",
            "parallel_requests",
            "auto_sync",
            "exchange_rate",
            "refunds_restate",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    field_order = [
        "name",
        "description",
        "url",
        "identifier",
        "secret",
        "step",
        "parallel_requests",
        "auto_sync",
        "exchange_rate",
        "apply_rate_to",
        "refunds_restate",
    ]

    def __init__(self, *args: Any, invoices_held: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoices_held = invoices_held
        self.warnings: list[str] = []
        self._original_rate = self.instance.exchange_rate if self.instance.pk else None
        if not (self.instance.pk and invoices_held):
            del self.fields["apply_rate_to"]
        # Required (and marked so) until one is stored; an empty field then keeps the stored one.
        stored = bool(self.instance.pk and self.instance.has_secret)
        self.fields["secret"].required = not stored
        self.fields["secret"].error_messages["required"] = _("Enter the API secret.")
        if stored:
            self.fields["secret"].widget.attrs["placeholder"] = _("stored — leave empty to keep it")
        if ANOTHER_WHMCS in self.data:
            self.fields[ANOTHER_WHMCS] = another_whmcs_field()

    def clean(self) -> dict:
        cleaned = super().clean()
        url, identifier = cleaned.get("url"), cleaned.get("identifier")
        twin = same_whmcs(url, identifier, exclude=self.instance.pk) if url and identifier else None
        if twin is not None and not self.data.get(ANOTHER_WHMCS):
            # Shown only now, so that the usual form stays short.
            self.fields[ANOTHER_WHMCS] = another_whmcs_field()
            self.add_error(
                "url",
                _(
                    "The system “%(name)s” already reads this WHMCS with the same URL and identifier: "
                    "its invoices would be counted twice. If this really is another WHMCS "
                    "installation, tick “This is another WHMCS”."
                )
                % {"name": twin.name},
            )
        return cleaned

    # --- field rules --------------------------------------------------------------------------

    def clean_parallel_requests(self) -> int:
        """Left out (an older form or API client): the system keeps its setting (2 when new)."""
        value = self.cleaned_data.get("parallel_requests")
        return self.instance.parallel_requests or 2 if value is None else value

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if name.isdigit():
            raise forms.ValidationError(
                _("A name cannot be only digits (commands refer to systems by id or by name).")
            )
        clash = AccountingSystem.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("A system named “%(name)s” already exists; choose another name."),
                params={"name": clash.first().name},
            )
        return name

    def clean_url(self) -> str:
        url = clean_api_url(self.cleaned_data.get("url", ""), suffix=self.api_path_suffix)
        if sends_in_clear(url) and PLAIN_HTTP_WARNING not in self.warnings:
            self.warnings.append(PLAIN_HTTP_WARNING)
        return url

    def clean_identifier(self) -> str:
        identifier = self.cleaned_data["identifier"].strip()
        if any(c.isspace() for c in identifier):
            raise forms.ValidationError(_("The identifier cannot contain spaces."))
        return identifier

    @sensitive_variables("secret")
    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret", "")
        if not secret and not (self.instance.pk and self.instance.has_secret):
            raise forms.ValidationError(_("Enter the API secret."), code="required")
        if any(c.isspace() for c in secret):
            raise forms.ValidationError(_("The secret cannot contain spaces."))
        if secret:
            try:
                load_keys(create=True)
            except KeyConfigError as exc:
                raise forms.ValidationError(
                    _(
                        "The secret cannot be stored: the encryption key is not usable (%(reason)s). "
                        "Restore the key file or fix FORECASTER_ENCRYPTION_KEY, then save again."
                    ),
                    code="key",
                    params={"reason": str(exc)},
                ) from None
        return secret

    def clean_exchange_rate(self) -> Decimal:
        rate = self.cleaned_data["exchange_rate"]
        if rate <= 0:
            raise forms.ValidationError(
                _("The exchange rate must be greater than 0 (1 when WHMCS bills in the base currency).")
            )
        return rate

    # --- outcome ------------------------------------------------------------------------------

    def secret_held(self) -> None:
        """The secret typed last time is held on the server (``forecaster.systems.pending``): an
        empty field means "use it"; the page says so, and never shows the secret itself."""
        field = self.fields["secret"]
        field.required = False
        field.widget.attrs["placeholder"] = _("kept from your last try — leave empty to use it")
        field.help_text = format_lazy(
            "{} {}",
            field.help_text,
            _("The secret you typed is kept for a few minutes; you need not type it again."),
        )

    @property
    def rate_changed(self) -> bool:
        return (
            self._original_rate is not None
            and self.cleaned_data.get("exchange_rate") is not None
            and self.cleaned_data["exchange_rate"] != self._original_rate
        )

    @property
    def reconvert_history(self) -> bool:
        return self.rate_changed and self.cleaned_data.get("apply_rate_to") == RATE_SCOPE_HISTORY

    @sensitive_variables("secret")
    def save_system(self, kind: str) -> tuple[AccountingSystem, int | None]:
        """Save everything or nothing; returns the system and how many invoices were
        re-converted to the new rate (``None`` when history was left alone)."""
        from forecaster.systems import holdings

        with transaction.atomic():
            system = self.save(commit=False)
            if not system.pk:
                system.kind = kind
            secret = self.cleaned_data.get("secret")
            if secret:
                system.set_secret(secret)
            system.save()
            reconverted = holdings.reconvert(system) if self.reconvert_history else None
            if "refunds_restate" in self.changed_data and system.pk:
                holdings.refresh_revenue(system.pk)  # refunds move to the other period at once
        return system, reconverted
