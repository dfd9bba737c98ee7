"""One HTTP session for every source: polite, bounded, retried, and confined to each source's hosts."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from extractors.base import FetchError

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 5
CHUNK = 64 * 1024


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
        for _ in range(MAX_REDIRECTS + 1):
            check_host(source_id, url, allowed_hosts)
            response = self._send(source_id, url, request_headers)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                response.close()
                continue
            return self._read(source_id, url, response)
        raise FetchError(source_id, url, f"more than {MAX_REDIRECTS} redirects")

    def _send(self, source_id: str, url: str, headers: dict[str, str]) -> requests.Response:
        self.pacer.wait(urlsplit(url).hostname or "")
        try:
            return self.session.get(
                url, headers=headers, stream=True, allow_redirects=False,
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
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise FetchError(source_id, url, f"body is over the cap of {cap} bytes")
                parts.append(chunk)
        except requests.RequestException as exc:
            raise BodyError(source_id, url, _reason(exc)) from None
        return b"".join(parts)


def check_host(source_id: str, url: str, allowed_hosts: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(source_id, url, f"scheme {parts.scheme!r} is not allowed")
    host = (parts.hostname or "").lower()
    if host not in allowed_hosts:
        raise FetchError(source_id, url, f"host {host!r} is not in the source's allowlist {allowed_hosts}")


def _reason(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:300]}"
