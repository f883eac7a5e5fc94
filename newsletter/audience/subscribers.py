"""Subscribers as explicit state transitions, with consent records and a suppression list.

States and the only ways between them::

    pending ──confirm──▶ active ──unsubscribe──▶ unsubscribed
       │                  │  └──bounce / complaint──▶ bounced / complained
       └──unsubscribe / bounce / complaint──▶ (same)
    unsubscribed / bounced / complained ──resubscribe (new consent)──▶ active
    pending / unsubscribed ──web sign-up confirmed through the emailed link──▶ active

Every move out of the mailable states adds the address to the suppression list (a SHA-256
digest, no clear text). Every change of status is also logged with its time, and nothing
personal, in ``subscriber_events``: the send layer reads bounces, complaints and
unsubscribes per issue from it (``newsletter.send.stats``). Imports and ``add`` never lift
a suppression; only a new consent does (``resubscribe`` or a confirmed web sign-up).
``remove`` erases a person's data (GDPR) and keeps only the digest, so the address is not
mailed again after a re-import.

A web sign-up for an address already on the list changes nothing in its record: the request
(name, IP, wording, time) waits in the row's ``signup_*`` columns with a single-use key, and
only the emailed confirm link applies it (:meth:`SubscriberStore.confirm`). Every name,
preference value, note and address goes through :mod:`newsletter.audience.sanitize` here,
whichever path (web, CLI, import, webhook) it came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from newsletter.audience.sanitize import (
    IP_MAX,
    clean_name,
    clean_note,
    clean_values,
    normalize_email,
)
from newsletter.audience.tokens import Purpose, TokenClaim, TokenSigner
from newsletter.errors import SubscriberError, SubscriberNotFoundError
from newsletter.models import (
    ConsentSource,
    Preferences,
    Recipient,
    SubscriberStatus,
    SuppressionReason,
)
from newsletter.store import Database, sends, subscriber_events, subscribers, suppressions
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.text import well_formed

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


#: How many times a write that lost a race for a unique key is run: on PostgreSQL two
#: transactions may both find no row for an address (two sign-ups of one new address, two
#: bounces or an unsubscribe and a bounce of one address) and both insert it; the loser's
#: insert fails, and its next run sees the winner's row (SQLite runs writers one at a time).
WRITE_ATTEMPTS = 3

_T = TypeVar("_T")

#: Who may be mailed (besides not being suppressed): active and not paused.
_MAILABLE = sa.and_(subscribers.c.status == "active", subscribers.c.paused.is_(False))


def email_key(email: str) -> str:
    """The case-insensitive identity of an address (unique in the store)."""
    return email.strip().lower()


def email_hash(email: str) -> str:
    """The suppression-list digest of an address (case-insensitive)."""
    return hashlib.sha256(email_key(email).encode("utf-8")).hexdigest()


def new_key() -> str:
    """A random row key (link keys, sign-up keys): 128 bits, URL-safe."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Consent:
    """How and when a person agreed to receive the newsletter."""

    at: dt.datetime
    source: ConsentSource
    ip: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SignupRequest:
    """An open web sign-up request, applied only when its emailed link is confirmed."""

    key: str
    at: dt.datetime
    ip: str | None
    name: str | None
    text: str | None


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
    #: The key every unsubscribe and preferences link of this row carries.
    link_key: str = field(default="", repr=False)
    #: The row predates link keys: a link signed without a key may reach it.
    legacy_links: bool = field(default=False, repr=False)
    #: The open web sign-up request, if any.
    signup: SignupRequest | None = None

    def to_json(self) -> dict[str, Any]:
        """Everything held about the person, as JSON-ready values (link keys left out)."""

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
            "pending_signup": (
                {
                    "at": iso(self.signup.at),
                    "ip": self.signup.ip,
                    "name": self.signup.name,
                    "text": self.signup.text,
                }
                if self.signup
                else None
            ),
        }


def subscriber_from_row(row: RowMapping) -> Subscriber:
    key = row["signup_key"]
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
        link_key=row["link_key"],
        legacy_links=bool(row["legacy_links"]),
        signup=(
            SignupRequest(
                key, row["signup_at"], row["signup_ip"], row["signup_name"], row["signup_text"]
            )
            if key
            else None
        ),
    )


