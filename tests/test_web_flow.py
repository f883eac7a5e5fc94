"""The web app served by uvicorn on a loopback port, driven over real HTTP with httpx."""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from click.testing import Result
from typer.testing import CliRunner

from newsletter.audience.subscribers import SubscriberStore, email_hash
from newsletter.audience.tokens import TokenSigner
from newsletter.cli import app
from newsletter.config import Config, Secrets
from newsletter.delivery import get_sender
from newsletter.edition.archive import default_archive_dir
from newsletter.send.confirmation import SignupMailer
from newsletter.send.service import link_signer
from newsletter.store import open_store, subscribers, suppressions
from newsletter.util.clock import FixedClock
from newsletter.web.app import RateLimiter, create_app
from tests.delivery_support import Handler, smtp_server
from tests.web_support import SIGNER, Site, link, mail_to, outbox_files
from tests.web_support import site as make_site

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def store(config: Config) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db)


@pytest.fixture
def site(config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]) -> Iterator[Site]:
    with make_site(config, store, serve_app, limit=3) as client:
        yield client


def _outbox(site: Site) -> list[Path]:
    site.mailer.join()
    return outbox_files(site.config)


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_signup_confirm_one_click_unsubscribe(
    site: httpx.Client, store: SubscriberStore, config: Config
) -> None:
    form = site.get("/subscribe")
    assert form.status_code == 200
    assert 'name="email"' in form.text and 'name="consent"' in form.text
    assert form.headers["referrer-policy"] == "no-referrer"

    r = site.post(
        "/subscribe", data={"email": "New.Reader@Example.com", "name": "Nia", "consent": "yes"}
    )
    assert r.status_code == 200
    assert "Check your inbox" in r.text
    sub = store.get("new.reader@example.com")
    assert sub.status == "pending"
    assert sub.consent.source == "web"
    assert sub.consent.ip == "127.0.0.1"
    assert sub.consent.text is not None and "unsubscribe" in sub.consent.text

    [msg] = mail_to(site, "new.reader@example.com")
    assert msg["To"] == "New.Reader@example.com"
    path = link(msg, "confirm")
    assert "new.reader" not in path.lower()

    page = site.get(path)  # a link scanner's GET confirms nothing
    assert page.status_code == 200 and "Confirm" in page.text
    assert "<strong>N***@example.com</strong> as <strong>Nia</strong>." in page.text
    assert site.head(path).status_code == 200  # nor a HEAD (Starlette answers it)
    assert store.get("new.reader@example.com").status == "pending"
    done = site.post(path)
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert store.get("new.reader@example.com").status == "active"

    [recipient] = store.active_recipients(SIGNER, str(site.base_url))
    unsub_path = httpx.URL(recipient.unsubscribe_url).path
    confirm_page = site.get(unsub_path)  # GET shows a page, never unsubscribes
    assert confirm_page.status_code == 200 and "<form" in confirm_page.text
    assert site.head(unsub_path).status_code == 200  # nor does HEAD
    head = site.request("HEAD", "/subscribe", data={"email": "h@example.com", "consent": "yes"})
    assert head.status_code == 200 and store.find("h@example.com") is None  # no sign-up
    assert store.get("new.reader@example.com").status == "active"

    # RFC 8058: POST with the one-click body, no cookies, no JS; 200; idempotent
    for _ in range(2):
        one = httpx.post(str(site.base_url.join(unsub_path)), data=ONE_CLICK, timeout=10)
        assert one.status_code == 200
        assert "unsubscribed" in one.text
        assert not one.cookies
    assert store.get("new.reader@example.com").status == "unsubscribed"
    assert store.is_suppressed("new.reader@example.com")
    assert store.active_recipients(SIGNER, str(site.base_url)) == []


