"""What can go wrong when talking to an accounting system, and what to do about it.

Every error carries ``message`` (one line, for the user; never the remote body, never a
secret), ``fix`` (what to change, naming the setting on the remote side) and ``retryable``
(whether the sync engine may try again later in the same run).

    RemoteError
    ├── set-up errors: the same request will fail again until someone changes a setting.
    │   Never retried (WHMCS bans an IP after three failed logins).
    │   ├── AuthenticationFailed   wrong or missing identifier / secret
    │   ├── IpNotAllowed           "Invalid IP x.x.x.x": allow that IP in WHMCS
    │   ├── IpBanned               too many failed logins from our IP
    │   ├── PermissionMissing      the API role lacks Billing → GetInvoices
    │   ├── NotAnApi               HTML / redirect / XML / 404 instead of the JSON API
    │   ├── TlsError               certificate not trusted, host name mismatch, handshake failed
    │   ├── ForbiddenAddress       the host resolves to an address we never connect to
    │   ├── ResponseFormatChanged  a 200 JSON answer without the fields every answer has
    │   ├── PagingUnsupported      one invoice per answer, whatever is asked
    │   ├── OrderIgnored           WHMCS before 7.7 (orderby ignored) with too many invoices
    │   └── WhmcsError             result=error with any other message
    ├── Unreachable                DNS failure, connection refused: retryable during a sync,
    │                              final for "Test connection"
    └── transient errors: retried with backoff.
        ├── RemoteTimeout          no answer in time
        ├── ServerError            HTTP 5xx / 429 (``retry_after`` from Retry-After)
        └── BadResponse            truncated or invalid JSON, an HTML error page with a 5xx

Catch ``RemoteError`` to handle them all; check ``retryable`` to decide on a retry.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from forecaster.lib.http import MASK

# A credential shorter than this is not masked inside text (it would mask ordinary letters);
# WHMCS generates 32-character identifiers and secrets.
MIN_MASKED = 4


class RemoteError(Exception):
    """Base class. ``str(exc)`` is the message; ``exc.fix`` says what to do."""

    retryable: bool = False
    message: str = _("The accounting system could not be reached.")
    fix: str = ""

    def __init__(self, message: str | None = None, fix: str | None = None) -> None:
        if message is not None:
            self.message = _one_line(message)
        if fix is not None:
            self.fix = _one_line(fix)
        super().__init__(self.message)

    @property
    def kind(self) -> str:
        """The class name, stored with failed sync runs (e.g. ``"IpNotAllowed"``)."""
        return type(self).__name__

    def one_line(self) -> str:
        """``message`` and ``fix`` together, for logs, CLI stderr and the list of systems."""
        return f"{self.message} {self.fix}".strip()

    def masked(self, *credentials: str) -> RemoteError:
        """This error with each of ``credentials`` (the system's secret and identifier) masked
        wherever the remote side's words put them: a server may echo them back (``Invalid IP
        <secret>``, a redirect ``Location`` holding them). Returns ``self``.

        >>> str(WhmcsError("WHMCS returned an error: key abcd1234").masked("abcd1234").message)
        'WHMCS returned an error: key ********'
        """
        for name in ("message", "fix"):
            text = str(getattr(self, name))
            masked = mask_text(text, *credentials)
            if masked != text:  # leave untouched (lazily translated) texts as they are
                setattr(self, name, masked)
        self.args = (self.message,)
        return self


def mask_text(text: str, *credentials: str) -> str:
    """``text`` with every credential (as typed, or URL-encoded) replaced by ``MASK``."""
    forms = {
        form
        for value in credentials
        if value and len(value) >= MIN_MASKED
        for form in (value, quote(value, safe=""), quote_plus(value, safe=""))
    }
    for form in sorted(forms, key=len, reverse=True):
        text = re.sub(re.escape(form), MASK, text, flags=re.IGNORECASE)
    return text


def _one_line(text: str, limit: int = 400) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- set-up errors (never retried) ------------------------------------------------------------


class SetupError(RemoteError):
    """A setting must change before this can work; retrying would not help."""

    retryable = False


class AuthenticationFailed(SetupError):
    message = _("WHMCS refused the API credentials (Authentication Failed).")
    fix = _(
        "Check the Username (API Identifier) and Password (API Secret): in WHMCS open "
        "System Settings → Manage API Credentials, generate new credentials if unsure, and "
        "enter both in this system's connection details."
    )


class IpNotAllowed(SetupError):
    """WHMCS answered ``Invalid IP <ip>``: ``ip`` is the address it saw."""

    def __init__(self, ip: str, message: str | None = None, fix: str | None = None) -> None:
        self.ip = ip
        super().__init__(
            message
            or gettext("WHMCS does not allow API calls from this server's IP address %(ip)s.") % {"ip": ip},
            fix
            or gettext(
                "In WHMCS open System Settings → General Settings → Security → API IP Access "
                "Restriction and add %(ip)s. (Behind a proxy or CDN, WHMCS sees the proxy's "
                "address unless Trusted Proxies is set; with IPv6, allow that address too.)"
            )
            % {"ip": ip},
        )

    def masked(self, *credentials: str) -> RemoteError:
        self.ip = mask_text(self.ip, *credentials)
        return super().masked(*credentials)


class IpBanned(SetupError):
    message = _("WHMCS has banned this server's IP address (IP Banned), usually after failed logins.")
    fix = _(
        "In WHMCS open System Settings → Banned IPs and remove the ban, then check the API "
        "credentials; adding this IP to Whitelisted IPs (System Settings → General Settings → "
        "Security) prevents future bans."
    )


class PermissionMissing(SetupError):
    message = _("The API credentials work, but their API role may not call GetInvoices.")
    fix = _(
        "In WHMCS open System Settings → Manage API Credentials → API Roles, edit the role of "
        "these credentials and tick Billing → GetInvoices."
    )


class NotAnApi(SetupError):
    message = _("The URL did not answer like the WHMCS API.")
    fix = _(
        "Enter the exact address of the API, ending in /includes/api.php, with https:// if the "
        "site uses it (a redirect, a firewall or a CDN challenge page also cause this)."
    )


class TlsError(SetupError):
    message = _("The secure (TLS) connection to WHMCS failed.")
    fix = _(
        "Make sure WHMCS has a valid certificate for this host name; for a private certificate "
        "authority set FORECASTER_CA_BUNDLE to its PEM file."
    )


class ForbiddenAddress(SetupError):
    message = _("The WHMCS host resolves to an address this service never connects to.")
    fix = _(
        "Use the public or LAN host name of WHMCS. Link-local, multicast and reserved addresses "
        "are always refused; loopback and private ones need FORECASTER_ALLOW_PRIVATE_URLS=1."
    )


class ResponseFormatChanged(SetupError):
    message = _("WHMCS response format changed: the answer lacks fields every GetInvoices answer has.")
    fix = _("Check that the URL points at a WHMCS installation; report the WHMCS version to us.")


class PagingUnsupported(SetupError):
    """WHMCS answers one invoice per request, whatever ``limitnum`` asks: no paging can work."""

    message = _("This WHMCS returns only one invoice per request, so its invoices cannot be read in pages.")
    fix = _("Remove the limit on API result sizes in WHMCS (or in the proxy in front of it).")


class OrderIgnored(SetupError):
    """WHMCS ignores ``orderby`` (it is older than 7.7) and holds too many invoices to be read
    in one answer, so no offset paging over its fixed order can be proven complete."""

    def __init__(self, total: int) -> None:
        super().__init__(
            gettext(
                "This WHMCS ignores the sort order the sync asks for (orderby, added in WHMCS 7.7), and "
                "its %(total)d invoices do not fit in one answer, so they cannot be read without "
                "missing some."
            )
            % {"total": total},
            gettext("Upgrade WHMCS to version 7.7 or later."),
        )


class WhmcsError(SetupError):
    message = _("WHMCS returned an error.")
    fix = _("Check the WHMCS API log (Utilities → Logs → API Log) for details.")


# --- unreachable: transient for a sync, final for Test connection --------------------------------


class Unreachable(RemoteError):
    retryable = True
    message = _("The WHMCS server could not be reached.")
    fix = _("Check the host name in the URL, the server's network and firewall, and that WHMCS is up.")


# --- transient errors (retried) ---------------------------------------------------------------


class TransientError(RemoteError):
    retryable = True


class RemoteTimeout(TransientError):
    message = _("WHMCS did not answer in time.")
    fix = _("Try again later; if it persists, lower the Step so each request asks for fewer invoices.")


class ServerError(TransientError):
    """HTTP 5xx or 429. ``retry_after`` is the server's requested wait in seconds, if any."""

    message = _("The WHMCS server reported an error.")
    fix = _("Try again later; if it persists, check the web server's error log on the WHMCS side.")

    def __init__(
        self, message: str | None = None, fix: str | None = None, *, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, fix)


class BadResponse(TransientError):
    message = _("WHMCS sent an incomplete or invalid answer.")
    fix = _("Try again later; if it persists, lower the Step (large pages can hit PHP limits).")


SETUP_ERRORS = (
    AuthenticationFailed,
    IpNotAllowed,
    IpBanned,
    PermissionMissing,
    NotAnApi,
    TlsError,
    ForbiddenAddress,
    ResponseFormatChanged,
    WhmcsError,
)
TRANSIENT_ERRORS = (RemoteTimeout, ServerError, BadResponse, Unreachable)
