"""Shared base of the HTTP API providers, on an injected :class:`httpx.Client`.

Transport errors and HTTP statuses are mapped once, here:

* connect errors, connect/pool timeouts, a proxy's refusal and a request httpx would not
  write → retryable (nothing reached the provider);
* read/write timeouts, dropped connections, a 2xx whose body cannot be decoded (a broken
  ``Content-Encoding``) and any other :class:`httpx.HTTPError` → unknown (it may have been
  sent); an error status whose body cannot be decoded is mapped by its status alone;
* 408 (the request timed out before it was processed), 429 and 5xx → retryable, with
  ``Retry-After`` (seconds or HTTP date) or ``ratelimit-reset`` honoured by the backoff;
* 401 and 403 → :class:`~newsletter.errors.ProviderError` (credentials or sender).

Every other response goes to the provider's ``parse``, which knows its body shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import httpx

from newsletter.config import DeliverySettings, HttpProviderSettings, SecretName, Secrets
from newsletter.delivery.base import CallFailed, Sender, sender_kwargs
from newsletter.delivery.models import OutgoingMessage, SendStatus
from newsletter.errors import ProviderError
from newsletter.util.http import retry_after_seconds
from newsletter.util.text import clean_line


@dataclass(frozen=True, slots=True)
class HttpCall:
    """One provider request and the messages it carries."""

    messages: tuple[OutgoingMessage, ...]
    path: str
    json: Any = None
    data: Mapping[str, str | list[str]] | None = None
    #: Parts sent as multipart/form-data with ``data`` (name, (None, bytes, content type)):
    #: large text goes out as it is, where a urlencoded form escapes every other byte.
    files: Sequence[tuple[str, tuple[None, bytes, str]]] | None = None
    #: Pre-serialised JSON body (see :class:`JsonSplicer`); sent as application/json.
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def short_body(resp: httpx.Response, limit: int = 300) -> str:
    text = resp.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


#: Longest provider message id kept (real ones: a UUID, ``<...@mg.example.com>``).
PROVIDER_ID_MAX = 200


def provider_id(value: object) -> str | None:
    """A provider's id of an accepted message, as stored: a string or a number, as one plain
    line of at most :data:`PROVIDER_ID_MAX` characters; None for a null, a blank, or a value
    of another kind (``str(None)`` was stored as the id ``"None"``)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return clean_line(str(value), PROVIDER_ID_MAX) or None


def body_json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


#: The transport errors raised before any byte of the request reached the provider: no
#: connection (refused, timed out, none free in the pool), a proxy that refused the tunnel,
#: an address of no known scheme, a request httpx would not write.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


