"""Fetching article and feed URLs safely: timeouts, a size cap, a redirect limit, a content-type check, and no
requests to internal addresses (loopback, private, link-local, cloud metadata) unless explicitly allowed.

The address check runs on the resolved IPs of every hop, so a public name that resolves to 127.0.0.1, or a public
URL that redirects to 169.254.169.254, is refused the same way as the literal address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from app import __version__

Resolver = Callable[[str], list[str]]
ACCEPTED_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "text/markdown",
    "application/json",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/x-ndjson",
)
USER_AGENT = f"defections-api/{__version__} (+article ingestion)"


class FetchError(Exception):
    """A URL that could not be fetched; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # the final URL after redirects
    content_type: str
    body: bytes


def system_resolver(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc.strerror}") from None
    return sorted({str(info[4][0]) for info in infos})


def parse_allow_list(value: str) -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    hosts: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower())
    return hosts, networks


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str, *, allow: str = "", resolve: Resolver = system_resolver) -> None:
    """Refuse URLs that are not http(s) or that point at internal addresses (unless allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"refused: only http and https URLs are fetched, not {parts.scheme or 'no scheme'!r}")
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError("refused: the URL has no host")
    allowed_hosts, allowed_networks = parse_allow_list(allow)
    if host in allowed_hosts:
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host)]
    if not addresses:
        raise FetchError(f"cannot resolve host {host!r}")
    for address in addresses:
        if any(address in network for network in allowed_networks):
            continue
        if _is_internal(address):
            raise FetchError(f"refused: {host} resolves to internal address {address} (see FETCH_ALLOW_HOSTS)")


def fetch(
    url: str,
    *,
    timeout: float = 10.0,
    max_bytes: int = 5_000_000,
    max_redirects: int = 5,
    allow: str = "",
    accept: Iterable[str] = ACCEPTED_TYPES,
    resolve: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET a URL, following redirects by hand so that every hop is checked before it is requested."""
    accepted = tuple(accept)
    with httpx.Client(
        timeout=timeout, follow_redirects=False, transport=transport, headers={"User-Agent": USER_AGENT}
    ) as client:
        current = url
        for _hop in range(max_redirects + 1):
            check_url(current, allow=allow, resolve=resolve)
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(f"redirect without a Location header from {current}")
                        current = urljoin(current, location)
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"HTTP {response.status_code} from {current}")
                    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    if content_type and not content_type.startswith(accepted):
                        raise FetchError(f"unsupported content type {content_type!r} from {current}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(f"response of {declared} bytes is over the {max_bytes}-byte limit")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > max_bytes:
                            raise FetchError(f"response is over the {max_bytes}-byte limit")
                    return Fetched(url=current, content_type=content_type, body=bytes(body))
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {timeout:g} s fetching {current}") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"cannot fetch {current}: {type(exc).__name__}: {exc}") from None
        raise FetchError(f"more than {max_redirects} redirects starting at {url}")
