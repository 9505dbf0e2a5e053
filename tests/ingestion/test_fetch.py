"""URL fetching: limits and SSRF protection, with a mock transport and a fake resolver (no real network)."""

from __future__ import annotations

import httpx
import pytest

from app.ingestion.fetch import FetchError, check_url, fetch

PUBLIC = {"news.example": ["93.184.216.34"], "evil.example": ["127.0.0.1"], "meta.example": ["169.254.169.254"]}


def resolve(host: str) -> list[str]:
    return PUBLIC.get(host, ["93.184.216.34"])


def transport(routes: dict[str, httpx.Response]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return routes.get(str(request.url), httpx.Response(404))

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/admin",
        "http://localhost/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://evil.example/",
        "http://meta.example/",
        "ftp://news.example/file",
        "file:///etc/passwd",
    ],
)
def test_internal_and_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="refused"):
        check_url(url, resolve=lambda host: ["127.0.0.1"] if host == "localhost" else resolve(host))


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("http://127.0.0.1:8080/", "127.0.0.1"),
        ("http://evil.example/", "127.0.0.0/8"),
        ("http://evil.example/", "evil.example"),
    ],
)
def test_allow_list_permits_internal_addresses(url: str, allow: str) -> None:
    check_url(url, allow=allow, resolve=resolve)


def test_fetch_ok() -> None:
    routes = {
        "http://news.example/a": httpx.Response(200, text="<html>x</html>", headers={"content-type": "text/html"})
    }
    result = fetch("http://news.example/a", resolve=resolve, transport=transport(routes))
    assert result.body == b"<html>x</html>" and result.content_type == "text/html"


@pytest.mark.parametrize("target", ["http://127.0.0.1/", "http://169.254.169.254/latest/", "http://meta.example/x"])
def test_redirect_to_internal_address_is_refused(target: str) -> None:
    routes = {"http://news.example/a": httpx.Response(302, headers={"location": target})}
    with pytest.raises(FetchError, match="refused"):
        fetch("http://news.example/a", resolve=resolve, transport=transport(routes))


def test_redirect_to_non_http_scheme_is_refused() -> None:
    routes = {"http://news.example/a": httpx.Response(301, headers={"location": "file:///etc/passwd"})}
    with pytest.raises(FetchError, match="only http and https"):
        fetch("http://news.example/a", resolve=resolve, transport=transport(routes))


def test_redirect_limit() -> None:
    routes = {f"http://news.example/{i}": httpx.Response(302, headers={"location": f"/{i + 1}"}) for i in range(10)}
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch("http://news.example/0", max_redirects=3, resolve=resolve, transport=transport(routes))


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, content=b"x" * 2000, headers={"content-type": "text/html"}), "over the 1000-byte limit"),
        (httpx.Response(200, content=b"%PDF", headers={"content-type": "application/pdf"}), "unsupported content type"),
        (httpx.Response(500), "HTTP 500"),
    ],
)
def test_fetch_limits(response: httpx.Response, message: str) -> None:
    routes = {"http://news.example/a": response}
    with pytest.raises(FetchError, match=message):
        fetch("http://news.example/a", max_bytes=1000, resolve=resolve, transport=transport(routes))


def test_timeout_is_reported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FetchError, match="timed out"):
        fetch("http://news.example/a", timeout=0.5, resolve=resolve, transport=httpx.MockTransport(handler))
