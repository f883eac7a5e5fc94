"""Subscribers as explicit state transitions, with consent records and a suppression list.

States and the only ways between them::

    pending ──confirm──▶ active ──unsubscribe──▶ unsubscribed
       │                  │  └──bounce / complaint──▶ bounced / complained
       └──unsubscribe / bounce / complaint──▶ (same)
    unsubscribed / bounced / complained ──resubscribe (new consent)──▶ active
    unsubscribed ──web sign-up──▶ pending (mailed nothing until confirmed)

Every move out of the mailable states adds the address to the suppression list (a SHA-256
digest, no clear text). Imports and ``add`` never lift a suppression; only a new consent does
(``resubscribe`` or a confirmed web sign-up). ``remove`` erases a person's data (GDPR) and keeps
only the digest, so the address is not mailed again after a re-import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from newsletter.audience.tokens import Purpose, TokenSigner
from newsletter.errors import SubscriberError, SubscriberNotFoundError
from newsletter.models import (
    ConsentSource,
    Preferences,
    Recipient,
    SubscriberStatus,
    SuppressionReason,
)
from newsletter.store import Database, subscribers, suppressions
from newsletter.util.clock import SYSTEM_CLOCK, Clock

Status = SubscriberStatus

#: Statuses that a plain import or ``add`` must never change (nor lift their suppression).
STOPPED: frozenset[str] = frozenset({"unsubscribed", "bounced", "complained"})

#: Allowed transitions (from -> to) outside of a new consent.
_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"active", "unsubscribed", "bounced", "complained"}),
    "active": frozenset({"unsubscribed", "bounced", "complained"}),
    "unsubscribed": frozenset({"bounced", "complained"}),
    "bounced": frozenset({"complained"}),
    "complained": frozenset(),
}

RESUBSCRIBE_HINT = (
    "; only `subscribers resubscribe EMAIL --consent TEXT` with a new consent can change that"
)
#: A pending sign-up gets at most one confirmation email per this interval (anti mail-bombing).
RESEND_AFTER = dt.timedelta(minutes=10)
CLI_CONSENT_TEXT = "added by the list owner from the command line, with the person's permission"
WEB_CONSENT_TEXT = (
    "Yes, send me {title} by email every week. I can unsubscribe with one click at any time."
)


#: Who may be mailed (besides not being suppressed): active and not paused.
_MAILABLE = sa.and_(subscribers.c.status == "active", subscribers.c.paused.is_(False))


def normalize_email(raw: str) -> str:
    """The normalized address, or SubscriberError with the validator's reason (no DNS)."""
    value = raw.strip()
    if not value:
        raise SubscriberError("the email address is empty")
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
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
        email = normalize_email(value)
        if fast:
            self._domains[domain] = email.rpartition("@")[2]
        return email


def email_key(email: str) -> str:
    """The case-insensitive identity of an address (unique in the store)."""
    return email.strip().lower()


def email_hash(email: str) -> str:
    """The suppression-list digest of an address (case-insensitive)."""
    return hashlib.sha256(email_key(email).encode("utf-8")).hexdigest()


def clean_values(values: Iterable[str]) -> tuple[str, ...]:
    """Stripped, de-duplicated, order-kept preference values (empty ones dropped)."""
    seen: dict[str, None] = {}
    for v in values:
        s = " ".join(v.split())
        if s:
            seen.setdefault(s, None)
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class Consent:
    """How and when a person agreed to receive the newsletter."""

    at: dt.datetime
    source: ConsentSource
    ip: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    name: str | None
    status: Status
    preferences: Preferences
    paused: bool
    consent: Consent
    status_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    confirmed_at: dt.datetime | None
    status_changed_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        """Everything held about the person, as JSON-ready values."""

        def iso(t: dt.datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "status": self.status,
            "status_reason": self.status_reason,
            "preferences": {
                "categories": list(self.preferences.categories),
                "metros": list(self.preferences.metros),
                "seniority": list(self.preferences.seniority),
                "paused": self.paused,
            },
            "consent": {
                "at": iso(self.consent.at),
                "source": self.consent.source,
                "ip": self.consent.ip,
                "text": self.consent.text,
            },
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "confirmed_at": iso(self.confirmed_at),
            "status_changed_at": iso(self.status_changed_at),
        }


