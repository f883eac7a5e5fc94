"""An optional approval before the send (``[schedule] approval = "required"``).

The weekly job prepares the issue, then, instead of sending, mails a ``[PREVIEW]`` copy to
the editors (``[alerts] email``) with a signed approve link, and the send waits. An editor
approves with the link (``newsletter serve``: ``/approve/<token>``, a page with a button; a
GET never approves, since mail scanners open links) or with ``newsletter approve WEEK``;
the next run of the weekly job (``run-week``, or the scheduler's check every ``[alerts]
check_minutes``) then sends it. Without an approval by the deadline (``[schedule]
approval_deadline_hours`` after the send time) nothing is sent, and an alert says so.

The approve link is bound to its purpose (its own signing salt: no subscriber link can act
as one, nor the reverse), to the issue, and to a random key stored with the approval: it
works once (approving clears the key), it dies at the deadline, and it dies when the issue
changes after the preview (the approval records a digest of the issue the editors were
shown; a different issue is previewed and approved anew).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from typing import Literal

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer

from newsletter.errors import TokenError
from newsletter.models import IssueContent, Preferences
from newsletter.send.variants import IssueVariants
from newsletter.store import Database
from newsletter.store.tables import approvals
from newsletter.util.clock import Clock

ApprovedVia = Literal["cli", "link"]
ApproveOutcome = Literal["approved", "already", "stale", "expired", "missing", "sent"]
_SALT = "newsletter.approve.v1"
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def issue_digest(variants: IssueVariants) -> str:
    """What the editors approve: a SHA-256 of the default version's subject and both parts
    (merge tags unfilled, so it does not depend on who reads it)."""
    c = variants.content(Preferences())
    raw = "\0".join((c.subject, c.html, c.text)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    issue_key: str
    week: dt.date
    digest: str
    link_key: str | None
    requested_at: dt.datetime
    deadline: dt.datetime
    previews: int
    approved_at: dt.datetime | None
    approved_via: str | None

    def state(self, now: dt.datetime) -> Literal["approved", "waiting", "expired"]:
        if self.approved_at is not None:
            return "approved"
        return "waiting" if now <= self.deadline else "expired"


class ApprovalSigner:
    """Signs and checks approve links: ``{issue, key, expiry}`` under its own salt."""

    def __init__(self, secret_key: str, clock: Clock) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=_SALT)
        self.clock = clock

    def sign(self, record: ApprovalRecord) -> str:
        if not record.link_key:
            raise ValueError("this approval has no open link")
        payload = {
            "i": record.issue_key,
            "k": record.link_key,
            "e": int(record.deadline.timestamp()),
        }
        return str(self._serializer.dumps(payload))

    def verify(self, token: str) -> tuple[str, str]:
        """(issue key, link key) of a genuine, unexpired token; TokenError otherwise. The key
        must still match the stored approval (:meth:`Approvals.approve`)."""
        if len(token) > 512:
            raise TokenError("this approve link is not valid")
        try:
            data = self._serializer.loads(token)
        except BadSignature:
            raise TokenError("this approve link is not valid") from None
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), t) for k, t in (("i", str), ("k", str), ("e", int))
        ):
            raise TokenError("this approve link is not valid")
        if self.clock.now().timestamp() > data["e"]:
            raise TokenError("this approve link has expired")
        return data["i"], data["k"]


#: A preview claim older than this is from a run killed while mailing: taken again.
PREVIEW_LEASE = dt.timedelta(minutes=10)


@dataclass
class Approvals:
    """The ``approvals`` table on an open database."""

    db: Database
    clock: Clock

    def get(self, issue_key: str) -> ApprovalRecord | None:
        with self.db.read() as conn:
            row = (
                conn.execute(sa.select(approvals).where(approvals.c.issue_key == issue_key))
                .mappings()
                .first()
            )
        if row is None:
            return None
        return ApprovalRecord(**{k: row[k] for k in ApprovalRecord.__slots__})

    def request(
        self, issue_key: str, week: dt.date, digest: str, deadline: dt.datetime
    ) -> ApprovalRecord:
        """The approval of this issue as previewed: created on first request; started anew
        (new link key, no approval, no preview sent) when the issue changed since."""
        now = self.clock.now()
        fresh = {
            "digest": digest,
            "link_key": secrets.token_hex(16),
            "requested_at": now,
            "deadline": deadline,
            "previews": 0,
            "approved_at": None,
            "approved_via": None,
            "updated_at": now,
        }
        with self.db.write() as conn:
            current = conn.execute(
                sa.select(approvals.c.digest).where(approvals.c.issue_key == issue_key)
            ).scalar()
            if current is None:
                conn.execute(sa.insert(approvals).values(issue_key=issue_key, week=week, **fresh))
            elif current != digest:
                conn.execute(
                    sa.update(approvals).where(approvals.c.issue_key == issue_key).values(fresh)
                )
        found = self.get(issue_key)
        assert found is not None
        return found

    def claim_preview(self, issue_key: str) -> bool:
        """True for the one run that should mail the previews of this version now (two
        runs at once never both do); :meth:`previewed` records how many went out. A claim a
        killed run left (``previews`` -1) is taken again after :data:`PREVIEW_LEASE`."""
        now = self.clock.now()
        unclaimed = approvals.c.previews == 0
        abandoned = (approvals.c.previews == -1) & (approvals.c.updated_at < now - PREVIEW_LEASE)
        with self.db.write() as conn:
            done = conn.execute(
                sa.update(approvals)
                .where(approvals.c.issue_key == issue_key, unclaimed | abandoned)
                .values(previews=-1, updated_at=now)
            )
        return done.rowcount == 1

    def previewed(self, issue_key: str, copies: int) -> None:
        """The previews of this version went out (``copies``; 0 gives the claim back, so
        the next run tries again)."""
        with self.db.write() as conn:
            conn.execute(
                sa.update(approvals)
                .where(approvals.c.issue_key == issue_key)
                .values(previews=copies, updated_at=self.clock.now())
            )

    def approve(
        self, issue_key: str, via: ApprovedVia, link_key: str | None = None
    ) -> ApproveOutcome:
        """Approve the issue. A link must carry the current key and come before the deadline
        (and works once); the command line may approve at any time."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = (
                conn.execute(sa.select(approvals).where(approvals.c.issue_key == issue_key))
                .mappings()
                .first()
            )
            if row is None:
                return "missing"
            if row["approved_at"] is not None:
                return "already"
            if via == "link":
                if link_key is None or row["link_key"] is None:
                    return "stale"
                if not secrets.compare_digest(row["link_key"], link_key):
                    return "stale"
                if now > row["deadline"]:
                    return "expired"
            conn.execute(
                sa.update(approvals)
                .where(approvals.c.issue_key == issue_key)
                .values(approved_at=now, approved_via=via, link_key=None, updated_at=now)
            )
        return "approved"


def with_banner(content: IssueContent, html_banner: str, text_banner: str) -> IssueContent:
    """``content`` with a banner at the top of both parts (after ``<body>``)."""
    m = _BODY.search(content.html)
    at = m.end() if m else 0
    html = content.html[:at] + html_banner + content.html[at:]
    return replace(content, html=html, text=f"{text_banner}\n{content.text}", variant="preview")