def _held_json(sub: Subscriber | None, sup: Suppression | None) -> dict[str, Any]:
    """What :meth:`SubscriberStore.show` returns: the row and the suppression, as JSON."""
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
    """Column values of a new subscriber (``email`` already normalized; name, preferences and
    consent already cleaned)."""
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
        "link_key": new_key(),
        "legacy_links": False,
        "signup_key": None,
        "signup_at": None,
        "signup_ip": None,
        "signup_name": None,
        "signup_text": None,
    }


@dataclass(frozen=True, slots=True)
class Suppression:
    reason: SuppressionReason
    detail: str | None
    created_at: dt.datetime


SignupOutcome = Literal["new", "pending", "already-active", "blocked", "reconsent", "recently-sent"]


@dataclass(frozen=True, slots=True)
class SignupResult:
    """What a web sign-up did, and which email (if any) the address should get now:
    ``confirm`` (a link that applies the request) or ``notice`` ("you are already
    subscribed"). ``subscriber`` is the row as it stands, for the links of that email."""

    outcome: SignupOutcome
    mail: Literal["confirm", "notice"] | None = None
    subscriber: Subscriber | None = None


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    """What following a confirm link did: ``confirmed`` (now active), ``stale`` (no open
    request with this key: used, replaced by a newer one, or erased) or ``left`` (the
    address bounced or complained since)."""

    outcome: Literal["confirmed", "stale", "left"]
    subscriber: Subscriber | None = None


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
        """GDPR export: everything held about the address (subscriber row and suppression).
        A row whose stored address the validator refuses (legacy data) is found by that
        address as it is stored, so its person can still be shown and erased."""
        sub, digest = self._held(email)
        with self.db.read() as conn:
            sup = self._suppression(conn, digest)
        if sub is None and sup is None:
            raise SubscriberNotFoundError(f"nothing is held about {email.strip()!r}")
        return _held_json(sub, sup)

    def show_id(self, subscriber_id: int) -> dict[str, Any] | None:
        """:meth:`show` of a row, its stored address never re-validated (a link's holder);
        None when the row is gone."""
        sub = self.get_by_id(subscriber_id)
        if sub is None:
            return None
        with self.db.read() as conn:
            return _held_json(sub, self._suppression(conn, email_hash(sub.email)))

    def _held(self, raw_email: str) -> tuple[Subscriber | None, str]:
        """The row of an address (None when there is none) and the address's suppression
        digest. An address the validator refuses is looked up as it is stored (legacy
        data); SubscriberError when no row holds it."""
        try:
            email = normalize_email(raw_email)
        except SubscriberError:
            if well_formed(raw_email) != raw_email:
                raise  # bytes that are not UTF-8 (a Latin-1 terminal's): no row can hold them
            with self.db.read() as conn:
                sub = self._find(conn, raw_email)
            if sub is None:
                raise
            return sub, email_hash(sub.email)
        with self.db.read() as conn:
            return self._find(conn, email), email_hash(email)

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
        return {s.id for s in self._mailable(subscriber_ids)}

    def mailable_recipients(
        self, subscriber_ids: Iterable[int], signer: TokenSigner, base_url: str
    ) -> dict[int, Recipient]:
        """The recipients among these who may be mailed right now, as they are now (name,
        picks, signed links): a send worker's batch, looked up just before it goes out."""
        return {s.id: recipient_of(s, signer, base_url) for s in self._mailable(subscriber_ids)}

    def _mailable(self, subscriber_ids: Iterable[int]) -> list[Subscriber]:
        ids = list(subscriber_ids)
        if not ids:
            return []
        with self.db.read() as conn:
            found = [
                subscriber_from_row(r)
                for r in conn.execute(
                    sa.select(subscribers).where(subscribers.c.id.in_(ids), _MAILABLE)
                ).mappings()
            ]
            digests = {email_hash(s.email) for s in found}
            blocked = set(
                conn.execute(
                    sa.select(suppressions.c.email_hash).where(
                        suppressions.c.email_hash.in_(list(digests))
                    )
                ).scalars()
            )
        return [s for s in found if email_hash(s.email) not in blocked]

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
        name, preferences = clean_name(name), clean_preferences(preferences)
        now = self.clock.now()
        consent = Consent(at=now, source="cli", text=clean_note(consent_text) or CLI_CONSENT_TEXT)
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
        """A web sign-up request; says which email (if any) the address should get now.

        A new address gets a pending row holding the request. For an address already on
        the list nothing in its record changes: the request waits in the row (replacing an
        older open one) until its emailed link is confirmed. Active readers get a notice,
        bounced, complained and blocked addresses nothing; at most one email per address
        goes out per :data:`RESEND_AFTER`.
        """
        email = normalize_email(raw_email)
        name, text, ip = clean_name(name), clean_note(wording), clean_note(ip, IP_MAX)
        now = self.clock.now()

        def write(conn: Connection) -> SignupResult:
            existing = self._find(conn, email)
            sup = self._suppression(conn, email_hash(email))
            if sup is not None and sup.reason in ("bounced", "complained", "manual"):
                return SignupResult("blocked")
            if existing is None:
                key = new_key()
                row = new_row(
                    email,
                    name=name,
                    status="pending",
                    preferences=Preferences(),
                    consent=Consent(at=now, source="web", ip=ip, text=text),
                    now=now,
                )
                row |= {"signup_key": key, "signup_at": now, "signup_ip": ip,
                        "signup_name": name, "signup_text": text}  # fmt: skip
                new_id = conn.execute(sa.insert(subscribers).values(row)).inserted_primary_key
                assert new_id is not None
                return SignupResult("new", "confirm", self._by_id(conn, int(new_id[0])))
            if existing.status in ("bounced", "complained"):
                return SignupResult("blocked")
            last = self._row(conn, existing.id)
            assert last is not None
            if last["signup_at"] is not None and now - last["signup_at"] < RESEND_AFTER:
                return SignupResult("recently-sent")
            values: dict[str, Any] = {"signup_at": now}
            outcome: SignupOutcome = "already-active"
            if existing.status != "active":
                values |= {"signup_key": new_key(), "signup_ip": ip, "signup_name": name,
                           "signup_text": text}  # fmt: skip
                outcome = "reconsent" if existing.status == "unsubscribed" else "pending"
            conn.execute(
                sa.update(subscribers).where(subscribers.c.id == existing.id).values(values)
            )
            mail: Literal["confirm", "notice"] = "confirm"
            if outcome == "already-active":
                mail = "notice"
            return SignupResult(outcome, mail, self._by_id(conn, existing.id))

        return self._write(write)

    def open_signup(self, claim: TokenClaim) -> Subscriber | None:
        """The subscriber whose open sign-up request this confirm link is for, else None."""
        sub = self.get_by_id(claim.subscriber_id)
        if sub is None or sub.signup is None or claim.key is None:
            return None
        return sub if hmac.compare_digest(sub.signup.key, claim.key) else None

    def confirm(self, claim: TokenClaim) -> ConfirmResult:
        """Apply the open sign-up request of a confirm link (once): the name given with it,
        its consent record, and the move to ``active``, lifting an unsubscribe or erasure
        block. Any other link (used, replaced by a newer request, erased) is ``stale``."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = self._row(conn, claim.subscriber_id)
            sub = subscriber_from_row(row) if row is not None else None
            request = sub.signup if sub is not None else None
            if (
                sub is None
                or request is None
                or claim.key is None
                or not hmac.compare_digest(request.key, claim.key)
            ):
                return ConfirmResult("stale")
            closed = {"signup_key": None, "signup_ip": None, "signup_name": None,
                      "signup_text": None}  # fmt: skip
            if sub.status not in ("pending", "unsubscribed"):
                conn.execute(
                    sa.update(subscribers).where(subscribers.c.id == sub.id).values(closed)
                )
                return ConfirmResult("left", sub)
            conn.execute(
                sa.delete(suppressions).where(
                    suppressions.c.email_hash == email_hash(sub.email),
                    suppressions.c.reason.in_(("unsubscribed", "erased")),
                )
            )
            values = closed | {
                "consent_at": request.at,
                "consent_source": "web",
                "consent_ip": request.ip,
                "consent_text": request.text,
                "paused": False,
            }
            if request.name:
                values["name"] = request.name
            conn.execute(sa.update(subscribers).where(subscribers.c.id == sub.id).values(values))
            self._set_status(conn, sub, "active", None, now, confirmed=True)
            return ConfirmResult("confirmed", self._by_id(conn, sub.id))

    def holder(self, purpose: Purpose, claim: TokenClaim) -> Subscriber | None:
        """The subscriber an unsubscribe or preferences link belongs to, or None.

        The link's key must be the row's ``link_key``: an erased row, and any row that
        reuses its id, has another. A link signed before keys existed (no key) reaches only
        a row that also predates keys (``legacy_links``, set by migration 0003) and already
        existed when the link was signed: never a row made later, imported or not.
        """
        if purpose == "confirm":
            raise ValueError("confirm links are checked by confirm() and open_signup()")
        sub = self.get_by_id(claim.subscriber_id)
        if sub is None:
            return None
        if claim.key is None:
            signed_after = claim.signed_at >= sub.created_at.replace(microsecond=0)
            return sub if sub.legacy_links and signed_after else None
        return sub if hmac.compare_digest(sub.link_key, claim.key) else None

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

    def mark_bounced_id(self, subscriber_id: int, reason: str) -> Subscriber | None:
        """A bounce of a message sent to this subscriber (the send's own permanent failures):
        stop mailing and suppress the stored address as it is, never re-validated (a legacy
        row may hold an address the validator refuses). None when the row is gone."""
        return self._stop(subscriber_id, "bounced", clean_note(reason) or "bounced")

    def mark_complained(self, raw_email: str, reason: str) -> Subscriber | None:
        """A spam complaint: stop mailing and suppress, even if the person is not on the list."""
        return self._stop_email(raw_email, "complained", reason)

    def resubscribe(self, raw_email: str, consent_text: str) -> Subscriber:
        """Re-activate with a new consent (recorded as ``cli``); lifts the suppression."""
        text = clean_note(consent_text)
        if not text:
            raise SubscriberError("resubscribing needs a new consent: describe it with --consent")
        email = normalize_email(raw_email)
        now = self.clock.now()
        consent = Consent(at=now, source="cli", text=text)
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

        The send ledger (``sends``) keeps its rows of the person (the issue counts), with
        the address replaced by its suppression digest, in the address column and in any
        recorded error. Returns what was held (the same shape as :meth:`show`) so the
        caller can confirm.
        """
        held = self.show(raw_email)
        sub = held["subscriber"]
        if sub is not None:
            self._erase([sub["id"]], email_key(sub["email"]))
        else:
            self._erase([], email_key(normalize_email(raw_email)))
        return held

    def remove_id(self, subscriber_id: int) -> dict[str, Any] | None:
        """:meth:`remove` of a row, its stored address never re-validated (a link's
        holder); None when the row is gone."""
        held = self.show_id(subscriber_id)
        if held is not None:
            self._erase([subscriber_id], email_key(held["subscriber"]["email"]))
        return held

    def _erase(self, ids: list[int], key: str) -> None:
        now = self.clock.now()

        def write(conn: Connection) -> None:
            _erase_from_ledger(conn, ids, key)
            conn.execute(sa.delete(subscribers).where(subscribers.c.id.in_(ids)))
            if self._suppression(conn, email_hash(key)) is None:
                self._suppress(conn, key, "erased", "erased at the person's request", now)

        self._write(write)

    # ---- preferences ------------------------------------------------------------------------
    def set_preferences(
        self, subscriber_id: int, preferences: Preferences, *, paused: bool
    ) -> Subscriber | None:
        preferences = clean_preferences(preferences)
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
        reason = clean_note(reason) or status
        sub = self.find(email)
        if sub is not None:
            return self._stop(sub.id, status, reason)

        def write(conn: Connection) -> None:
            if self._suppression(conn, email_hash(email)) is None:
                self._suppress(
                    conn, email, cast(SuppressionReason, status), reason, self.clock.now()
                )

        self._write(write)
        return None

    def _stop(self, subscriber_id: int, status: Status, reason: str | None) -> Subscriber | None:
        reason = clean_note(reason)
        now = self.clock.now()

        def write(conn: Connection) -> Subscriber | None:
            row = self._row(conn, subscriber_id)
            if row is None:
                return None
            sub = subscriber_from_row(row)
            if sub.status != status and status in _TRANSITIONS[sub.status]:
                self._set_status(conn, sub, status, reason, now)
            if sub.signup is not None:  # "not you?", a bounce: the open request dies too
                conn.execute(
                    sa.update(subscribers)
                    .where(subscribers.c.id == sub.id)
                    .values(signup_key=None, signup_ip=None, signup_name=None, signup_text=None)
                )
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

        return self._write(write)

    def _write(self, body: Callable[[Connection], _T]) -> _T:
        """``body`` run in one write transaction, and again (at most :data:`WRITE_ATTEMPTS`
        times in all) when a concurrent writer inserted the same unique key first."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self.db.write() as conn:
                    return body(conn)
            except IntegrityError:
                if attempt == WRITE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

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
        if sub.status != status:  # the list's history: bounces, complaints per issue (send)
            conn.execute(
                sa.insert(subscriber_events).values(
                    subscriber_id=sub.id, from_status=sub.status, to_status=status, at=now
                )
            )

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
    """The addressee form of a subscriber, with signed unsubscribe and preferences links.

    The name is cleaned again here, so a row stored before the sanitiser existed (or
    edited by hand) never puts a line break or a control character into a header."""
    return Recipient(
        subscriber_id=s.id,
        email=s.email,
        name=clean_name(s.name),
        preferences=s.preferences,
        unsubscribe_url=link_url(base_url, signer, "unsubscribe", s),
        preferences_url=link_url(base_url, signer, "preferences", s),
    )


def link_url(base_url: str, signer: TokenSigner, purpose: Purpose, s: Subscriber) -> str:
    """An absolute signed link, e.g. ``https://news.example.com/unsubscribe/<token>``: a
    confirm link for the open sign-up request, else one bound to the row's link key."""
    if purpose == "confirm":
        if s.signup is None:
            raise ValueError(f"subscriber {s.id} has no open sign-up request to confirm")
        key = s.signup.key
    else:
        key = s.link_key
    return signed_url(base_url, signer, purpose, s.id, key)


def signed_url(
    base_url: str, signer: TokenSigner, purpose: Purpose, subscriber_id: int, key: str
) -> str:
    """``<base_url>/<purpose>/<token>`` for any id and key (previews use id 0)."""
    return f"{base_url.rstrip('/')}/{purpose}/{signer.sign(purpose, subscriber_id, key)}"


def clean_preferences(p: Preferences) -> Preferences:
    """Preferences with every value through the sanitiser."""
    return parse_preferences(p.categories, p.metros, p.seniority)


def parse_preferences(
    categories: Sequence[str] = (), metros: Sequence[str] = (), seniority: Sequence[str] = ()
) -> Preferences:
    return Preferences(
        categories=clean_values(categories),
        metros=clean_values(metros),
        seniority=clean_values(seniority),
    )


def _erase_from_ledger(conn: Connection, ids: list[int], key: str) -> None:
    """Take an erased person's address out of their send-ledger rows: the address becomes
    ``erased:<digest>`` and every copy of it in a recorded error becomes ``[erased]``."""
    if not ids:
        return
    rows = sends.c.subscriber_id.in_(ids)
    conn.execute(
        sa.update(sends)
        .where(rows)
        .values(
            last_error=sa.func.replace(
                sa.func.replace(sends.c.last_error, sends.c.email, "[erased]"), key, "[erased]"
            )
        )
    )
    conn.execute(sa.update(sends).where(rows).values(email=f"erased:{email_hash(key)}"))