def subscriber_from_row(row: RowMapping) -> Subscriber:
    return Subscriber(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        status=cast(Status, row["status"]),
        preferences=Preferences(
            categories=tuple(row["categories"]),
            metros=tuple(row["metros"]),
            seniority=tuple(row["seniority"]),
        ),
        paused=bool(row["paused"]),
        consent=Consent(
            at=row["consent_at"],
            source=cast(ConsentSource, row["consent_source"]),
            ip=row["consent_ip"],
            text=row["consent_text"],
        ),
        status_reason=row["status_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        confirmed_at=row["confirmed_at"],
        status_changed_at=row["status_changed_at"],
    )


def preference_columns(p: Preferences) -> dict[str, list[str]]:
    return {
        "categories": list(p.categories),
        "metros": list(p.metros),
        "seniority": list(p.seniority),
    }


def new_row(
    email: str,
    *,
    name: str | None,
    status: Status,
    preferences: Preferences,
    consent: Consent,
    now: dt.datetime,
) -> dict[str, Any]:
    """Column values of a new subscriber (``email`` already normalized)."""
    return {
        "email": email,
        "email_key": email_key(email),
        "name": name or None,
        "status": status,
        **preference_columns(preferences),
        "paused": False,
        "consent_at": consent.at,
        "consent_source": consent.source,
        "consent_ip": consent.ip,
        "consent_text": consent.text,
        "status_reason": None,
        "created_at": now,
        "updated_at": now,
        "confirmed_at": now if status == "active" else None,
        "status_changed_at": now,
    }


@dataclass(frozen=True, slots=True)
class Suppression:
    reason: SuppressionReason
    detail: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SignupResult:
    """What a web sign-up did; ``confirm_id`` is set when a confirmation must be sent."""

    confirm_id: int | None
    outcome: Literal["new", "pending", "already-active", "blocked", "reconsent", "recently-sent"]


@dataclass
class SubscriberStore:
    """Subscriber operations on an open :class:`~newsletter.store.Database`."""

    db: Database
    clock: Clock = field(default=SYSTEM_CLOCK)

    # ---- reading -------------------------------------------------------------------------
    def find(self, email: str) -> Subscriber | None:
        """The subscriber with this address (any case), or None."""
        normalized = normalize_email(email)
        with self.db.read() as conn:
            return self._find(conn, normalized)

    def get(self, email: str) -> Subscriber:
        sub = self.find(email)
        if sub is None:
            raise SubscriberNotFoundError(f"no subscriber with address {email.strip()!r}")
        return sub

    def get_by_id(self, subscriber_id: int) -> Subscriber | None:
        with self.db.read() as conn:
            row = (
                conn.execute(sa.select(subscribers).where(subscribers.c.id == subscriber_id))
                .mappings()
                .first()
            )
        return subscriber_from_row(row) if row else None

    def list_all(self, status: Status | None = None) -> list[Subscriber]:
        q = sa.select(subscribers).order_by(subscribers.c.id)
        if status is not None:
            q = q.where(subscribers.c.status == status)
        with self.db.read() as conn:
            return [subscriber_from_row(r) for r in conn.execute(q).mappings()]

    def count_by_status(self) -> dict[str, int]:
        q = sa.select(subscribers.c.status, sa.func.count()).group_by(subscribers.c.status)
        with self.db.read() as conn:
            found = {str(s): int(n) for s, n in conn.execute(q)}
        return {
            s: found.get(s, 0)
            for s in ("pending", "active", "unsubscribed", "bounced", "complained")
        }

    def suppression(self, email: str) -> Suppression | None:
        normalized = normalize_email(email)
        with self.db.read() as conn:
            return self._suppression(conn, email_hash(normalized))

    def is_suppressed(self, email: str) -> bool:
        return self.suppression(email) is not None

    def show(self, email: str) -> dict[str, Any]:
        """GDPR export: everything held about the address (subscriber row and suppression)."""
        sub = self.find(email)
        sup = self.suppression(email)
        if sub is None and sup is None:
            raise SubscriberNotFoundError(f"nothing is held about {email.strip()!r}")
        return {
            "subscriber": sub.to_json() if sub else None,
            "suppression": (
                {
                    "reason": sup.reason,
                    "detail": sup.detail,
                    "since": sup.created_at.isoformat(),
                    "stored_as": "SHA-256 digest of the lower-cased address",
                }
                if sup
                else None
            ),
        }

    def active_recipients(self, signer: TokenSigner, base_url: str) -> list[Recipient]:
        """Everyone to mail now: active, not paused, not suppressed; with signed links."""
        q = sa.select(subscribers).where(_MAILABLE).order_by(subscribers.c.id)
        with self.db.read() as conn:
            blocked = set(conn.execute(sa.select(suppressions.c.email_hash)).scalars())
            rows = [subscriber_from_row(r) for r in conn.execute(q).mappings()]
        return [
            recipient_of(s, signer, base_url) for s in rows if email_hash(s.email) not in blocked
        ]

    def mailable_ids(self, subscriber_ids: Iterable[int]) -> set[int]:
        """Which of these may be mailed right now, by the rule of :meth:`active_recipients`
        (the send re-checks each batch with it just before it goes out)."""
        ids = list(subscriber_ids)
        if not ids:
            return set()
        with self.db.read() as conn:
            found = conn.execute(
                sa.select(subscribers.c.id, subscribers.c.email).where(
                    subscribers.c.id.in_(ids), _MAILABLE
                )
            ).all()
            digests = {email_hash(e): int(i) for i, e in found}
            blocked = set(
                conn.execute(
                    sa.select(suppressions.c.email_hash).where(
                        suppressions.c.email_hash.in_(list(digests))
                    )
                ).scalars()
            )
        return {i for d, i in digests.items() if d not in blocked}

    # ---- adding ----------------------------------------------------------------------------
    def add(
        self,
        raw_email: str,
        *,
        name: str | None = None,
        preferences: Preferences = Preferences(),
        consent_text: str = CLI_CONSENT_TEXT,
    ) -> Subscriber:
        """Add an active subscriber (consent given to the list owner, recorded as ``cli``)."""
        email = normalize_email(raw_email)
        now = self.clock.now()
        consent = Consent(at=now, source="cli", text=consent_text)
        with self.db.write() as conn:
            existing = self._find(conn, email)
            if existing is not None:
                raise SubscriberError(
                    f"{existing.email} is already on the list ({existing.status})"
                    + (RESUBSCRIBE_HINT if existing.status in STOPPED else "")
                )
            sup = self._suppression(conn, email_hash(email))
            if sup is not None:
                raise SubscriberError(
                    f"{email} is on the suppression list ({sup.reason})" + RESUBSCRIBE_HINT
                )
            try:
                new_id = self._insert(
                    conn,
                    email,
                    name=name,
                    status="active",
                    preferences=preferences,
                    consent=consent,
                    now=now,
                )
            except IntegrityError:
                raise SubscriberError(f"{email} is already on the list") from None
            return self._by_id(conn, new_id)

    def signup(
        self, raw_email: str, *, name: str | None, ip: str | None, wording: str
    ) -> SignupResult:
        """A web sign-up: record the consent request; the caller sends the confirmation."""
        email = normalize_email(raw_email)
        now = self.clock.now()
        consent = Consent(at=now, source="web", ip=ip, text=wording)
        with self.db.write() as conn:
            existing = self._find(conn, email)
            sup = self._suppression(conn, email_hash(email))
            if sup is not None and sup.reason in ("bounced", "complained", "manual"):
                return SignupResult(None, "blocked")
            if existing is None:
                new_id = self._insert(
                    conn,
                    email,
                    name=name,
                    status="pending",
                    preferences=Preferences(),
                    consent=consent,
                    now=now,
                )
                return SignupResult(new_id, "new")
            if existing.status in ("bounced", "complained"):
                return SignupResult(None, "blocked")
            if existing.status == "active":
                return SignupResult(None, "already-active")
            if existing.status == "pending" and now - existing.consent.at < RESEND_AFTER:
                return SignupResult(None, "recently-sent")
            values: dict[str, Any] = {
                "consent_at": now,
                "consent_source": "web",
                "consent_ip": ip,
                "consent_text": wording,
                "updated_at": now,
            }
            if name:
                values["name"] = name
            outcome: Literal["pending", "reconsent"] = "pending"
            if existing.status == "unsubscribed":
                values |= {"status": "pending", "status_changed_at": now, "status_reason": None}
                outcome = "reconsent"
            conn.execute(
                sa.update(subscribers).where(subscribers.c.id == existing.id).values(values)
            )
            return SignupResult(existing.id, outcome)

    def confirm(self, subscriber_id: int) -> Subscriber | None:
        """Activate a pending subscriber (double opt-in); lifts an unsubscribe/erasure block."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = self._row(conn, subscriber_id)
            if row is None:
                return None
            sub = subscriber_from_row(row)
            if sub.status == "pending":
                conn.execute(
                    sa.delete(suppressions).where(
                        suppressions.c.email_hash == email_hash(sub.email),
                        suppressions.c.reason.in_(("unsubscribed", "erased")),
                    )
                )
                self._set_status(conn, sub, "active", None, now, confirmed=True)
            return self._by_id(conn, subscriber_id)

    # ---- leaving -----------------------------------------------------------------------------
    def unsubscribe(self, raw_email: str, reason: str | None = None) -> Subscriber:
        sub = self.get(raw_email)
        out = self.unsubscribe_id(sub.id, reason)
        assert out is not None
        return out

    def unsubscribe_id(self, subscriber_id: int, reason: str | None = None) -> Subscriber | None:
        """Unsubscribe (idempotent). None when no such subscriber exists (e.g. erased)."""
        return self._stop(subscriber_id, "unsubscribed", reason)

    def mark_bounced(self, raw_email: str, reason: str) -> Subscriber | None:
        """A hard bounce: stop mailing and suppress, even if the person is not on the list."""
        return self._stop_email(raw_email, "bounced", reason)

    def mark_complained(self, raw_email: str, reason: str) -> Subscriber | None:
        """A spam complaint: stop mailing and suppress, even if the person is not on the list."""
        return self._stop_email(raw_email, "complained", reason)

    def resubscribe(self, raw_email: str, consent_text: str) -> Subscriber:
        """Re-activate with a new consent (recorded as ``cli``); lifts the suppression."""
        if not consent_text.strip():
            raise SubscriberError("resubscribing needs a new consent: describe it with --consent")
        email = normalize_email(raw_email)
        now = self.clock.now()
        consent = Consent(at=now, source="cli", text=consent_text.strip())
        with self.db.write() as conn:
            conn.execute(
                sa.delete(suppressions).where(suppressions.c.email_hash == email_hash(email))
            )
            sub = self._find(conn, email)
            if sub is None:
                new_id = self._insert(
                    conn,
                    email,
                    name=None,
                    status="active",
                    preferences=Preferences(),
                    consent=consent,
                    now=now,
                )
                return self._by_id(conn, new_id)
            if sub.status == "active":
                raise SubscriberError(f"{sub.email} is already active")
            conn.execute(
                sa.update(subscribers)
                .where(subscribers.c.id == sub.id)
                .values(
                    consent_at=consent.at,
                    consent_source=consent.source,
                    consent_ip=None,
                    consent_text=consent.text,
                    paused=False,
                )
            )
            self._set_status(conn, sub, "active", None, now, confirmed=True)
            return self._by_id(conn, sub.id)

    def remove(self, raw_email: str) -> dict[str, Any]:
        """GDPR erasure: delete the person's row, keep only a suppression digest.

        Returns what was held (the same shape as :meth:`show`) so the caller can confirm.
        """
        held = self.show(raw_email)
        key = email_key(normalize_email(raw_email))
        now = self.clock.now()
        with self.db.write() as conn:
            conn.execute(sa.delete(subscribers).where(subscribers.c.email_key == key))
            if self._suppression(conn, email_hash(key)) is None:
                self._suppress(conn, key, "erased", "erased at the person's request", now)
        return held

    # ---- preferences ------------------------------------------------------------------------
    def set_preferences(
        self, subscriber_id: int, preferences: Preferences, *, paused: bool
    ) -> Subscriber | None:
        now = self.clock.now()
        with self.db.write() as conn:
            if self._row(conn, subscriber_id) is None:
                return None
            conn.execute(
                sa.update(subscribers)
                .where(subscribers.c.id == subscriber_id)
                .values(**preference_columns(preferences), paused=paused, updated_at=now)
            )
            return self._by_id(conn, subscriber_id)

    # ---- internals ---------------------------------------------------------------------------
    def _stop_email(self, raw_email: str, status: Status, reason: str) -> Subscriber | None:
        email = normalize_email(raw_email)
        sub = self.find(email)
        if sub is not None:
            return self._stop(sub.id, status, reason)
        with self.db.write() as conn:
            if self._suppression(conn, email_hash(email)) is None:
                self._suppress(
                    conn, email, cast(SuppressionReason, status), reason, self.clock.now()
                )
        return None

    def _stop(self, subscriber_id: int, status: Status, reason: str | None) -> Subscriber | None:
        now = self.clock.now()
        with self.db.write() as conn:
            row = self._row(conn, subscriber_id)
            if row is None:
                return None
            sub = subscriber_from_row(row)
            if sub.status != status and status in _TRANSITIONS[sub.status]:
                self._set_status(conn, sub, status, reason, now)
            sup = self._suppression(conn, email_hash(sub.email))
            if sup is None:
                self._suppress(conn, sub.email, cast(SuppressionReason, status), reason, now)
            elif sup.reason in ("unsubscribed", "erased") and status in ("bounced", "complained"):
                conn.execute(
                    sa.update(suppressions)
                    .where(suppressions.c.email_hash == email_hash(sub.email))
                    .values(reason=status, detail=reason)
                )
            return self._by_id(conn, subscriber_id)

    @staticmethod
    def _insert(
        conn: Connection,
        email: str,
        *,
        name: str | None,
        status: Status,
        preferences: Preferences,
        consent: Consent,
        now: dt.datetime,
    ) -> int:
        row = new_row(
            email, name=name, status=status, preferences=preferences, consent=consent, now=now
        )
        new_id = conn.execute(sa.insert(subscribers).values(row)).inserted_primary_key
        assert new_id is not None
        return int(new_id[0])

    @staticmethod
    def _set_status(
        conn: Connection,
        sub: Subscriber,
        status: Status,
        reason: str | None,
        now: dt.datetime,
        *,
        confirmed: bool = False,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "status_reason": reason,
            "status_changed_at": now,
            "updated_at": now,
        }
        if confirmed:
            values["confirmed_at"] = now
        conn.execute(sa.update(subscribers).where(subscribers.c.id == sub.id).values(values))

    @staticmethod
    def _suppress(
        conn: Connection,
        email: str,
        reason: SuppressionReason,
        detail: str | None,
        now: dt.datetime,
    ) -> None:
        conn.execute(
            sa.insert(suppressions).values(
                email_hash=email_hash(email), reason=reason, detail=detail, created_at=now
            )
        )

    @staticmethod
    def _suppression(conn: Connection, digest: str) -> Suppression | None:
        row = (
            conn.execute(sa.select(suppressions).where(suppressions.c.email_hash == digest))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return Suppression(
            reason=cast(SuppressionReason, row["reason"]),
            detail=row["detail"],
            created_at=row["created_at"],
        )

    @staticmethod
    def _row(conn: Connection, subscriber_id: int) -> RowMapping | None:
        return (
            conn.execute(sa.select(subscribers).where(subscribers.c.id == subscriber_id))
            .mappings()
            .first()
        )

    def _by_id(self, conn: Connection, subscriber_id: int) -> Subscriber:
        row = self._row(conn, subscriber_id)
        assert row is not None
        return subscriber_from_row(row)

    @staticmethod
    def _find(conn: Connection, email: str) -> Subscriber | None:
        row = (
            conn.execute(sa.select(subscribers).where(subscribers.c.email_key == email_key(email)))
            .mappings()
            .first()
        )
        return subscriber_from_row(row) if row else None


def recipient_of(s: Subscriber, signer: TokenSigner, base_url: str) -> Recipient:
    """The addressee form of a subscriber, with signed unsubscribe and preferences links."""
    return Recipient(
        subscriber_id=s.id,
        email=s.email,
        name=s.name,
        preferences=s.preferences,
        unsubscribe_url=link_url(base_url, signer, "unsubscribe", s.id),
        preferences_url=link_url(base_url, signer, "preferences", s.id),
    )


def link_url(base_url: str, signer: TokenSigner, purpose: Purpose, subscriber_id: int) -> str:
    """An absolute signed link, e.g. ``https://news.example.com/unsubscribe/<token>``."""
    return f"{base_url.rstrip('/')}/{purpose}/{signer.sign(purpose, subscriber_id)}"


def parse_preferences(
    categories: Sequence[str] = (), metros: Sequence[str] = (), seniority: Sequence[str] = ()
) -> Preferences:
    return Preferences(
        categories=clean_values(categories),
        metros=clean_values(metros),
        seniority=clean_values(seniority),
    )