def test_forged_and_cross_purpose_tokens_are_refused(
    site: httpx.Client, store: SubscriberStore
) -> None:
    sub = store.add("victim@example.com")
    key = sub.link_key
    forged = TokenSigner("some-other-key").sign("unsubscribe", sub.id, key)
    cross = SIGNER.sign("preferences", sub.id, key)
    tampered = SIGNER.sign("unsubscribe", sub.id, key)[:-2] + "xx"
    for token in (forged, cross, tampered, "garbage"):
        r = site.post(f"/unsubscribe/{token}", data=ONE_CLICK)
        assert r.status_code == 400, token
        assert "not valid" in r.text
    assert site.post(f"/confirm/{SIGNER.sign('unsubscribe', sub.id, key)}").status_code == 400
    assert site.get(f"/preferences/{SIGNER.sign('confirm', sub.id, key)}").status_code == 400
    # genuine signature, wrong row key (as after an erasure): reaches nobody
    other = SIGNER.sign("unsubscribe", sub.id, "another-key")
    assert site.post(f"/unsubscribe/{other}", data=ONE_CLICK).status_code == 200
    assert store.get("victim@example.com").status == "active"


@pytest.mark.parametrize("bad", ["not-an-email", "a@", "x y@example.com"])
def test_bad_address_shows_the_form_with_an_error(
    site: Site, store: SubscriberStore, bad: str
) -> None:
    r = site.post("/subscribe", data={"email": bad, "consent": "yes"})
    assert r.status_code == 400
    assert 'role="alert"' in r.text and "not a valid email address" in r.text
    assert 'name="email"' in r.text  # the form again, with the value kept
    email_input = re.search(r'<input[^>]*\bid="email"[^>]*>', r.text)
    consent_input = re.search(r'<input[^>]*\bid="consent"[^>]*>', r.text)
    assert email_input and 'aria-invalid="true"' in email_input.group(0)
    assert consent_input and "aria-invalid" not in consent_input.group(0)
    assert store.list_all() == [] and _outbox(site) == []


def test_missing_consent_is_an_error_not_a_signup(
    site: httpx.Client, store: SubscriberStore
) -> None:
    r = site.post("/subscribe", data={"email": "a@example.com"})
    assert r.status_code == 400 and "consent" in r.text
    assert store.list_all() == []
    # The consent box is what is invalid, not the (valid) address.
    inputs = {m.group(1): m.group(0) for m in re.finditer(r'<input[^>]*\bid="(\w+)"[^>]*>', r.text)}
    assert 'aria-invalid="true"' in inputs["consent"]
    assert 'aria-describedby="form-error"' in inputs["consent"]
    assert "aria-invalid" not in inputs["email"] and 'value="a@example.com"' in inputs["email"]


