"""The one sanitiser for every untrusted value about a person, one function per kind of value.

Web forms, the command line, imported files and provider webhooks all pass names, preference
values, notes and addresses through these functions before anything is stored, so a value
looks the same whichever way it came in, and nothing in it can break a header, a log line or
a layout:

* :func:`clean_name`, :func:`clean_value` / :func:`clean_values` and :func:`clean_note`
  remove control and invisible formatting characters (C0/C1 controls, bidi overrides,
  zero-width spaces, lone surrogates), turn every kind of whitespace, CR and LF included,
  into one space, trim, and cap the length; a preference value never holds the ``;`` that
  joins the values of an exported CSV cell, and a name never holds ``=?``, which opens an
  RFC 2047 encoded word: mail software decodes one in a ``To:`` display name (even inside
  quotes) into any text, another address or a line break included (it becomes ``= ?``).
* :func:`normalize_email` (and :class:`EmailNormalizer`, its bulk form for imports) validate
  an address with email-validator (no DNS, a local part of at most 64 characters), after a
  length check made before any parsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from newsletter.errors import SubscriberError
from newsletter.util.addresses import mailable_address
from newsletter.util.text import clean_line

#: Longest stored display name (longer ones are cut): a greeting, a ``To:`` header.
NAME_MAX = 100
#: Longest preference value (a role category, a metro, a seniority level).
VALUE_MAX = 100
#: Most values of one preference kind.
VALUES_MAX = 50
#: Longest free-text note (consent wording, a bounce or unsubscribe reason).
NOTE_MAX = 500
#: Longest client address kept with a consent (the database column's width; an IPv6
#: address with a zone fits): the web app's address is the proxy's ``X-Forwarded-For``
#: entry, which is text, not always an address.
IP_MAX = 64
#: Longest address text looked at; RFC 5321 allows 254 characters in a usable address.
EMAIL_INPUT_MAX = 320


#: Opens an RFC 2047 encoded word; never part of a stored name (:func:`clean_name`).
ENCODED_WORD_START = "=?"


def clean_name(raw: str | None) -> str | None:
    """A display name, or None when nothing is left; ``=?`` becomes ``= ?`` (after the
    invisible characters that could hide one are gone)."""
    if not raw:
        return None
    name = clean_line(raw, NAME_MAX)
    if ENCODED_WORD_START in name:
        name = clean_line(name.replace(ENCODED_WORD_START, "= ?"), NAME_MAX)
    return name or None


#: Separates the values of one preference in an exported CSV cell: never part of a value, so
#: an export reads back as it was written.
LIST_SEP = ";"


def clean_value(raw: str) -> str:
    """One preference value ('' when nothing is left); :data:`LIST_SEP` becomes a comma."""
    return clean_line(raw.replace(LIST_SEP, ","), VALUE_MAX)


def clean_values(values: Iterable[str]) -> tuple[str, ...]:
    """Cleaned, de-duplicated, order-kept preference values (empty ones dropped, at most
    :data:`VALUES_MAX`)."""
    seen: dict[str, None] = {}
    for v in values:
        s = clean_value(v)
        if s:
            seen.setdefault(s, None)
            if len(seen) == VALUES_MAX:
                break
    return tuple(seen)


def clean_note(raw: str | None, limit: int = NOTE_MAX) -> str | None:
    """A free-text note (consent wording, a reason), or None when nothing is left."""
    return clean_line(raw, limit) or None if raw else None


def normalize_email(raw: str) -> str:
    """The normalized address, or SubscriberError with the validator's reason (no DNS)."""
    if len(raw) > EMAIL_INPUT_MAX:
        raise SubscriberError(f"the email address is longer than {EMAIL_INPUT_MAX} characters")
    value = raw.strip()
    if not value:
        raise SubscriberError("the email address is empty")
    try:
        return mailable_address(value)
    except ValueError as exc:
        raise SubscriberError(f"{value!r} is not a valid email address: {exc}") from None


# RFC 5322 dot-atom local part (the exact pattern email-validator accepts without changes).
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
_ASCII_LOCAL = re.compile(f"[{_ATEXT}]+(?:\\.[{_ATEXT}]+)*")
_MAX_LOCAL, _MAX_ADDRESS = 64, 254


@dataclass
class EmailNormalizer:
    """:func:`normalize_email` for many addresses: the domain check runs once per domain.

    Plain ASCII addresses whose domain already passed the full validator only need the
    local-part and length rules, which email-validator applies unchanged to such addresses;
    anything else goes through the full validator.
    """

    _domains: dict[str, str] = field(default_factory=dict)

    def __call__(self, raw: str) -> str:
        value = raw.strip()
        local, at, domain = value.rpartition("@")
        fast = bool(at) and len(local) <= _MAX_LOCAL and _ASCII_LOCAL.fullmatch(local) is not None
        if fast and len(value) <= _MAX_ADDRESS:
            known = self._domains.get(domain)
            if known is not None:
                return f"{local}@{known}"
        email = normalize_email(raw)
        if fast:
            self._domains[domain] = email.rpartition("@")[2]
        return email
