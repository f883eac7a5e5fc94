"""Subscriber state transitions, uniqueness, suppression and GDPR on real SQLite files."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from newsletter.audience.subscribers import SubscriberStore, email_hash, link_url
from newsletter.audience.tokens import TokenSigner
from newsletter.config import DEV_SECRET_KEY, Config
from newsletter.errors import SubscriberError, SubscriberNotFoundError
from newsletter.models import Preferences
from newsletter.store import open_database, open_store, subscribers
from newsletter.util.clock import FixedClock

ADD_SCRIPT = """
import sys, time
from pathlib import Path
from newsletter.store import open_database
from newsletter.audience.subscribers import SubscriberStore
url, go, tag, n = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
while not go.exists():
    time.sleep(0.005)
with open_database(url) as db:
    store = SubscriberStore(db)
    for i in range(n):
        store.add(f"{tag}-{i}@example.com")
"""


@pytest.fixture
def store(config: Config) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db)


def test_addresses_are_normalized_and_unique_across_case(store: SubscriberStore) -> None:
    sub = store.add("  Jane.Doe@EXAMPLE.com ", name="Jane")
    assert sub.email == "Jane.Doe@example.com"
    assert sub.status == "active"
    assert sub.consent.source == "cli"
    with pytest.raises(SubscriberError, match="already on the list"):
        store.add("jane.doe@example.COM")
    assert store.get("JANE.DOE@example.com").id == sub.id
    assert store.count_by_status()["active"] == 1


def test_unique_index_holds_even_without_the_check(store: SubscriberStore) -> None:
    store.add("a@example.com")
    with pytest.raises(sa.exc.IntegrityError), store.db.write() as conn:
        row = conn.execute(sa.select(subscribers)).mappings().one()
        conn.execute(sa.insert(subscribers).values({**row, "id": None, "email": "A@example.com"}))


@pytest.mark.parametrize("bad", ["", "no-at-sign", "a@", "@example.com", "a b@example.com"])
def test_invalid_addresses_are_refused(store: SubscriberStore, bad: str) -> None:
    with pytest.raises(SubscriberError):
        store.add(bad)
    assert sum(store.count_by_status().values()) == 0


def test_unsubscribe_suppresses_and_add_cannot_resurrect(store: SubscriberStore) -> None:
    store.add("leaver@example.com")
    sub = store.unsubscribe("LEAVER@example.com", "asked")
    assert sub.status == "unsubscribed"
    assert store.unsubscribe("leaver@example.com").status == "unsubscribed"  # idempotent
    assert store.is_suppressed("Leaver@Example.com")
    with pytest.raises(SubscriberError, match="resubscribe"):
        store.add("leaver@example.com")
    assert store.get("leaver@example.com").status == "unsubscribed"


def test_resubscribe_needs_new_consent_and_lifts_suppression(store: SubscriberStore) -> None:
    store.add("back@example.com")
    store.unsubscribe("back@example.com")
    with pytest.raises(SubscriberError, match="consent"):
        store.resubscribe("back@example.com", "  ")
    sub = store.resubscribe("back@example.com", "asked to come back by email")
    assert sub.status == "active"
    assert sub.consent.text == "asked to come back by email"
    assert not store.is_suppressed("back@example.com")
    with pytest.raises(SubscriberError, match="already active"):
        store.resubscribe("back@example.com", "again")


def test_bounce_and_complaint_suppress_even_unknown_addresses(store: SubscriberStore) -> None:
    store.add("b@example.com")
    assert store.mark_bounced("b@example.com", "550 no such user") is not None
    assert store.get("b@example.com").status == "bounced"
    assert store.mark_complained("stranger@example.com", "FBL report") is None
    sup = store.suppression("stranger@example.com")
    assert sup is not None and sup.reason == "complained"
    # an unsubscribed address that later bounces is recorded as the stronger reason
    store.add("u@example.com")
    store.unsubscribe("u@example.com")
    store.mark_bounced("u@example.com", "mailbox gone")
    sup = store.suppression("u@example.com")
    assert sup is not None and sup.reason == "bounced"


def test_complained_is_terminal_without_new_consent(store: SubscriberStore) -> None:
    store.add("c@example.com")
    store.mark_complained("c@example.com", "spam button")
    store.unsubscribe("c@example.com")  # no transition out of complained
    assert store.get("c@example.com").status == "complained"


def test_gdpr_show_and_remove(store: SubscriberStore) -> None:
    store.add(
        "gdpr@example.com",
        name="Gia",
        preferences=Preferences(categories=("Data Scientist",), metros=("Boston",)),
    )
    held = store.show("GDPR@example.com")
    assert held["subscriber"]["email"] == "gdpr@example.com"
    assert held["subscriber"]["name"] == "Gia"
    assert held["subscriber"]["preferences"]["metros"] == ["Boston"]
    assert held["subscriber"]["consent"]["source"] == "cli"
    assert held["suppression"] is None
    removed = store.remove("gdpr@example.com")
    assert removed == held
    assert store.find("gdpr@example.com") is None
    after = store.show("gdpr@example.com")
    assert after["subscriber"] is None
    assert after["suppression"]["reason"] == "erased"
    with store.db.read() as conn:  # nothing personal is left in any table
        dump = "\n".join(conn.connection.driver_connection.iterdump())  # type: ignore[union-attr]
    assert "gdpr@example.com" not in dump.lower() and "Gia" not in dump
    assert email_hash("gdpr@example.com") in dump
    with pytest.raises(SubscriberNotFoundError):
        store.show("never@example.com")


def test_recipients_are_active_unpaused_unsuppressed_with_signed_links(
    store: SubscriberStore,
) -> None:
    a = store.add("a@example.com", preferences=Preferences(seniority=("senior",)))
    b = store.add("b@example.com")
    store.add("c@example.com")
    store.unsubscribe("c@example.com")
    store.set_preferences(b.id, Preferences(), paused=True)
    store.add("d@example.com")
    store.mark_bounced("d@example.com", "gone")
    signer = TokenSigner(DEV_SECRET_KEY)
    recipients = store.active_recipients(signer, "https://news.example.com/")
    assert [r.email for r in recipients] == ["a@example.com"]
    r = recipients[0]
    assert r.subscriber_id == a.id
    assert r.preferences.seniority == ("senior",)
    assert r.unsubscribe_url.startswith("https://news.example.com/unsubscribe/")
    assert "example.com/unsubscribe/" in r.unsubscribe_url
    token = r.unsubscribe_url.rsplit("/", 1)[1]
    assert "a@example" not in token
    assert signer.verify("unsubscribe", token).subscriber_id == a.id
    assert signer.verify("preferences", r.preferences_url.rsplit("/", 1)[1]).key == a.link_key


def test_two_processes_adding_at_once_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    go = tmp_path / "go"
    n = 150
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ADD_SCRIPT, url, str(go), tag, str(n)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("p1", "p2")
    ]
    go.touch()
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with open_database(url) as db:
        emails = {s.email for s in SubscriberStore(db).list_all()}
    expected = {f"{t}-{i}@example.com" for t in ("p1", "p2") for i in range(n)}
    assert emails == expected


def test_web_signup_outcomes_follow_status_and_resend_interval(store: SubscriberStore) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    timed = SubscriberStore(store.db, clock=clock)
    signer = TokenSigner(DEV_SECRET_KEY, clock=clock)
    first = timed.signup("w@example.com", name=None, ip="10.0.0.1", wording="yes please")
    assert (first.outcome, first.mail) == ("new", "confirm") and first.subscriber is not None
    assert timed.signup("W@example.com", name=None, ip="10.0.0.2", wording="x").outcome == (
        "recently-sent"
    )
    clock.advance(dt.timedelta(minutes=11))
    again = timed.signup("w@example.com", name="W", ip="10.0.0.3", wording="yes please")
    assert (again.outcome, again.mail) == ("pending", "confirm")
    assert again.subscriber is not None and again.subscriber.id == first.subscriber.id
    sub = timed.get("w@example.com")
    # the record keeps the first request until a link is confirmed
    assert (sub.consent.ip, sub.name) == ("10.0.0.1", None)
    old = link_url("http://x", signer, "confirm", first.subscriber)
    new = link_url("http://x", signer, "confirm", again.subscriber)
    claim = signer.verify("confirm", old.rsplit("/", 1)[1])
    assert timed.confirm(claim).outcome == "stale"  # replaced by the newer request
    done = timed.confirm(signer.verify("confirm", new.rsplit("/", 1)[1]))
    assert done.outcome == "confirmed" and done.subscriber is not None
    assert (done.subscriber.consent.ip, done.subscriber.consent.at, done.subscriber.name) == (
        "10.0.0.3",
        clock.now(),
        "W",
    )
    assert done.subscriber.confirmed_at == clock.now()
    assert timed.confirm(signer.verify("confirm", new.rsplit("/", 1)[1])).outcome == "stale"
    clock.advance(dt.timedelta(minutes=11))
    active = timed.signup("w@example.com", name=None, ip=None, wording="x")
    assert (active.outcome, active.mail) == ("already-active", "notice")