class HttpSender(Sender[HttpCall, httpx.Response]):
    """The request/response handling every HTTP provider shares."""

    #: Secret name in ``newsletter.config.SECRET_ENV``.
    secret_name: ClassVar[SecretName]
    default_base_url: ClassVar[str]

    def __init__(
        self,
        *,
        client: httpx.Client,
        api_key: str,
        base_url: str | None = None,
        settings: HttpProviderSettings | None = None,
        owns_client: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client = client
        self.api_key = api_key
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.settings = settings or HttpProviderSettings()
        self._owns_client = owns_client

    @classmethod
    def settings_of(cls, settings: DeliverySettings) -> HttpProviderSettings:
        own: HttpProviderSettings = getattr(settings, cls.name)
        return own

    @classmethod
    def from_settings(cls, settings: DeliverySettings, secrets: Secrets, **deps: Any) -> Self:
        own = cls.settings_of(settings)
        api_key = secrets.require(cls.secret_name, f"to send through {cls.name}")
        client = deps.get("client")
        return cls(
            client=client or httpx.Client(timeout=own.timeout_seconds),
            owns_client=client is None,
            api_key=api_key,
            base_url=own.base_url,
            settings=own,
            **sender_kwargs(settings, deps),
        )

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def call_messages(self, call: HttpCall) -> Sequence[OutgoingMessage]:
        return call.messages

    def auth_headers(self) -> dict[str, str]:
        """Authentication headers (default: bearer token)."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def refuse(self, resp: httpx.Response) -> None:
        """Provider hook run before the generic status mapping (raise to override it)."""

    def post(self, call: HttpCall) -> httpx.Response:
        headers = {"Accept": "application/json", **self.auth_headers(), **call.headers}
        if call.content is not None:
            headers["Content-Type"] = "application/json"
        try:
            request = self.client.build_request(
                "POST",
                self.base_url + call.path,
                json=call.json,
                data=call.data,
                files=call.files,
                content=call.content,
                headers=headers,
            )
            resp = self.client.send(request, stream=True)
        except _NOT_SENT as exc:
            raise CallFailed(SendStatus.RETRYABLE, f"cannot connect: {exc}") from exc
        except httpx.HTTPError as exc:  # read/write timeouts, dropped connections, any other
            raise CallFailed(SendStatus.UNKNOWN, f"no answer after sending: {exc}") from exc
        try:
            resp.read()
        except httpx.DecodingError as exc:
            resp = _undecodable(resp, exc)
        except httpx.HTTPError as exc:  # the answer broke off: its status alone is no outcome
            raise CallFailed(SendStatus.UNKNOWN, f"no answer after sending: {exc}") from exc
        finally:
            resp.close()
        self.refuse(resp)
        code = resp.status_code
        if code in (408, 429) or code >= 500:  # 408: the request was not processed
            raise CallFailed(
                SendStatus.RETRYABLE,
                f"HTTP {code}: {short_body(resp)}",
                retry_after=retry_after_seconds(resp.headers, self.clock.now()),
                rate_limited=code == 429,
            )
        if code in (401, 403):
            raise ProviderError(
                self.name, "credentials or sender refused", status=code, body=short_body(resp)
            )
        return resp

    def fail(self, resp: httpx.Response, message: str) -> ProviderError:
        return ProviderError(self.name, message, status=resp.status_code, body=short_body(resp))


def _undecodable(resp: httpx.Response, exc: httpx.DecodingError) -> httpx.Response:
    """An answer whose body cannot be decoded (a broken ``Content-Encoding``): on a 2xx the
    outcome is unknown (it may have been accepted); an error status (4xx, 5xx) says what
    it says without its body, so it goes through the status mapping as an empty answer
    (a 400 is a refusal, a 503 retryable), never taken for a possible send."""
    if resp.status_code < 400:
        raise CallFailed(SendStatus.UNKNOWN, f"unreadable answer: {exc}") from exc
    dropped = ("content-encoding", "content-length")
    headers = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in dropped]
    note = f"(a body that cannot be decoded: {exc})".encode()
    return httpx.Response(resp.status_code, headers=headers, content=note, request=resp.request)


def group_by_content(
    messages: Sequence[OutgoingMessage], limit: int
) -> list[tuple[OutgoingMessage, ...]]:
    """Messages that can share one request body (same content, sender, list headers),
    each address at most once per group and at most ``limit`` per group."""
    groups: list[tuple[tuple[object, ...], list[OutgoingMessage], set[str]]] = []
    for m in messages:
        key = (m.content, m.sender, m.reply_to, m.list_id, m.headers)
        addr = m.to.email.lower()
        for gkey, members, seen in groups:
            if gkey == key and addr not in seen and len(members) < limit:
                members.append(m)
                seen.add(addr)
                break
        else:
            groups.append((key, [m], {addr}))
    return [tuple(members) for _, members, _ in groups]


def tag_values(m: OutgoingMessage) -> dict[str, str]:
    """Merge values for providers that substitute themselves: raw, and ``<name>__html``
    HTML-escaped (the HTML part's tags are renamed to the escaped ones)."""
    import html

    values = m.values
    out = dict(values)
    out.update({f"{k}__html": html.escape(v, quote=True) for k, v in values.items()})
    return out


def rename_tags(text: str, template: str, *, suffix: str = "") -> str:
    """Rewrite ``%%name%%`` tags with ``template.format(name=name + suffix)``."""
    from newsletter.models import MERGE_TAG_RE

    return MERGE_TAG_RE.sub(lambda mt: template.format(name=mt.group(1) + suffix), text)


def json_array(items: Iterable[bytes]) -> bytes:
    """A JSON array of already-encoded JSON values."""
    return b"".join((b"[", b",".join(items), b"]"))


class JsonSplicer:
    """JSON objects with a personalised HTML and text body, without re-encoding 50 KB each.

    JSON string escaping works character by character, so the escaped form of a filled-in
    template is the escaped static pieces joined with the escaped values. Each variant's
    pieces are escaped once; per message only the values are.
    """

    def __init__(self) -> None:
        self._parts: dict[str, tuple[tuple[bytes, ...], tuple[str, ...]]] = {}

    def _split(self, template: str) -> tuple[tuple[bytes, ...], tuple[str, ...]]:
        from newsletter.models import MERGE_TAG_RE

        hit = self._parts.get(template)
        if hit is None:
            pieces = MERGE_TAG_RE.split(template)  # static, tag, static, tag, ..., static
            # json.dumps escapes every non-ASCII character, so the pieces are ASCII bytes.
            static = tuple(json.dumps(p)[1:-1].encode("ascii") for p in pieces[0::2])
            hit = self._parts[template] = (static, tuple(pieces[1::2]))
        return hit

    def string(self, template: str, values: Mapping[str, str]) -> bytes:
        """The JSON string literal of ``template`` with its tags filled from ``values``."""
        static, tags = self._split(template)
        out = [b'"', static[0]]
        for tag, after in zip(tags, static[1:], strict=True):
            out.append(json.dumps(values[tag])[1:-1].encode("ascii"))
            out.append(after)
        out.append(b'"')
        return b"".join(out)

    def message(
        self,
        fields: Mapping[str, Any],
        m: OutgoingMessage,
        *,
        html_key: str,
        text_key: str,
    ) -> bytes:
        """``fields`` as a JSON object plus ``m``'s personalised HTML and text bodies."""
        import html

        raw = m.values
        escaped = {k: html.escape(v, quote=True) for k, v in raw.items()}
        head = json.dumps(fields, separators=(",", ":"))[:-1].encode("ascii")
        return b"".join(
            (
                head,
                f',"{html_key}":'.encode(),
                self.string(m.content.html, escaped),
                f',"{text_key}":'.encode(),
                self.string(m.content.text, raw),
                b"}",
            )
        )
