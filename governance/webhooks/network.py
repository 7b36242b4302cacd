"""Where a webhook may be sent, and sending it.

Only ``http`` and ``https`` URLs, without credentials in them. Unless
``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is on, a host whose addresses include anything but public
internet addresses (private, loopback, link-local, multicast, reserved) is refused, when the
endpoint is saved and again at every delivery; the POST then connects to the very address that
was checked, so a DNS answer that changes in between cannot redirect it inward. Redirects are not
followed: a 3xx answer is a failed attempt.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL = 500
EXCERPT_BYTES = 1024
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(Exception):
    """The URL may not receive webhooks (scheme, host or the addresses it resolves to)."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def url_problems(url: str) -> list[str]:
    """What is wrong with ``url`` as a webhook URL, before any name is resolved."""
    if not url:
        return ["Enter the URL that receives the events."]
    if len(url) > MAX_URL:
        return [f"Keep the URL to {MAX_URL} characters."]
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        return ["The URL may not contain spaces or control characters."]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ["Enter a valid URL."]
    if parts.scheme not in ("http", "https"):
        return ["Only http:// and https:// URLs can receive webhooks."]
    if not parts.hostname:
        return ["The URL needs a host name."]
    if parts.username is not None or parts.password is not None:
        return ["Leave user names and passwords out of the URL; check the signature instead."]
    if port == 0:
        return ["Enter a valid port."]
    return []


def private_networks_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def _forbidden(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _target(url: str) -> tuple[str, int, bool]:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    return parts.hostname or "", parts.port or (443 if https else 80), https


def resolve(url: str) -> list[str]:
    """The addresses ``url`` may be sent to, or ``DestinationRefused`` saying why none."""
    problems = url_problems(url)
    if problems:
        raise DestinationRefused(problems[0])
    host, port, _ = _target(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DestinationRefused(f"The host {host} cannot be resolved.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not private_networks_allowed() and any(
        _forbidden(ipaddress.ip_address(address.split("%", 1)[0])) for address in addresses
    ):
        raise DestinationRefused(
            f"The host {host} is on a private, loopback or link-local network; "
            "webhooks only go to public addresses."
        )
    return addresses


def destination_check(url: str) -> None:
    """Refuse ``url`` for an endpoint being saved (``DestinationRefused``).

    With private networks allowed nothing is resolved: the host may not exist yet, and the
    delivery log will say so.
    """
    problems = url_problems(url)
    if problems:
        raise DestinationRefused(problems[0])
    if not private_networks_allowed():
        resolve(url)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        # The certificate is checked against the host name of the URL, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to ``url`` at a checked address; the status and the first KB of the answer.

    Raises ``DestinationRefused`` for a refused URL and ``OSError`` / ``HTTPException`` when no
    answer came.
    """
    addresses = resolve(url)
    host, port, https = _target(url)
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    error: OSError | None = None
    for address in addresses:
        connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        connection = connection_class(host, port, address, timeout)
        try:
            try:
                connection.connect()
            except OSError as exc:  # the next address may answer
                error = exc
                continue
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
            return Answer(status=response.status, excerpt=excerpt)
        finally:
            connection.close()
    raise error or OSError(f"No address of {host} answered.")