def test_subscribe_is_rate_limited_per_ip(site: Site) -> None:
    codes = [
        site.post("/subscribe", data={"email": f"r{i}@example.com", "consent": "yes"}).status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    assert len(_outbox(site)) == 3


def test_signup_does_not_reveal_or_mail_blocked_addresses(
    site: Site, store: SubscriberStore
) -> None:
    store.add("active@example.com")
    store.add("bounced@example.com")
    store.mark_bounced("bounced@example.com", "550")
    pages = [
        site.post("/subscribe", data={"email": e, "consent": "yes"}).text
        for e in ("active@example.com", "bounced@example.com")
    ]
    assert all("Check your inbox" in p for p in pages)
    assert mail_to(site, "bounced@example.com") == []
    [notice] = mail_to(site, "active@example.com")  # "you are already subscribed"
    assert "already subscribed" in str(notice["Subject"])
    assert store.get("bounced@example.com").status == "bounced"


def test_unsubscribed_reader_can_come_back_only_by_confirming(
    site: Site, store: SubscriberStore
) -> None:
    store.add("back@example.com")
    store.unsubscribe("back@example.com")
    site.post("/subscribe", data={"email": "back@example.com", "consent": "yes"})
    assert store.get("back@example.com").status == "unsubscribed"  # until confirmed
    assert store.is_suppressed("back@example.com")
    [msg] = mail_to(site, "back@example.com")
    assert site.post(link(msg, "confirm")).status_code == 200
    assert store.get("back@example.com").status == "active"
    assert not store.is_suppressed("back@example.com")


def test_old_confirm_link_cannot_undo_an_unsubscribe(site: Site, store: SubscriberStore) -> None:
    site.post("/subscribe", data={"email": "left@example.com", "consent": "yes"})
    path = link(mail_to(site, "left@example.com")[-1], "confirm")
    store.unsubscribe("left@example.com")  # "not you?" before confirming
    assert site.post(path).status_code == 410  # the request died with the unsubscribe
    assert store.get("left@example.com").status == "unsubscribed"


def test_preferences_page_saves_choices_and_pause(site: Site, store: SubscriberStore) -> None:
    sub = store.add("prefs@example.com")
    path = f"/preferences/{SIGNER.sign('preferences', sub.id, sub.link_key)}"
    page = site.get(path)
    assert page.status_code == 200 and 'value="Data Scientist"' in page.text
    r = site.post(
        path,
        data={
            "category": ["Data Scientist", "Not A Category"],
            "metro": ["Seattle"],
            "seniority": ["senior"],
            "paused": "yes",
        },
    )
    assert r.status_code == 200 and "saved" in r.text
    saved = store.get("prefs@example.com")
    assert saved.preferences.categories == ("Data Scientist",)
    assert saved.preferences.metros == ("Seattle",)
    assert saved.preferences.seniority == ("senior",)
    assert saved.paused
    assert re.search(r'value="Seattle"\s+checked', r.text)
    assert store.active_recipients(SIGNER, "http://x") == []
    site.post(path, data={})
    assert not store.get("prefs@example.com").paused
    # remote roles are a place among the metros (the new-role picks)
    assert 'value="Remote"' in site.get(path).text
    site.post(path, data={"metro": ["Remote", "Seattle"]})
    assert store.get("prefs@example.com").preferences.metros == ("Remote", "Seattle")


def test_links_of_an_erased_person_answer_without_error(site: Site, store: SubscriberStore) -> None:
    sub = store.add("erased@example.com")
    store.remove("erased@example.com")
    unsub = SIGNER.sign("unsubscribe", sub.id, sub.link_key)
    assert site.post(f"/unsubscribe/{unsub}").status_code == 200
    assert site.get(f"/unsubscribe/{unsub}").status_code == 200
    prefs = SIGNER.sign("preferences", sub.id, sub.link_key)
    assert site.get(f"/preferences/{prefs}").status_code == 404


def test_self_service_gdpr_export_and_erasure(site: Site, store: SubscriberStore) -> None:
    sub = store.add("self@example.com", name="Sam")
    token = SIGNER.sign("preferences", sub.id, sub.link_key)
    data = site.get(f"/preferences/{token}/data")
    assert data.status_code == 200
    assert "attachment" in data.headers["content-disposition"]
    assert data.json()["subscriber"]["email"] == "self@example.com"
    assert "link_key" not in data.text and sub.link_key not in data.text
    wrong = SIGNER.sign("unsubscribe", sub.id, sub.link_key)
    assert site.get(f"/preferences/{wrong}/data").status_code == 400
    assert site.post(f"/preferences/{token}/erase", data={}).status_code == 400
    assert store.find("self@example.com") is not None
    done = site.post(f"/preferences/{token}/erase", data={"confirm": "yes"})
    assert done.status_code == 200 and "erased" in done.text
    assert store.find("self@example.com") is None
    assert store.is_suppressed("self@example.com")
    assert site.get(f"/preferences/{token}/data").status_code == 404


def test_gdpr_export_and_erasure_work_for_a_stored_address_the_validator_refuses(
    site: Site, store: SubscriberStore, config: Config, tmp_path: Path
) -> None:
    """Legacy data: a row stored before the validator (or by an older one) holds an address
    it refuses now. Its reader's links still download and erase everything held, and the
    command line shows and erases it by that address as stored."""
    legacy = "Old..Reader@example.com"
    for plain in ("old@example.com", "older@example.com"):
        store.add(plain, name="Olu")
    with store.db.write() as conn:
        for plain, stored in (("old@example.com", legacy), ("older@example.com", "x..y@x.org")):
            conn.execute(
                sa.update(subscribers)
                .where(subscribers.c.email_key == plain)
                .values(email=stored, email_key=stored.lower())
            )
    sub = store.get_by_id(1)
    assert sub is not None and sub.email == legacy
    token = SIGNER.sign("preferences", sub.id, sub.link_key)
    data = site.get(f"/preferences/{token}/data")
    assert data.status_code == 200, data.text
    assert data.json()["subscriber"]["email"] == legacy
    done = site.post(f"/preferences/{token}/erase", data={"confirm": "yes"})
    assert done.status_code == 200 and "erased" in done.text
    assert store.get_by_id(1) is None
    with store.db.read() as conn:
        digests = set(conn.execute(sa.select(suppressions.c.email_hash)).scalars())
    assert email_hash(legacy) in digests
    assert site.get(f"/preferences/{token}/data").status_code == 404

    cfg = tmp_path / "cli.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")

    def cli(*args: str) -> Result:
        return CliRunner().invoke(app, ["--config", str(cfg), *args])

    shown = cli("subscribers", "show", "X..Y@x.org")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["subscriber"]["name"] == "Olu"
    assert cli("subscribers", "remove", "x..y@x.org", "--yes").exit_code == 0
    assert store.get_by_id(2) is None
    invalid = cli("subscribers", "show", "nobody..here@x.org")  # no row: the validator speaks
    assert invalid.exit_code == 1 and "not a valid email address" in invalid.output


