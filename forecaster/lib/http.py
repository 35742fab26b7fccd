"""The one module that makes outbound HTTP requests (to WHMCS installations).

    >>> with make_client(timeout=10) as client:
    ...     response = post_form(client, "https://billing.example/includes/api.php", {"a": "1"})
    >>> response.status_code, response.content[:1]
    (200, b'{')

What it guarantees, so callers never have to think about it:

- **Timeouts** on connect, read, write and pool wait (``timeout`` seconds each), and a **total
  deadline** per request (``deadline`` seconds, :data:`DEFAULT_DEADLINE` unless given): a server
  that answers one byte every few seconds never hits the per-read timeout, but it cannot hold a
  request past its deadline either — every read, write and TLS step waits at most until then.
- **TLS is always verified** against the certifi bundle plus ``settings.WHMCS_CA_BUNDLE`` when
  set (a private CA). There is no way to turn verification off.
- **Redirects are never followed**: a 3xx comes back to the caller, who reports it. (A POST
  re-sent as GET after a redirect would silently lose its credentials anyway.)
- **SSRF guard at connect time**: the host is resolved when the connection is opened, *every*
  resolved address is checked, and the socket connects to the checked address itself, while
  TLS (SNI, certificate host name) and the ``Host`` header keep the original name. A DNS name
  that answered a public address earlier and a private one now (DNS rebinding) is judged on the
  answer actually used. Link-local (169.254/16 including cloud metadata, fe80::/10),
  unspecified, multicast and reserved addresses are always refused; loopback and private ones
  only when ``settings.ALLOW_PRIVATE_URLS`` is off.
- **Bounded responses**: more than ``max_bytes`` (after decompression) is an error.
- **Environment proxies are ignored** (``trust_env=False``): a proxy would connect on our behalf
  and bypass the address check.
- **Human errors**: transport failures become :class:`OutboundError` with a ``kind`` and a short
  message (DNS, refused, timeout, TLS untrusted / host name mismatch …), never a traceback.
- ``redact_url`` / ``redact_params`` make URLs and parameters safe to log.

Tests inject an ``httpx.MockTransport`` (``transport=``) or a fake ``resolver=``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import certifi
import httpcore
import httpx
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from forecaster import __version__

log = logging.getLogger(__name__)

USER_AGENT = f"CommitmentForecaster/{__version__}"
DEFAULT_TIMEOUT = 30.0
# A request's total time, from connecting to the last byte of the answer. Generous for a page of
# 1,000 invoices on a slow link, short enough that a stalled server frees the sync queue.
DEFAULT_DEADLINE = 120.0
# A page of 1,000 invoices is about 1 MB of JSON; 32 MB leaves room and still bounds memory.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024

Resolver = Callable[[str, int], list[str]]

# Kinds of OutboundError (stable strings; callers map them to their own error classes).
DNS = "dns"
REFUSED = "refused"
TIMEOUT = "timeout"
TLS_UNTRUSTED = "tls_untrusted"
TLS_HOSTNAME = "tls_hostname"
TLS_OTHER = "tls"
BLOCKED = "blocked"
TOO_LARGE = "too_large"
NETWORK = "network"


class OutboundError(Exception):
    """A request that got no usable HTTP answer. ``kind`` is one of the constants above."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class BlockedAddress(Exception):
    """Raised inside the connection layer when the guard refuses an address."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} resolves to {address} ({reason}), which is not allowed")
        self.host = host
        self.address = address
        self.reason = reason


class ResolveError(Exception):
    """The host name does not resolve."""


# --- the address guard -------------------------------------------------------------------------

_ALWAYS_REFUSED_V4 = [ipaddress.ip_network("0.0.0.0/8")]  # "this network": never a server


def _carried_ipv4(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``::ffff:a.b.c.d`` and friends (6to4, Teredo) are judged by the IPv4 address they carry."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is None and ip.teredo:
            mapped = ip.teredo[1]
        if mapped is not None:
            return mapped
    return ip


def address_verdict(address: str, *, allow_private: bool) -> str | None:
    """``None`` when ``address`` may be connected to, else a short reason.

    >>> address_verdict("169.254.169.254", allow_private=True)
    'link-local / cloud metadata address'
    >>> address_verdict("127.0.0.1", allow_private=False)
    'loopback address'
    >>> address_verdict("127.0.0.1", allow_private=True) is None
    True
    """
    try:
        ip = _carried_ipv4(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return "not an IP address"
    if ip.is_link_local:
        return "link-local / cloud metadata address"
    if ip.is_unspecified or (ip.version == 4 and any(ip in n for n in _ALWAYS_REFUSED_V4)):
        return "unspecified address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_loopback:
        return None if allow_private else "loopback address"
    if ip.is_reserved:
        return "reserved address"
    if not ip.is_global:
        return None if allow_private else "private network address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolveError(str(exc)) from None
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in seen:
            seen.append(addr)
    return seen


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


# --- the total deadline ------------------------------------------------------------------------
# post_form() sets the deadline of the request it sends on its own thread (the sync engine sends
# requests from worker threads too); the connection layer below bounds every wait by it.
_deadline = threading.local()


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` shortened to the time left before the current request's deadline."""
    end = getattr(_deadline, "at", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise expired("the request's total deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(tls)

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """A network backend that resolves, checks every address, then connects to a checked one.

    httpcore hands TLS the origin host name (not the address we connected to), so SNI and the
    certificate check still use the name the user typed.
    """

    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolver = resolver or system_resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.NetworkStream:
        host = host.strip("[]")
        addresses = [host] if _is_ip_literal(host) else self.resolver(host, port)
        if not addresses:
            raise ResolveError(f"{host} has no address")
        # Refuse if *any* answer is forbidden: an attacker-controlled zone could mix answers.
        for address in addresses:
            reason = address_verdict(address, allow_private=self.allow_private)
            if reason:
                raise BlockedAddress(host, address, reason)
        last_exc: Exception | None = None
        for address in addresses:
            try:
                wait = _bounded(timeout, httpcore.ConnectTimeout)
                return DeadlineStream(super().connect_tcp(address, port, wait, local_address, socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_exc = exc
        assert last_exc is not None
        raise last_exc


class GuardedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connection pool uses :class:`GuardedBackend`."""

    def __init__(
        self, *, ssl_context: ssl.SSLContext, allow_private: bool, resolver: Resolver | None = None
    ) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx has no public hook for the network backend; rebuild its pool with ours (same
        # settings httpx would use, plus the backend). Pinned httpx minor version guards this.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=10,
            max_keepalive_connections=10,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(allow_private=allow_private, resolver=resolver),
        )


@lru_cache(maxsize=8)
def ssl_context(ca_bundle: str = "") -> ssl.SSLContext:
    """A verifying TLS context: certifi's roots plus ``ca_bundle`` (a PEM file) when given."""
    ctx = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        ctx.load_verify_locations(cafile=ca_bundle)
    # create_default_context already sets CERT_REQUIRED + check_hostname; say it loudly anyway.
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def make_client(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
    allow_private: bool | None = None,
    ca_bundle: str | None = None,
    resolver: Resolver | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` with our policy (see the module docstring). Close it when done.

    ``transport`` replaces the network entirely (tests: ``httpx.MockTransport``); ``resolver``
    replaces DNS only, so the guard and real sockets still run.
    """
    if transport is None:
        from django.conf import settings

        if allow_private is None:
            allow_private = bool(getattr(settings, "ALLOW_PRIVATE_URLS", True))
        if ca_bundle is None:
            ca_bundle = getattr(settings, "WHMCS_CA_BUNDLE", "") or ""
        transport = GuardedTransport(
            ssl_context=ssl_context(ca_bundle), allow_private=allow_private, resolver=resolver
        )
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )


@sensitive_variables("data", "kwargs")
def post_form(
    client: httpx.Client,
    url: str,
    data: Mapping[str, str | int],
    *,
    timeout: float | None = None,
    deadline: float = DEFAULT_DEADLINE,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> httpx.Response:
    """POST ``data`` form-encoded and return the response with its body read (≤ ``max_bytes``).

    The whole request — connecting, sending, the answer to its last byte — ends within
    ``deadline`` seconds, or it fails as a timeout. Raises :class:`OutboundError` when no usable
    HTTP answer arrives. Any HTTP status (3xx, 4xx, 5xx) is returned, not raised: what it means
    is the caller's business.
    """
    return request(
        client, "POST", url, timeout=timeout, deadline=deadline, max_bytes=max_bytes, data=dict(data)
    )


@sensitive_variables("kwargs")
def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    timeout: float | None = None,
    deadline: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    **kwargs: Any,
) -> httpx.Response:
    """Send ``method`` to ``url`` and return the response with its body read (≤ ``max_bytes``).

    ``kwargs`` go to ``httpx.Client.stream`` (``content=``, ``headers=``, ``data=`` …), e.g. a
    WebDAV upload::

        request(client, "PUT", url, content=chunks, headers={"Content-Length": "1234"})

    ``deadline`` (seconds) bounds the whole request, however slowly the other side answers;
    ``None`` leaves only the per-operation ``timeout`` (a large upload may need longer).
    Same guarantees and errors as :func:`post_form`.
    """
    if timeout is not None:
        kwargs["timeout"] = httpx.Timeout(timeout)
    outer = getattr(_deadline, "at", None)
    if deadline is not None:
        ends = time.monotonic() + deadline
        _deadline.at = ends if outer is None else min(outer, ends)
    try:
        with client.stream(method, url, **kwargs) as streamed:
            declared = streamed.headers.get("content-length", "")
            if method != "HEAD" and declared.isdigit() and int(declared) > max_bytes:
                raise OutboundError(TOO_LARGE, _too_large(max_bytes))
            chunks: list[bytes] = []
            size = 0
            for chunk in streamed.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise OutboundError(TOO_LARGE, _too_large(max_bytes))
                chunks.append(chunk)
                # A transport without our network layer (a test's) is held to the deadline here.
                _bounded(None, httpx.ReadTimeout)
            body = b"".join(chunks)
    except OutboundError:
        raise
    except Exception as exc:
        failure = translate(exc, url)
        if failure is None:
            raise
        log.debug("request to %s failed: %s", redact_url(url), failure.message)
        raise failure from None
    finally:
        _deadline.at = outer
    response = httpx.Response(
        streamed.status_code, headers=streamed.headers, content=body, request=streamed.request
    )
    # The body is already decoded (gzip…); drop the header so nothing decodes it twice.
    response.headers.pop("content-encoding", None)
    log.debug("%s %s -> %s (%d bytes)", method, redact_url(url), response.status_code, len(body))
    return response


def _too_large(max_bytes: int) -> str:
    return gettext("The server's answer is larger than %(size)s MB; refused.") % {
        "size": max_bytes // (1024 * 1024)
    }


# --- translating failures into words -------------------------------------------------------------

_TLS_HOSTNAME_CODES = {62}  # X509_V_ERR_HOSTNAME_MISMATCH
_TLS_EXPIRED_CODES = {10}  # X509_V_ERR_CERT_HAS_EXPIRED


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]


def _untrusted_certificate(link: ssl.SSLCertVerificationError, host: str) -> OutboundError:
    """A certificate that failed verification: wrong host name, expired, or not trusted."""
    code = getattr(link, "verify_code", None)
    if code in _TLS_HOSTNAME_CODES:
        return OutboundError(
            TLS_HOSTNAME,
            gettext("The TLS certificate of %(host)s is for another host name (host name mismatch).")
            % {"host": host},
        )
    if code in _TLS_EXPIRED_CODES:
        return OutboundError(
            TLS_UNTRUSTED, gettext("The TLS certificate of %(host)s has expired.") % {"host": host}
        )
    return OutboundError(
        TLS_UNTRUSTED,
        gettext("The TLS certificate of %(host)s is not trusted (self-signed or unknown authority).")
        % {"host": host},
    )


def translate(exc: BaseException, url: str = "") -> OutboundError | None:
    """A transport failure as an :class:`OutboundError`, or ``None`` if it is not one.

    >>> translate(httpx.ConnectTimeout("timed out")).kind
    'timeout'
    """
    host = urlsplit(url).hostname or gettext("the server") if url else gettext("the server")
    for link in _chain(exc):
        if isinstance(link, BlockedAddress):
            return OutboundError(
                BLOCKED,
                gettext("%(host)s resolves to %(address)s, a %(reason)s; connections there are not allowed.")
                % {"host": link.host, "address": link.address, "reason": link.reason},
            )
        if isinstance(link, ResolveError | socket.gaierror):
            return OutboundError(
                DNS, gettext("The host name %(host)s could not be resolved (DNS).") % {"host": host}
            )
        if isinstance(link, ssl.SSLCertVerificationError):
            return _untrusted_certificate(link, host)
        if isinstance(link, ssl.SSLError):
            return OutboundError(
                TLS_OTHER, gettext("The TLS handshake with %(host)s failed.") % {"host": host}
            )
        if isinstance(link, ConnectionRefusedError):
            return OutboundError(
                REFUSED, gettext("%(host)s refused the connection (nothing listens there?).") % {"host": host}
            )
    if isinstance(exc, httpx.TimeoutException):
        return OutboundError(TIMEOUT, gettext("%(host)s did not answer in time (timeout).") % {"host": host})
    if isinstance(exc, httpx.ConnectError):
        return OutboundError(REFUSED, gettext("Could not connect to %(host)s.") % {"host": host})
    if isinstance(exc, httpx.TransportError):
        return OutboundError(
            NETWORK, gettext("The connection to %(host)s broke off before a full answer.") % {"host": host}
        )
    return None


# --- redaction --------------------------------------------------------------------------------------

SENSITIVE_KEYS = frozenset(
    {"secret", "password", "passwd", "accesskey", "access_key", "token", "api_key", "apikey", "key"}
)
MASK = "********"


def redact_params(params: Mapping[str, object]) -> dict[str, object]:
    """A copy of ``params`` with secret-like values masked.

    >>> redact_params({"identifier": "abc", "secret": "s3"})
    {'identifier': 'abc', 'secret': '********'}
    """
    return {k: (MASK if k.lower() in SENSITIVE_KEYS else v) for k, v in params.items()}


def redact_url(url: str) -> str:
    """``url`` without userinfo and with secret-like query values masked.

    >>> redact_url("https://u:p@h.example/includes/api.php?secret=x&a=1")
    'https://h.example/includes/api.php?secret=%2A%2A%2A%2A%2A%2A%2A%2A&a=1'
    """
    try:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:
        return "<unparsable URL>"
    query = urlencode(list(redact_params(dict(parse_qsl(parts.query, keep_blank_values=True))).items()))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
