"""One requests session for every call to CMS, and one place that turns HTTP failures into
``FetchError`` messages an ops person can act on.

CMS's pages sometimes answer automated clients with 403 or a 5xx while its ZIP URLs answer 200,
and it is down for maintenance now and then: retries with backoff absorb the short hiccups, and
everything else becomes a one-line error naming the URL, the status and what to do.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError, ReadTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from tracker.config import SourceSettings
from tracker.errors import FetchError

# (connect, read) seconds; a plain float means both.
Timeout = float | tuple[float, float]

_DEFAULT = SourceSettings()  # [source] at its defaults: the config schema holds each one
DEFAULT_TIMEOUT: tuple[float, float] = _DEFAULT.timeouts

# 429 and every 5xx are worth another try; 4xx other than 429 are answers, not hiccups.
_RETRY_STATUSES = frozenset({429, *range(500, 600)})

_HINTS: Mapping[int, str] = {
    403: (
        "CMS sometimes refuses automated clients; try again later, or download the file in a "
        "browser and set [source] directory"
    ),
    404: "the page or file has moved; check [source] listing_urls against cms.gov",
    410: "the page or file has moved; check [source] listing_urls against cms.gov",
    429: "CMS is rate-limiting this client; the next scheduled check will try again",
}
# urllib3 prefixes connection errors with "HTTPSConnection(host='www.cms.gov', port=443): ".
_CONNECTION_REPR = re.compile(r"^HTTPS?Connection\(.*?\): ")
_SERVER_HINT = "CMS is down or overloaded; the next scheduled check will try again"


class _Retry(Retry):
    """urllib3's Retry with an injectable sleep and a ceiling on ``Retry-After``.

    A server asking for a longer wait than ``max_retry_after`` is not retried at all (the last
    response is returned and reported), so a scheduled run never blocks for hours.
    """

    def __init__(
        self,
        *args: Any,
        sleep: Callable[[float], None] = time.sleep,
        max_retry_after: float = _DEFAULT.max_retry_after_seconds,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._sleep_fn = sleep
        self._max_retry_after = max_retry_after

    def new(self, **kw: Any) -> _Retry:
        # Retry.new rebuilds from a fixed list of constructor arguments; carry ours across.
        fresh = super().new(**kw)
        fresh._sleep_fn = self._sleep_fn
        fresh._max_retry_after = self._max_retry_after
        return fresh

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> _Retry:
        if response is not None:
            wait = self._retry_after(response)
            if wait is not None and wait > self._max_retry_after:
                raise MaxRetryError(None, url or "", None)  # type: ignore[arg-type]
        return super().increment(method, url, response, error, *args, **kwargs)

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        wait = self._retry_after(response)
        if wait:
            self._sleep_fn(wait)
            return True
        return False

    def _retry_after(self, response: BaseHTTPResponse) -> float | None:
        # urllib3 raises on a malformed Retry-After; an odd header is no reason to fail.
        try:
            return self.get_retry_after(response)
        except InvalidHeader:
            return None

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            self._sleep_fn(backoff)


class _TimeoutAdapter(HTTPAdapter):
    """An adapter that applies DEFAULT_TIMEOUT to any call that forgot to pass one."""

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = DEFAULT_TIMEOUT
        return super().send(request, *args, **kwargs)


def make_session(
    user_agent: str,
    *,
    retries: int = _DEFAULT.retries,
    backoff: float = _DEFAULT.backoff_seconds,
    max_retry_after: float = _DEFAULT.max_retry_after_seconds,
    sleep: Callable[[float], None] = time.sleep,
) -> requests.Session:
    """A session that retries GETs on connection errors, 429 and 5xx with exponential backoff
    (``backoff`` * 2**n seconds; 0 in tests), honours ``Retry-After`` up to ``max_retry_after``
    seconds, and sends ``user_agent``. ``sleep`` is injectable so tests never wait."""
    retry = _Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        redirect=False,  # the caller follows redirects hop by hop (sources.download)
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=_RETRY_STATUSES,
        backoff_factor=backoff,
        respect_retry_after_header=True,
        raise_on_status=False,  # give back the last 5xx so the error can name its status
        raise_on_redirect=False,
        sleep=sleep,
        max_retry_after=max_retry_after,
    )
    session = requests.Session()
    adapter = _TimeoutAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


def get(
    session: requests.Session,
    url: str,
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
    stream: bool = False,
    allow_redirects: bool = True,
) -> requests.Response:
    """GET ``url``; network failures become FetchError. The status is not checked here."""
    try:
        return session.get(
            url,
            timeout=timeout,
            headers=dict(headers or {}),
            stream=stream,
            allow_redirects=allow_redirects,
        )
    except requests.RequestException as exc:
        raise network_error(url, exc, timeout) from exc


def network_error(url: str, exc: BaseException, timeout: Timeout) -> FetchError:
    """The FetchError for a request that got no usable answer."""
    if _is_timeout(exc):
        return FetchError(
            f"{url}: timed out ({_describe_timeout(timeout)}): CMS is slow or unreachable; "
            "try again later or raise [source] timeouts"
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchError(
            f"{url}: TLS error ({_reason(exc)}): check the system clock and CA certificates, "
            "or the proxy that intercepts HTTPS"
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        return FetchError(
            f"{url}: cannot connect ({_reason(exc)}): check the network, DNS or proxy "
            "settings; the next scheduled check will try again"
        )
    return FetchError(f"{url}: request failed ({_reason(exc)})")


def status_error(url: str, response: requests.Response) -> FetchError:
    """The FetchError for an answer that is not 200 (or 304 where one was asked for)."""
    status = response.status_code
    reason = response.reason or ""
    text = f"HTTP {status} {reason}".rstrip()
    if status in _HINTS:
        hint = _HINTS[status]
    elif status >= 500:
        hint = _SERVER_HINT
    else:
        hint = "check the URL in a browser"
    retry_after = response.headers.get("Retry-After")
    if retry_after and status in _RETRY_STATUSES:
        text += f", Retry-After {retry_after.strip()}"
    return FetchError(f"{url}: {text}: {hint}")


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, requests.Timeout):
        return True
    # After read retries urllib3 raises MaxRetryError(reason=ReadTimeoutError), and a read
    # timeout while streaming a body is a bare ReadTimeoutError: requests passes both on as a
    # plain ConnectionError.
    for arg in getattr(exc, "args", ()):
        reason = arg.reason if isinstance(arg, MaxRetryError) else arg
        if isinstance(reason, ReadTimeoutError):
            return True
    return False


def _describe_timeout(timeout: Timeout) -> str:
    if isinstance(timeout, tuple):
        return f"connect {timeout[0]:g} s, read {timeout[1]:g} s"
    return f"{timeout:g} s"


def _reason(exc: BaseException) -> str:
    """The innermost cause, on one line: what went wrong without urllib3's pool chatter."""
    inner: BaseException = exc
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, MaxRetryError) and arg.reason is not None:
            inner = arg.reason
    text = _CONNECTION_REPR.sub("", " ".join(str(inner).split()))
    return text or type(inner).__name__