def test_rate_limiter_window_slides_and_forgets_idle_clients() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=2, window=3600, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    now[0] = 3600.5
    assert limiter.allow("a")
    for i in range(10_001):
        limiter.allow(f"ip{i}")
    now[0] = 9000.0
    limiter.allow("late")
    assert len(limiter._events) == 1


def test_repeated_signups_do_not_mail_bomb_an_address(site: Site, store: SubscriberStore) -> None:
    for _ in range(3):
        r = site.post("/subscribe", data={"email": "target@example.com", "consent": "yes"})
        assert r.status_code == 200 and "Check your inbox" in r.text
    assert len(_outbox(site)) == 1
    assert store.get("target@example.com").status == "pending"


def test_archive_is_served_as_the_view_in_browser_target(site: Site, config: Config) -> None:
    assert site.get("/archive/").status_code == 404  # nothing built yet: a 404, not a 500
    folder = default_archive_dir(config)
    (folder / "index.html").write_text("<h1>Archive</h1>", encoding="utf-8")
    (folder / "2026-11-23.html").write_text("<p>issue</p>", encoding="utf-8")
    assert site.get("/archive/").text == "<h1>Archive</h1>"
    page = site.get("/archive/2026-11-23.html")
    assert page.status_code == 200 and page.text == "<p>issue</p>"


def _smtp_config(config: Config, port: int) -> Config:
    return config.model_copy(
        update={
            "delivery": config.delivery.model_copy(
                update={
                    "provider": "smtp",
                    "max_attempts": 1,
                    "smtp": config.delivery.smtp.model_copy(update={"port": port}),
                }
            )
        }
    )


