"""One HTTP session for every source: polite, bounded, retried, and confined to each source's hosts."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from extractors.base import FetchError

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
# zlib window bits: gzip header and trailer (CRC, length) checked; deflate with or without zlib header.
WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True)
class HttpConfig:
    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    min_host_interval: float = 1.0
    max_response_bytes: int = 200 * 1024 * 1024
    retry_total: int = 4
    retry_backoff: float = 1.0
    retry_max_wait: float = 120.0
    # Where each request really goes ("host" -> "127.0.0.1:8123"): tests point sources at a local
    # server this way while the allowlist is still checked against the source's own host names.
    host_map: tuple[tuple[str, str], ...] = ()
    # Private/loopback addresses a request may reach (the test server); all others are refused.
    private_allowed: tuple[str, ...] = ()


@dataclass
class HttpResponse:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes = b""
    not_modified: bool = False


class BodyError(FetchError):
    """The body broke off or was corrupt: worth another try, unlike a refusal."""


class CappedRetry(Retry):
    """urllib3 Retry whose Retry-After wait is bounded, so a hostile server cannot park a run."""

    max_wait: float = 120.0

    def get_retry_after(self, response):  # noqa: ANN001 (urllib3 signature)
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, self.max_wait)

    def new(self, **kw):  # keep max_wait across the copies urllib3 makes per attempt
        other = super().new(**kw)
        other.max_wait = self.max_wait
        return other


@dataclass
class HostPacer:
    """Minimum interval between two requests to one host, across threads."""

    interval: float
    _last: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            ready = self._last.get(host, 0.0) + self.interval
            self._last[host] = max(now, ready)
        if ready > now:
            time.sleep(ready - now)


class HttpSession:
    def __init__(self, config: HttpConfig):
        self.config = config
        self.session = requests.Session()
        self.session.headers["User-Agent"] = config.user_agent
        self.session.headers["Accept-Encoding"] = "gzip, deflate"  # the encodings decode() checks
        retry = CappedRetry(
            total=config.retry_total, connect=config.retry_total, read=config.retry_total,
            status=config.retry_total, backoff_factor=config.retry_backoff,
            status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True, raise_on_status=False,
        )
        retry.max_wait = config.retry_max_wait
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.pacer = HostPacer(config.min_host_interval)

    def get(self, source_id: str, url: str, allowed_hosts: tuple[str, ...],
            headers: dict[str, str] | None = None, etag: str | None = None,
            last_modified: str | None = None) -> HttpResponse:
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        for attempt in range(self.config.retry_total + 1):
            try:
                return self._follow(source_id, url, allowed_hosts, request_headers)
            except BodyError:
                if attempt == self.config.retry_total:
                    raise
                time.sleep(self.config.retry_backoff * 2 ** attempt)
        raise AssertionError("unreachable")

    def _follow(self, source_id: str, url: str, allowed_hosts: tuple[str, ...],
                request_headers: dict[str, str]) -> HttpResponse:
        asked = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_host(source_id, url, allowed_hosts)
                target = self._target(url)
                check_public(source_id, url, target, self.config.private_allowed)
            except FetchError as exc:
                if url == asked:
                    raise
                # Name the URL the source asked for, not only where the redirect pointed.
                raise FetchError(source_id, asked, f"redirected to {url}: {exc.cause}") from None
            response = self._send(source_id, url, target, request_headers)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                response.close()
                continue
            return self._read(source_id, url, response)
        raise FetchError(source_id, asked, f"more than {MAX_REDIRECTS} redirects")

    def _target(self, url: str) -> str:
        parts = urlsplit(url)
        mapped = dict(self.config.host_map).get(parts.hostname or "")
        return parts._replace(scheme="http", netloc=mapped).geturl() if mapped else url

    def _send(self, source_id: str, url: str, target: str, headers: dict[str, str]) -> requests.Response:
        """GET ``target`` (``url`` after the host map); errors name ``url``, the one the source asked for."""
        self.pacer.wait(urlsplit(target).hostname or "")
        try:
            return self.session.get(
                target, headers=headers, stream=True, allow_redirects=False,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
            )
        except requests.RequestException as exc:
            raise FetchError(source_id, url, _reason(exc)) from None

    def _read(self, source_id: str, url: str, response: requests.Response) -> HttpResponse:
        headers = dict(response.headers)
        with response:
            if response.status_code == 304:
                return HttpResponse(url, 304, headers, not_modified=True)
            if response.status_code != 200:
                raise FetchError(source_id, url, f"HTTP {response.status_code} after retries")
            content = self._body(source_id, url, response)
        if not content:
            raise FetchError(source_id, url, "empty body with HTTP 200")
        return HttpResponse(url, 200, headers, content)

    def _body(self, source_id: str, url: str, response: requests.Response) -> bytes:
        cap = self.config.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(source_id, url, f"body of {declared} bytes is over the cap of {cap}")
        parts, size = [], 0
        try:
            # Raw bytes, decoded below: urllib3's streaming gunzip never checks the gzip trailer,
            # so a cut or corrupt compressed body would pass as a shorter document.
            for chunk in response.raw.stream(CHUNK, decode_content=False):
                size += len(chunk)
                if size > cap:
                    raise FetchError(source_id, url, f"body is over the cap of {cap} bytes")
                parts.append(chunk)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise BodyError(source_id, url, _reason(exc)) from None
        return decode(source_id, url, b"".join(parts), response.headers.get("Content-Encoding", ""), cap)


def decode(source_id: str, url: str, raw: bytes, encoding: str, cap: int) -> bytes:
    """Undo a gzip/deflate Content-Encoding whole: checksum and length checked, size capped."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in WBITS:
        raise FetchError(source_id, url, f"unsupported Content-Encoding {encoding!r}")
    inflater = zlib.decompressobj(WBITS[encoding])
    try:
        content = inflater.decompress(raw, cap + 1)
    except zlib.error as exc:
        raise BodyError(source_id, url, f"corrupt {encoding} body: {exc}") from None
    if len(content) > cap:
        raise FetchError(source_id, url, f"body unpacks to over the cap of {cap} bytes")
    if not inflater.eof or inflater.unused_data.strip(b"\0"):
        raise BodyError(source_id, url, f"corrupt {encoding} body: cut short or followed by other bytes")
    return content


