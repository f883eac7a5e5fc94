"""Issue 11, items 1 and 8: subscriber identity. Ids are never reused, every link is bound to
something an erasure destroys, a confirm link works once, and a sign-up with someone else's
address changes nothing until the emailed link is confirmed. Real uvicorn, real SQLite files,
and PostgreSQL for the migration."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.config import DEV_SECRET_KEY, Config
from newsletter.store import open_database, open_store
from newsletter.store.engine import _alembic_config, create_engine
from newsletter.util.clock import FixedClock
from tests.conftest import NOW
from tests.web_support import SIGNER, link, mail_to, site


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def store(config: Config, clock: FixedClock) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db, clock=clock)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


# ---- item 1 -----------------------------------------------------------------------------


def test_an_erased_persons_old_links_never_reach_the_next_signup(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    with site(config, store, serve_app) as c:
        c.post("/subscribe", data={"email": "ann@example.com", "name": "Ann", "consent": "yes"})
        confirm_ann = link(mail_to(c, "ann@example.com")[-1], "confirm")
        assert c.post(confirm_ann).status_code == 200
        ann = store.get("ann@example.com")
        [rec] = store.active_recipients(SIGNER, config.newsletter.base_url)
        prefs_ann, unsub_ann = _path(rec.preferences_url), _path(rec.unsubscribe_url)
        erased = c.post(f"{prefs_ann}/erase", data={"confirm": "yes"})
        assert erased.status_code == 200 and store.find("ann@example.com") is None

        c.post("/subscribe", data={"email": "bea@example.com", "name": "Bea", "consent": "yes"})
        bea = store.get("bea@example.com")
        assert bea.id != ann.id, "an erased subscriber's id was given to the next sign-up"

        data = c.get(f"{prefs_ann}/data")
        assert data.status_code == 404 and "bea@example.com" not in data.text
        assert c.get(prefs_ann).status_code == 404
        c.post(confirm_ann)  # Ann's old confirm link must not activate Bea
        c.post(unsub_ann, data={"List-Unsubscribe": "One-Click"})
    after = store.get("bea@example.com")
    assert (after.status, after.name) == ("pending", "Bea")
    assert not store.is_suppressed("bea@example.com")


def test_a_confirm_link_works_once(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    with site(config, store, serve_app) as c:
        c.post("/subscribe", data={"email": "once@example.com", "consent": "yes"})
        confirm = link(mail_to(c, "once@example.com")[-1], "confirm")
        first = c.post(confirm)
        assert first.status_code == 200 and "/preferences/" in first.text
        again_get, again_post = c.get(confirm), c.post(confirm)
    # a used link (forwarded, leaked from a mailbox) leads nowhere, least of all to the
    # preferences page with its GDPR export and erasure
    for again in (again_get, again_post):
        assert again.status_code >= 400
        assert "/preferences/" not in again.text


def _seed_0002(url: str) -> None:
    """A database at revision 0002 holding a list, as main left it (including an erased id 7
    that the send ledger still remembers)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0002")
        # UTC, as the store writes it (SQLite: naive text; PostgreSQL: an explicit offset,
        # not the server's time zone)
        t = "2026-11-01 10:00:00" + ("" if conn.dialect.name == "sqlite" else "+00:00")
        for i, (mail, status, name) in enumerate(
            [("a@example.com", "active", "Ann"), ("b@example.com", "unsubscribed", "Bo"),
             ("c@example.com", "pending", None), ("d@example.com", "active", "Di")], start=1
        ):  # fmt: skip
            conn.execute(
                sa.text(
                    "INSERT INTO subscribers (id, email, email_key, name, status, categories, "
                    "metros, seniority, paused, consent_at, consent_source, consent_ip, "
                    "consent_text, status_reason, created_at, updated_at, confirmed_at, "
                    "status_changed_at) VALUES (:id, :e, :e, :n, :s, '[\"Data Scientist\"]', "
                    "'[]', '[]', false, :t, 'web', '10.0.0.1', 'yes please', NULL, :t, :t, "
                    "NULL, :t)"
                ),
                {"id": i, "e": mail, "n": name, "s": status, "t": t},
            )
        conn.execute(
            sa.text(
                "INSERT INTO sends (issue_key, subscriber_id, email, status, retryable, "
                "message_id, attempts, updated_at) VALUES ('2026-W45', 7, 'gone@example.com', "
                "'sent', false, '<m7@example.com>', 1, :t)"
            ),
            {"t": t},
        )
    engine.dispose()


