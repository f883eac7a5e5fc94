"""The polite async fetcher: one ``httpx.AsyncClient`` for a whole collection.

* bounded concurrency overall (``[collect] concurrency``) and per host
  (``per_host_concurrency``), and a rate per host (``per_host_rate`` requests/s, spaced by
  reservations on the injected clock);
* redirects followed here, hop by hop (at most :data:`MAX_REDIRECTS`), each hop a request
  like the first: it waits for its own host's slot and turn (a redirect to another host,
  or back to the same one, is never a free request), and its status, size and time are
  checked as the first one's are; a loop fails the board in one line, and so does a redirect
  from a public host to one that is not (loopback, a private network, a cloud's metadata
  address: a board on the internet never makes the collector fetch inside the network), and
  a redirect to a scheme other than http(s) (``ftp:``, ``file:``, ``javascript:``), refused
  before httpx reads its address, never retried;
* every connection to a host named as public (:func:`newsletter.util.urls.public_host`) is
  made to an address resolved here and checked first: a public name that resolves to a
  loopback, private or link-local address (DNS rebinding: a board's name, or a redirect's,
  pointed inside the network) is refused at once, never retried
  (:class:`_PublicAddresses`). An address or a private name the configuration gives
  (``http://127.0.0.1:8080``, ``jobs.internal``) is the operator's choice, connected to as
  it is;
* an identifying User-Agent with a contact address;
* connect/read timeouts, and a total time per response;
* retries with exponential backoff and full jitter (tenacity) on 408, 429, 5xx, timeouts and
  connection errors, never sooner than ``Retry-After`` (seconds or HTTP date); a
  ``Retry-After`` longer than ``max_retry_after_seconds`` fails the board instead;
* a size cap enforced while streaming (``Content-Length`` is checked first, then every byte
  received and every decoded byte is counted; a gzip or deflate body is inflated here, never
  more than the cap allows, so a compressed bomb stops at the cap too: httpx would inflate a
  whole network read at once, and 64 KiB of a bomb are 64 MiB); a compressed body whose
  stream does not end was cut short in transit (retried), never a shorter answer;
* the body streamed to disk gzip-compressed as it arrives (atomically: a temporary name,
  renamed when complete).

The clock and the sleep are injected: tests move a fake clock instead of waiting.
"""

from __future__ import annotations

import asyncio
import gzip
import random
import re
import socket
import zlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

import httpcore
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from newsletter.config import CollectSettings
from newsletter.data.collect.ats import Request
from newsletter.data.collect.manifest import Problem
from newsletter.errors import first_line
from newsletter.util.clock import Clock
from newsletter.util.files import replacing
from newsletter.util.http import retry_after_seconds
from newsletter.util.urls import WEB_SCHEMES, public_host

Sleep = Callable[[float], Awaitable[None]]
#: A host name and port -> the addresses it resolves to (:func:`resolve_host`; tests give
#: their own DNS).
Resolve = Callable[[str, int], Awaitable[list[str]]]
#: The Content-Encodings asked for, inflated by :func:`_inflater` (never httpx's decoders).
ACCEPT_ENCODING = "gzip, deflate"
#: gzip level of the saved raw responses (fast; JSON compresses well anyway).
GZIP_LEVEL = 5
#: Redirects followed for one request (more: a loop, the board fails).
MAX_REDIRECTS = 5
#: The scheme a ``Location`` starts with (RFC 3986); none: a relative one, of the same scheme.
_SCHEME_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")