def check_host(source_id: str, url: str, allowed_hosts: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(source_id, url, f"scheme {parts.scheme!r} is not allowed")
    host = (parts.hostname or "").lower()
    if host not in allowed_hosts:
        raise FetchError(source_id, url, f"host {host!r} is not in the source's allowlist {allowed_hosts}")


def check_public(source_id: str, url: str, target: str, private_allowed: tuple[str, ...]) -> None:
    """Refuse a host that is, or resolves to, a private, loopback or link-local address.

    Checked before connecting, so a URL given as a parameter cannot reach internal services.
    """
    host = urlsplit(target).hostname or ""
    if host in private_allowed:
        return
    for address in _addresses(host):
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            raise FetchError(source_id, url, f"host {host!r} is a private or loopback address ({address})")


def _addresses(host: str) -> list:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return []  # unresolvable: the request itself will fail with a clear error
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


PLAIN_REASONS = (("Read timed out", "read timed out"), ("ConnectTimeout", "connect timed out"),
                 ("Connection refused", "connection refused"), ("Connection reset", "connection reset"),
                 ("IncompleteRead", "body shorter than its Content-Length"),
                 ("decoding", "corrupt compressed body"))


def _reason(exc: Exception) -> str:
    """The cause in plain words first: urllib3's text is long and gets cut."""
    text = str(exc)
    plain = next((words for marker, words in PLAIN_REASONS if marker in text), None)
    detail = f"{type(exc).__name__}: {text[:300]}"
    return f"{plain} ({detail})" if plain else detail
