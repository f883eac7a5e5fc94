"""Typed values of the delivery layer: what goes out, and what came back.

An :class:`~newsletter.models.IssueContent` (the one body type, with its ``%%name%%`` merge
tags: :mod:`newsletter.models`) is one rendered issue *variant*, shared by every recipient
who gets that variant (``%%unsubscribe_url%%`` at least, in both parts); an
:class:`OutgoingMessage` pairs one content with one recipient and the values of its tags.
Values are HTML-escaped where they land in the HTML part and inserted as they are in the
text part. Keeping the variant and the per-recipient values apart is what lets the fast
MIME path encode each variant once and splice, and what lets batch providers with native
substitution (SendGrid, Mailgun) upload one body per batch.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import make_msgid
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote, urlsplit

from email_validator import EmailNotValidError, validate_email

from newsletter.models import IssueContent, fill_tags

#: Characters that never belong in an address or a display name: they would end a header
#: line (CR, LF) or hide in it (other C0 controls, DEL).
_HEADER_BREAKING = re.compile(r"[\x00-\x1f\x7f]")
#: A display name that is RFC 5322 atoms separated by single spaces (printed as it is).
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
#: Printable ASCII, which a quoted string carries (with ``\`` and ``"`` escaped).
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
#: The most UTF-8 bytes in one encoded word: "=?utf-8?b?" + base64 (60) + "?=" is 72 characters
#: (RFC 2047: at most 75; 47 bytes made 76).
_EW_BYTES = 45
#: Header lines of encoded words are folded before this many characters (RFC 2047: 76).
_FOLD_AT = 76


def encoded_words(text: str, max_bytes: int = _EW_BYTES) -> list[str]:
    """``text`` as RFC 2047 encoded words (UTF-8, base64), each of at most ``max_bytes``
    bytes of text (75 characters for the default) and holding whole characters; a decoder
    joins adjacent ones back into exactly ``text``."""
    words: list[str] = []
    chunk = b""
    for ch in text:
        b = ch.encode("utf-8", "replace")
        if chunk and len(chunk) + len(b) > max_bytes:
            words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode()}?=")
            chunk = b""
        chunk += b
    if chunk:
        words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode()}?=")
    return words


def header_words(field: str, text: str) -> list[str]:
    """``text`` as :func:`encoded_words` short enough that the first fits on the header's first
    line (``field: =?utf-8?b?...?=``) within :data:`_FOLD_AT`: 45 bytes a word after ``To``,
    42 after ``From``, 39 after ``Subject``."""
    room = _FOLD_AT - len(field) - len(": ") - len("=?utf-8?b??=")
    return encoded_words(text, min(_EW_BYTES, 3 * (room // 4)))


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True, kw_only=True)
class Mailbox:
    """An address with an optional display name; refuses (ValueError) a value holding a
    line break or another control character, which no header may carry."""

    email: str
    name: str | None = None

    def __post_init__(self) -> None:
        if _HEADER_BREAKING.search(self.email):
            raise ValueError(
                f"the address {self.email!r} holds a line break or a control character"
            )
        if self.name and _HEADER_BREAKING.search(self.name):
            raise ValueError(
                f"the display name {self.name!r} holds a line break or control character"
            )

    def formatted(self) -> str:
        """``Name <addr>`` on one line, for the HTTP providers' ``to`` fields: RFC 5322
        quoting, UTF-8 as it is, or the bare address. A name holding ``=?`` (which a
        provider's parser would decode as an RFC 2047 encoded word, even inside quotes, into
        text that may read as another address) goes as encoded words of its own."""
        if not self.name:
            return self.email
        if "=?" in self.name:
            return " ".join([*encoded_words(self.name), f"<{self.email}>"])
        return str(Address(display_name=self.name, addr_spec=self.email))

    def header(self, field: str, linesep: str = "\r\n") -> str:
        """The whole ``field: value`` header line (ending in ``linesep``), in ASCII, that
        parses back to exactly this one address and this name, whatever the name holds.

        A name of atoms prints as it is; other printable ASCII as a quoted string; anything
        else (non-ASCII, or ``=?``, which parsers decode even inside quotes) as RFC 2047
        encoded words of the whole name, folded between words. The email package's own
        folding is not used: it decodes such words and prints the text unquoted (an encoded
        ``<evil@example.com>`` became a second address)."""
        email = _ascii_address(self.email)
        if not self.name:
            return f"{field}: {email}{linesep}"
        return phrase_header(field, self.name, f"<{email}>", linesep)


def phrase_header(field: str, phrase: str, angle: str, linesep: str = "\r\n") -> str:
    """The header line ``field: phrase <...>`` (``angle`` is the ``<...>`` part: an address, a
    List-Id's id) in ASCII: a phrase of atoms as it is; other printable ASCII as a quoted
    string; anything else (non-ASCII, or ``=?``) as encoded words of the whole phrase
    (:func:`header_words`), folded between words at :data:`_FOLD_AT`."""
    if "=?" not in phrase and _ATOM_PHRASE.fullmatch(phrase):
        return f"{field}: {phrase} {angle}{linesep}"
    if "=?" not in phrase and _PRINTABLE_ASCII.fullmatch(phrase):
        return f"{field}: {_quoted(phrase)} {angle}{linesep}"
    lines, line = [], f"{field}:"
    for word in [*header_words(field, phrase), angle]:
        if len(line) + 1 + len(word) > _FOLD_AT and line != f"{field}:":
            lines.append(line)
            line = ""
        line += " " + word
    return linesep.join([*lines, line]) + linesep


@lru_cache(maxsize=65536)
def wire_address(address: str) -> str:
    """``address`` as it goes on the wire: ASCII, an internationalized domain in its IDNA
    form (``x@exämple.com`` -> ``x@xn--exmple-cua.com``; IDNA 2008, as the validator reads
    it: ``straße.de`` is ``xn--strae-oqa.de``, never ``strasse.de``, another domain);
    EmailNotValidError when it is not a valid address (syntax only, no DNS) or its local part
    needs SMTPUTF8, which the senders do not speak."""
    found = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    return str(found.ascii_email or found.normalized)


def _ascii_address(email: str) -> str:
    """``email`` as a header must carry it (:func:`wire_address`); as it is when it cannot
    be."""
    if email.isascii():
        return email
    try:
        return wire_address(email)
    except EmailNotValidError:
        return email


def wire_domain(domain: str) -> str:
    """``domain`` as a header carries it: its IDNA form, by :func:`wire_address`'s encoder
    (``exämple.com`` -> ``xn--exmple-cua.com``); as it is when it is ASCII or no domain."""
    if domain.isascii():
        return domain
    return _ascii_address(f"postmaster@{domain}").rpartition("@")[2]


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def wire_url(url: str) -> str:
    """``url`` as a header carries it (RFC 3986: ASCII): its host in IDNA form
    (:func:`wire_domain`), any other character past ASCII percent-encoded as UTF-8. An
    ``<https://nëws.example/...>`` went into ``List-Unsubscribe`` as an encoded word, which no
    mailbox provider reads as a link: no one-click unsubscribe."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.isascii():
        netloc = parts.netloc.lower().replace(host, wire_domain(host), 1)
        parts = parts._replace(netloc=netloc)
    return _NOT_ASCII.sub(lambda m: quote(m[0], safe=""), parts.geturl())


#: What a mailto URI's address may hold as it is (RFC 6068 ``some-delims``, besides the
#: unreserved characters, which :func:`urllib.parse.quote` never encodes).
_MAILTO_SAFE = "!$'()*+,;:@"


def mailto_uri(address: str) -> str:
    """``mailto:`` and ``address`` (in its header form, :func:`_ascii_address`) as RFC 6068
    writes it: a character of the local part that a URI reads otherwise percent-encoded
    (``leave?now@x`` was the address ``leave`` with a header ``now@x``; ``a#b@x`` the
    address ``a``; ``%`` opened an escape; ``/``, ``=``, ``&``, ``{``... are not in a URI's
    address)."""
    return "mailto:" + quote(_ascii_address(address), safe=_MAILTO_SAFE)


#: A List-Id as RFC 2919 writes it: a phrase (the title), then the id in angle brackets.
LIST_ID = re.compile(r"(?P<phrase>.*\S) (?P<id><[^<>\s]+>)")


def wire_list_id(list_id: str) -> str:
    """A List-Id whose id (``<weekly.exämple.com>``, the default made of the sender's
    domain) is in its IDNA form (:func:`wire_domain`): the header's phrase may be encoded,
    its id may not."""
    m = LIST_ID.fullmatch(list_id)
    if m is None or m["id"].isascii():
        return list_id
    return f"{m['phrase']} <{wire_domain(m['id'][1:-1])}>"


class SendStatus(StrEnum):
    """The closed set of per-recipient outcomes."""

    SENT = "sent"  # the provider accepted the message for this recipient
    RETRYABLE = "retryable"  # not sent; trying again later may work (429, 5xx, SMTP 4xx)
    PERMANENT = "permanent"  # never retry; suppress the address when its result says bounce
    UNKNOWN = "unknown"  # the request went out but no answer came back (timeout after send)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMessage:
    """One email to one recipient: the single message model every provider accepts."""

    issue_key: str
    subscriber_id: int
    sender: Mailbox
    to: Mailbox
    content: IssueContent
    message_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None = None
    list_id: str | None = None
    reply_to: str | None = None
    #: Values of further merge tags (``unsubscribe_url`` is always supplied).
    merge: Mapping[str, str] = field(default_factory=dict)
    #: Extra headers, added after the standard ones.
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name in ("unsubscribe_url", "message_id"):
            value = getattr(self, name)
            if not value or any(c in value for c in " \t\r\n"):
                raise ValueError(f"{name} must be non-empty and hold no whitespace: {value!r}")
        for key, value in self.merge.items():
            if "\n" in value or "\r" in value:
                raise ValueError(f"merge value {key!r} must be one line: {value!r}")
        if not self.unsubscribe_url.startswith(("https://", "http://")):
            raise ValueError(f"unsubscribe_url must be an http(s) URL: {self.unsubscribe_url!r}")

    @property
    def subject(self) -> str:
        return self.content.subject

    @property
    def values(self) -> dict[str, str]:
        """Every merge value of this message, ``unsubscribe_url`` included."""
        return {**self.merge, "unsubscribe_url": self.unsubscribe_url}

    @property
    def html(self) -> str:
        """The HTML part with this recipient's values (HTML-escaped) filled in."""
        return fill_tags(self.content.html, self.values, escape=True)

    @property
    def text(self) -> str:
        """The text part with this recipient's values filled in."""
        return fill_tags(self.content.text, self.values, escape=False)

    @property
    def list_unsubscribe(self) -> str:
        """The RFC 2369 ``List-Unsubscribe`` value: https one-click link, then mailto."""
        links = [f"<{wire_url(self.unsubscribe_url)}>"]
        if self.unsubscribe_mailto:
            links.append(f"<{mailto_uri(self.unsubscribe_mailto)}>")
        return ", ".join(links)

    def list_headers(self) -> list[tuple[str, str]]:
        """Reply-To, List-Id and the one-click unsubscribe pair (RFC 2369 / RFC 8058)."""
        out: list[tuple[str, str]] = []
        if self.reply_to:
            out.append(("Reply-To", _ascii_address(self.reply_to)))
        if self.list_id:
            out.append(("List-Id", wire_list_id(self.list_id)))
        out.append(("List-Unsubscribe", self.list_unsubscribe))
        out.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        return out


def new_message_id(domain: str) -> str:
    """A fresh ``<...@domain>`` Message-ID on the sending domain (store it; reuse on retry),
    the domain in its IDNA form (:func:`wire_domain`): a header carries no other."""
    return make_msgid(domain=wire_domain(domain))


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """What happened to one message: status, provider id, and a reason when not sent."""

    message_id: str
    subscriber_id: int
    email: str
    status: SendStatus
    provider_message_id: str | None = None
    reason: str = ""
    #: Seconds the provider asked us to wait (Retry-After), when it said so.
    retry_after: float | None = None
    attempts: int = 1
    #: Of a PERMANENT failure: whether the address itself was refused (no such mailbox),
    #: so its reader is suppressed (bounced). False: a refusal of our client or message
    #: (an SMTP protocol error, 5.5.x), recorded failed with its reason, the reader kept
    #: (unless the same refusal for several messages in a row stops the send: then they are
    #: handed back to be sent, ``ProviderError.resend``).
    bounce: bool = True

    @classmethod
    def of(
        cls,
        msg: OutgoingMessage,
        status: SendStatus,
        *,
        provider_message_id: str | None = None,
        reason: str = "",
        retry_after: float | None = None,
        bounce: bool = True,
    ) -> SendResult:
        return cls(
            message_id=msg.message_id,
            subscriber_id=msg.subscriber_id,
            email=msg.to.email,
            status=status,
            provider_message_id=provider_message_id,
            reason=reason,
            retry_after=retry_after,
            bounce=bounce,
        )