def _check_upgrade_keeps_data_and_never_reuses_ids(url: str) -> None:
    _seed_0002(url)
    with open_database(url) as db:
        store = SubscriberStore(db, clock=FixedClock(NOW))
        kept = {s.email: s for s in store.list_all()}
        assert sorted(kept) == ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
        a = kept["a@example.com"]
        assert (a.id, a.name, a.status, a.preferences.categories) == (
            1,
            "Ann",
            "active",
            ("Data Scientist",),
        )
        assert (a.consent.ip, a.consent.text, a.consent.source) == ("10.0.0.1", "yes please", "web")
        assert a.consent.at == dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
        assert kept["b@example.com"].status == "unsubscribed"
        # the ledger remembers id 7: a new person never gets it, nor any id below
        new = store.add("new@example.com")
        assert new.id > 7
        store.remove("new@example.com")
        newer = store.add("newer@example.com")
        assert newer.id > new.id
        # links sent before the upgrade (no key inside) keep working for the people they
        # were sent to, and never for a row created after the link was signed
        for signed_at, holder in ((NOW, "d@example.com"), (NOW.replace(month=10), None)):
            old = TokenSigner(DEV_SECRET_KEY, clock=FixedClock(signed_at))
            legacy = old._serializer("unsubscribe").dumps({"s": 4})
            found = store.holder("unsubscribe", SIGNER.verify("unsubscribe", legacy))
            assert (found.email if found else None) == holder
            # a keyless link never reaches a row made after the upgrade, whatever its dates
            younger = old._serializer("unsubscribe").dumps({"s": newer.id})
            assert store.holder("unsubscribe", SIGNER.verify("unsubscribe", younger)) is None


def test_upgrade_on_sqlite_keeps_data_and_never_reuses_ids(tmp_path: Path) -> None:
    _check_upgrade_keeps_data_and_never_reuses_ids(f"sqlite:///{tmp_path / 'old.db'}")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect() as conn:
        ddl = conn.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE name = 'subscribers'")
        ).scalar()
    engine.dispose()
    assert "AUTOINCREMENT" in str(ddl).upper()


@pytest.mark.postgres
def test_upgrade_on_postgres_keeps_data_and_uses_an_identity_column(postgres_url: str) -> None:
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS "upgrade0003"'))
        conn.execute(sa.text('CREATE DATABASE "upgrade0003"'))
    admin.dispose()
    url = sa.make_url(postgres_url).set(database="upgrade0003").render_as_string(False)
    _check_upgrade_keeps_data_and_never_reuses_ids(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        identity = conn.execute(
            sa.text(
                "SELECT is_identity FROM information_schema.columns "
                "WHERE table_name = 'subscribers' AND column_name = 'id'"
            )
        ).scalar()
    engine.dispose()
    assert identity == "YES"


# ---- item 8 -----------------------------------------------------------------------------


def _record(store: SubscriberStore, address: str) -> dict[str, Any]:
    """The person's record: everything held except a sign-up request awaiting confirmation."""
    shown = store.show(address)
    sub = dict(shown["subscriber"])
    del sub["pending_signup"]
    return {"subscriber": sub, "suppression": shown["suppression"]}


def test_a_stranger_signing_up_someone_elses_address_changes_nothing(
    config: Config, store: SubscriberStore, clock: FixedClock, serve_app: Callable[[Any], str]
) -> None:
    store.add("xavier@example.com", name="Xavier")
    store.unsubscribe("xavier@example.com")
    with site(config, store, serve_app) as c:
        c.post("/subscribe", data={"email": "pat@example.com", "name": "Pat", "consent": "yes"})
        first_link = link(mail_to(c, "pat@example.com")[-1], "confirm")
        clock.advance(dt.timedelta(days=3))  # Pat never confirmed: a long-pending sign-up
        before = {e: _record(store, e) for e in ("xavier@example.com", "pat@example.com")}
        for victim in before:
            r = c.post("/subscribe", data={"email": victim, "name": "Mallory", "consent": "yes"})
            assert r.status_code == 200
        after = {e: _record(store, e) for e in before}
        assert after == before, "a stranger's sign-up changed a name, status or consent record"
        # what waits for the owner's decision is held (and shown in the GDPR export) apart
        waiting = store.show("xavier@example.com")["subscriber"]["pending_signup"]
        assert waiting["name"] == "Mallory" and waiting["ip"] == "127.0.0.1"

        # the address owner decides, through the link mailed for the new request
        newest = link(mail_to(c, "xavier@example.com")[-1], "confirm")
        assert c.post(newest).status_code == 200
        assert c.post(first_link).status_code >= 400  # superseded: only the newest request
    x = store.get("xavier@example.com")
    assert (x.status, x.name, x.consent.source, x.consent.ip) == (
        "active",
        "Mallory",
        "web",
        "127.0.0.1",
    )
    assert store.get("pat@example.com").status == "pending"