class FetchFailed(Exception):  # noqa: N818 - the outcome of a request, reported per board
    """A request that did not give a usable body; ``reason`` is one line for the operator,
    ``problem`` its kind from the fixed list readers may see (:data:`Problem`)."""

    def __init__(
        self,
        reason: str,
        *,
        problem: Problem = "other",
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problem = problem
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


def user_agent(product: str, contact: str) -> str:
    """``product (+mailto:contact)``: who is crawling, and how to reach them."""
    where = contact if "://" in contact or ":" in contact else f"mailto:{contact}"
    return f"{product} (+{where})"


async def resolve_host(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system's resolver), each once, in its order."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class _PublicAddresses(httpcore.AsyncNetworkBackend):
    """The collector's connections: the host is resolved here and the connection made to
    the address checked, never to the name (resolved again, it could answer otherwise).
    A host named as public must resolve to public addresses only (every one: a loopback
    address among them would be tried too); an address or a private name, which only the
    configuration can give (a public board's redirect to one is refused before), is
    connected to whatever it resolves to."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, resolve: Resolve) -> None:
        self._inner = inner
        self._resolve = resolve

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"{host} was not resolved in time") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"{host} could not be resolved ({exc})") from None
        if public_host(host.lower()):
            inside = next((a for a in addresses if not public_host(a.lower())), None)
            if inside is not None:
                raise FetchFailed(
                    f"{host} resolves to {inside}, an address that is not public",
                    problem="connection",
                )
        failed: httpcore.ConnectError | httpcore.ConnectTimeout = httpcore.ConnectError(
            f"{host} resolves to no address"
        )
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failed = exc
        raise failed

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def checked_transport(
    limits: httpx.Limits | None = None, *, resolve: Resolve = resolve_host
) -> httpx.AsyncHTTPTransport:
    """httpx's transport with its connections made by :class:`_PublicAddresses` (the
    collector's own unless a test gives another)."""
    transport = httpx.AsyncHTTPTransport(limits=limits or httpx.Limits())
    pool = transport._pool  # httpx names no network backend of its own: the pool's is set
    pool._network_backend = _PublicAddresses(pool._network_backend, resolve)
    return transport


class _Host:
    """One host's share: a semaphore and the next free start time (rate by reservation)."""

    def __init__(self, slots: int) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.next_start = float("-inf")


class Fetcher:
    """Downloads requests to files under the limits of ``settings``."""

    def __init__(
        self,
        settings: CollectSettings,
        agent: str,
        *,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.agent = agent
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._all = asyncio.Semaphore(settings.concurrency)
        self._hosts: defaultdict[str, _Host] = defaultdict(
            lambda: _Host(settings.per_host_concurrency)
        )
        self._interval = 1.0 / settings.per_host_rate if settings.per_host_rate else 0.0

    async def __aenter__(self) -> Self:
        s = self.settings
        limits = httpx.Limits(
            max_connections=s.concurrency, max_keepalive_connections=s.concurrency
        )
        self._client = httpx.AsyncClient(
            headers={
                "User-Agent": self.agent,
                "Accept": "application/json, */*;q=0.5",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=httpx.Timeout(
                connect=s.connect_timeout_seconds,
                read=s.read_timeout_seconds,
                write=s.read_timeout_seconds,
                pool=s.total_timeout_seconds,
            ),
            follow_redirects=False,  # hop by hop in _once, each under its host's limits
            event_hooks={"response": [_web_redirects_only]},
            transport=self._transport or checked_transport(limits),
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- retries ------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        s = self.settings
        backoff = min(
            s.backoff_max_seconds, s.backoff_initial_seconds * 2 ** (state.attempt_number - 1)
        )
        wait = self.rng.uniform(0, backoff)  # full jitter
        if isinstance(exc, FetchFailed) and exc.retry_after is not None:
            wait = max(wait, exc.retry_after)
        return wait

    async def download(self, request: Request, dest: Path) -> bytes:
        """The body of ``request`` (also saved gzip-compressed at ``dest``), after retries;
        FetchFailed when it cannot be had."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, FetchFailed) and e.retryable),
            sleep=self.sleep,
            reraise=True,
        )
        body = b""
        async for attempt in retrying:
            with attempt:
                body = await self._once(request, dest)
        return body

    # -- one attempt --------------------------------------------------------------------
    async def _turn(self, host: _Host) -> None:
        """Wait for this host's next free start (rate per host)."""
        if not self._interval:
            return
        now = self.clock.monotonic()
        start = max(now, host.next_start)
        host.next_start = start + self._interval
        if start > now:
            await self.sleep(start - now)

    async def _once(self, request: Request, dest: Path) -> bytes:
        """One attempt: the request, then each redirect it answers with, every hop under
        its own host's limits."""
        assert self._client is not None, "use the Fetcher as an async context manager"
        hop = self._client.build_request(
            request.method, request.url, params=dict(request.params), json=request.json
        )
        origin = hop.url.host.lower()
        for _ in range(MAX_REDIRECTS + 1):
            host = self._hosts[hop.url.netloc.decode("ascii")]
            async with host.slots:
                await self._turn(host)  # before taking a slot of the whole crawl: waiting
                async with self._all:  # for one host's rate never holds up the other hosts
                    answer = await self._attempt(hop, dest)
            if isinstance(answer, bytes):
                return answer
            hop = answer
            target = hop.url.host.lower()
            if public_host(origin) and not public_host(target):  # never fetched
                raise FetchFailed(
                    f"redirected from {origin} to {target}, an address that is not public",
                    problem="connection",
                )
        raise FetchFailed(f"too many redirects (loop?) at {hop.url.host}", problem="redirects")

    async def _attempt(self, hop: httpx.Request, dest: Path) -> bytes | httpx.Request:
        """One hop: the body, or the request it redirects to; its transport failures mapped
        to FetchFailed."""
        limit = self.settings.total_timeout_seconds
        try:
            async with asyncio.timeout(limit):
                return await self._stream(hop, dest)
        except TimeoutError:
            raise FetchFailed(
                f"no complete answer within {limit:g} s", problem="timeout", retryable=True
            ) from None
        except httpx.TimeoutException as exc:
            raise FetchFailed(
                f"timed out ({type(exc).__name__})", problem="timeout", retryable=True
            ) from None
        except httpx.TransportError as exc:
            raise FetchFailed(
                f"connection failed ({type(exc).__name__}: {first_line(exc)[:120]})",
                problem="connection",
                retryable=True,
            ) from None

    async def _stream(self, hop: httpx.Request, dest: Path) -> bytes | httpx.Request:
        assert self._client is not None
        resp = await self._client.send(hop, stream=True)
        try:
            if resp.has_redirect_location and resp.next_request is not None:
                return resp.next_request  # httpx's rules: method, body, headers per status
            self._check_status(resp)
            return await self._save(resp, dest)
        finally:
            await resp.aclose()  # unread when it redirects or fails

    async def _save(self, resp: httpx.Response, dest: Path) -> bytes:
        """The body of ``resp``, streamed (inflated up to the cap) to ``dest``, gzipped."""
        cap = self.settings.max_response_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchFailed(
                f"answer of {int(declared):,} bytes is over the cap of {cap:,}",
                problem="too_large",
            )
        encoding = resp.headers.get("content-encoding", "").strip().lower()
        inflater = _inflater(encoding)
        body = bytearray()
        received = 0  # as sent: bytes past a gzip stream's end inflate to nothing
        with replacing(dest) as tmp, tmp.open("wb") as raw_file, _gzip(raw_file) as out:
            async for raw in resp.aiter_raw():  # as sent: inflated here, up to the cap
                chunk = _inflate(inflater, encoding, raw, cap - len(body))
                body += chunk
                received += len(raw)
                if len(body) > cap or received > cap:
                    raise FetchFailed(
                        f"answer is over the cap of {cap:,} bytes", problem="too_large"
                    )
                out.write(chunk)
            if inflater is not None and received and not inflater.eof:  # the rest never came
                raise FetchFailed(
                    f"the {encoding} body was cut short (its stream does not end)",
                    problem="connection",
                    retryable=True,
                )
        return bytes(body)

    def _check_status(self, resp: httpx.Response) -> None:
        status = resp.status_code
        if status in (408, 429) or status >= 500:  # 408: not processed, may be repeated
            wait = retry_after_seconds(resp.headers, self.clock.now())
            limit = self.settings.max_retry_after_seconds
            if wait is not None and wait > limit:
                raise FetchFailed(
                    f"HTTP {status}, asked to wait {wait:,.0f} s (more than {limit:g} s)",
                    problem="http",
                    status=status,
                )
            raise FetchFailed(
                f"HTTP {status}", problem="http", status=status, retryable=True, retry_after=wait
            )
        if status in (404, 410):  # 410 Gone: the board is gone, as a 404 says
            word = "not found" if status == 404 else "gone"
            raise FetchFailed(f"{word} (HTTP {status})", problem="not_found", status=status)
        if status >= 400:
            raise FetchFailed(f"HTTP {status}", problem="http", status=status)


async def _web_redirects_only(resp: httpx.Response) -> None:
    """Refuse a redirect to a scheme other than http(s), at once (never retried): run as a
    response hook, before httpx builds the next request from the ``Location`` (which failed
    as a connection error for ``ftp:`` and ``file:``, retried, and as an unexpected
    ``InvalidURL`` for ``javascript:``)."""
    if not resp.has_redirect_location:
        return
    found = _SCHEME_RE.match(resp.headers["Location"])
    scheme = found.group(1).lower() if found else ""
    if scheme and scheme not in WEB_SCHEMES:
        raise FetchFailed(
            f"redirected from {resp.request.url.host} to scheme {scheme[:20]}, not http(s): "
            "not followed",
            problem="connection",
        )


def _gzip(file: BinaryIO) -> gzip.GzipFile:
    """A raw answer's gzip stream: its header holds neither the temporary file's name nor the
    wall clock's time (MTIME 0: none), so the same answer is the same bytes on every run."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=file, compresslevel=GZIP_LEVEL, mtime=0)


def _inflater(encoding: str) -> zlib._Decompress | None:
    """The decompressor of a body's Content-Encoding (None: as it is); a gzip or zlib header
    is recognised either way, as servers label them loosely."""
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(32 + zlib.MAX_WBITS)
    raise FetchFailed(
        f"answer in an encoding not asked for ({encoding[:40]!r})", problem="unreadable"
    )


def _inflate(inflater: zlib._Decompress | None, encoding: str, raw: bytes, room: int) -> bytes:
    """``raw`` inflated, at most ``room + 1`` bytes of it (one more than the cap allows
    says the body is over it)."""
    if inflater is None:
        return raw
    try:
        return inflater.decompress(raw, room + 1)
    except zlib.error as exc:
        raise FetchFailed(f"a body that is not {encoding} ({exc})", problem="unreadable") from None