def test_confirmation_goes_through_the_configured_smtp_provider(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    handler = Handler()
    with (
        smtp_server(handler) as (_host, port),
        make_site(_smtp_config(config, port), store, serve_app) as c,
    ):
        r = c.post("/subscribe", data={"email": "Smtp.Reader@Example.com", "consent": "yes"})
        assert r.status_code == 200
        c.mailer.join()
        assert [m.rcpt_tos for m in handler.received] == [["Smtp.Reader@example.com"]]
        msg = email.message_from_bytes(handler.received[0].content, policy=email.policy.default)
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg["List-Id"] and msg["Message-ID"].endswith("@example.com>")
        assert msg.get_content_type() == "multipart/alternative"
        body = msg.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        confirm = re.search(r"https?://\S+/confirm/\S+", text)
        decline = re.search(r"https?://\S+/unsubscribe/\S+", text)
        assert confirm and decline and decline.group(0) in msg["List-Unsubscribe"]
        assert not outbox_files(config)  # sent, not parked in the outbox
        page = c.post(f"/confirm/{_token(confirm.group(0))}")
        assert page.status_code == 200
    assert store.get("smtp.reader@example.com").status == "active"


def test_a_refused_confirmation_is_logged_and_the_page_gives_nothing_away(
    config: Config,
    store: SubscriberStore,
    serve_app: Callable[[Any], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = Handler(rcpt_reply=lambda _a: "450 4.2.1 mailbox busy, try later")
    with (
        smtp_server(handler) as (_host, port),
        make_site(_smtp_config(config, port), store, serve_app) as c,
    ):
        r = c.post("/subscribe", data={"email": "later@example.com", "consent": "yes"})
        c.mailer.join()
    assert r.status_code == 200 and "Check your inbox" in r.text
    assert c.mailer.counts["failed"] == 1
    assert "confirm email for subscriber" in caplog.text and "later@example.com" not in caplog.text
    assert store.get("later@example.com").status == "pending"


def test_the_unsubscribe_page_grants_nothing_beyond_unsubscribing(
    site: Site, store: SubscriberStore
) -> None:
    """The List-Unsubscribe URL reaches mailbox providers and link scanners: its page must not
    hand out a signed preferences link (the data export and erasure live behind it)."""
    sub = store.add("keep.private@example.com")
    unsub = f"/unsubscribe/{SIGNER.sign('unsubscribe', sub.id, sub.link_key)}"
    page = site.get(unsub)
    assert page.status_code == 200 and "<form" in page.text
    assert "/preferences/" not in page.text and "keep.private@" not in page.text
    assert "k***@example.com" in page.text
    for href in re.findall(r'(?:href|action)="([^"]*)"', page.text):
        assert "/preferences" not in href and "/data" not in href and "/erase" not in href
    done = site.post(unsub)
    assert done.status_code == 200 and "/preferences/" not in done.text
    assert site.get(unsub).status_code == 200 and "/preferences/" not in site.get(unsub).text


def test_confirm_links_are_dated_and_expire_by_the_clock_the_app_is_given(
    config: Config, clock: FixedClock, serve_app: Callable[[Any], str]
) -> None:
    """``link_signer`` (the signer ``serve`` and the sends use) read the wall clock whatever
    clock its caller had: the served app's store went by the injected clock and its confirm
    links by the wall clock, so a link eight days old by the app's clock still confirmed.
    Built as ``newsletter serve`` builds it, the app's links now follow the one clock."""
    signer, _dev = link_signer(config, Secrets.of(secret_key="k" * 40), "serve", clock)
    with open_store(config) as db:
        store = SubscriberStore(db, clock=clock)
        mailer = SignupMailer(config, signer, get_sender(config.delivery, Secrets()))
        app = create_app(config, store, signer, mailer, limiter=RateLimiter(limit=10))
        with Site(serve_app(app), config, mailer) as c:
            for address, age in (("fresh@example.com", 6), ("stale@example.com", 8)):
                form = {"email": address, "consent": "yes"}
                assert c.post("/subscribe", data=form).status_code == 200
                [msg] = mail_to(c, address)
                claim = signer.verify("confirm", _token(link(msg, "confirm")))
                assert claim.signed_at == clock.now().replace(microsecond=0)
                clock.advance(timedelta(days=age))
                r = c.post(link(msg, "confirm"))
                if age <= 7:
                    assert r.status_code == 200 and store.get(address).status == "active"
                else:
                    assert r.status_code == 400 and "has expired" in r.text
                    assert store.get(address).status == "pending"
