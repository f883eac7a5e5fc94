"""Issue 11, items 4 and 9: /subscribe gives nothing away; tokens stay out of the access log;
every page carries the security headers; invalid UTF-8 in a form is refused. Real uvicorn
servers (and the real `newsletter serve` command for the access log)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config
from newsletter.store import Database, open_store
from tests.delivery_support import free_port
from tests.web_support import SIGNER, mail_to, site


@pytest.fixture
def store(config: Config) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db)


# ---- item 4 -----------------------------------------------------------------------------


def _states(store: SubscriberStore) -> dict[str, str]:
    """One address in each state the list knows."""
    store.add("active@example.com")
    store.add("left@example.com")
    store.unsubscribe("left@example.com")
    store.add("bounced@example.com")
    store.mark_bounced("bounced@example.com", "550")
    store.mark_complained("digest-only@example.com", "complaint before sign-up")
    return {
        "new": "new@example.com",
        "active": "active@example.com",
        "unsubscribed": "left@example.com",
        "bounced": "bounced@example.com",
        "suppressed": "digest-only@example.com",
    }


def _answer(r: httpx.Response, address: str) -> tuple[int, str]:
    return r.status_code, r.text.replace(address, "ADDRESS")


def test_subscribe_answers_alike_whatever_the_state_even_with_smtp_down(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    down = config.model_copy(
        update={
            "delivery": config.delivery.model_copy(
                update={
                    "provider": "smtp",
                    "max_attempts": 1,
                    "smtp": config.delivery.smtp.model_copy(update={"port": free_port()}),
                }
            )
        }
    )
    states = _states(store)
    with site(down, store, serve_app) as c:
        answers = {
            state: _answer(c.post("/subscribe", data={"email": a, "consent": "yes"}), a)
            for state, a in states.items()
        }
    assert len(set(answers.values())) == 1, {s: a[0] for s, a in answers.items()}
    assert answers["new"][0] == 200


def test_an_active_reader_gets_a_notice_and_a_new_one_a_confirmation(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    _states(store)
    with site(config, store, serve_app) as c:
        for a in ("new@example.com", "active@example.com", "bounced@example.com"):
            assert c.post("/subscribe", data={"email": a, "consent": "yes"}).status_code == 200
        c.get("/subscribe")
    [confirm] = mail_to(c, "new@example.com")
    [notice] = mail_to(c, "active@example.com")
    assert "/confirm/" in confirm.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "already" in str(notice["Subject"]).lower()
    assert "/confirm/" not in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mail_to(c, "bounced@example.com") == []
    for msg in (confirm, notice):
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/unsubscribe/" in str(msg["List-Unsubscribe"])


# ---- item 9 -----------------------------------------------------------------------------

HEADERS = ("referrer-policy", "x-content-type-options", "content-security-policy")


def _secure(r: httpx.Response) -> None:
    for h in HEADERS:
        assert h in r.headers, (
            f"{r.request.method} {r.request.url.path} ({r.status_code}) lacks {h}"
        )
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_every_page_carries_the_security_headers(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str], tmp_path: Path
) -> None:
    with site(config, store, serve_app) as c:
        responses = [
            c.get("/"),
            c.get("/archive/"),
            c.get("/no/such/page"),
            c.get("/webhooks/postmark"),  # 405
            c.get("/subscribe"),
        ]
        from newsletter.edition.archive import default_archive_dir

        (default_archive_dir(config) / "index.html").write_text("<h1>Archive</h1>", "utf-8")
        responses.append(c.get("/archive/"))
    assert [r.status_code for r in responses] == [303, 404, 404, 405, 200, 200]
    # a server error page too (a database that cannot be opened)
    broken = SubscriberStore(Database(sa.create_engine(f"sqlite:///{tmp_path}/no/such/dir.db")))
    with site(config, broken, serve_app) as c:
        err = c.get(f"/preferences/{SIGNER.sign('preferences', 1, 'key')}")
        responses.append(err)
    assert err.status_code == 500
    for r in responses:
        _secure(r)


def test_a_redirect_never_names_the_host_a_request_claims(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    """Starlette writes its own redirects (``/archive`` to ``/archive/``, a path with a
    trailing slash to one without) as absolute URLs from the request's ``Host`` header: any
    client could have the site answer ``Location: http://evil.example/archive/``, which a
    cache in front keeps for everyone. Every redirect is a path on this site instead."""
    with site(config, store, serve_app) as c:
        for path, target in [
            ("/archive", "/archive/"),
            ("/archive?week=1", "/archive/?week=1"),
            ("/subscribe/", "/subscribe"),
            ("/unsubscribe/some-token/", "/unsubscribe/some-token"),
        ]:
            for host in ("evil.example", "evil.example:8443"):
                r = c.get(path, headers={"Host": host}, follow_redirects=False)
                assert r.status_code in (307, 308), (path, r.status_code)
                assert r.headers["location"] == target, (path, host)
                _secure(r)
        r = c.get("/", headers={"Host": "evil.example"}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/subscribe")


def test_invalid_utf8_in_a_form_is_refused_not_replaced(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with site(config, store, serve_app) as c:
        bad_name = c.post(
            "/subscribe",
            content=b"email=u8%40example.com&name=Ren%C3%28e&consent=yes",
            headers=form,
        )
        raw_bytes = c.post(
            "/subscribe", content=b"email=u9@example.com&name=Ren\xe9e&consent=yes", headers=form
        )
    assert (bad_name.status_code, raw_bytes.status_code) == (400, 400)
    assert store.list_all() == []


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):  # a hang guard while the process starts, not a timing assertion
        if proc.poll() is not None:
            raise AssertionError(proc.communicate()[1].decode())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("newsletter serve did not start")


def test_tokens_and_secrets_stay_out_of_the_access_log(tmp_path: Path) -> None:
    port = free_port()
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n'
        f'[delivery]\noutbox_dir = "{tmp_path / "outbox"}"\n'
        f'[data]\nstate_dir = "{tmp_path}"\n',
        encoding="utf-8",
    )
    env = os.environ | {
        "NEWSLETTER_SECRET_KEY": "k" * 40,
        "NEWSLETTER_WEBHOOK_SECRET": "HOOKSECRET0123",
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--config", str(cfg), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        _wait_for_port(port, proc)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as c:
            c.get("/preferences/TOKENAAA.bbb.ccc")
            c.get("/preferences/TOKENDDD.eee/data")
            c.post("/unsubscribe/TOKENFFF.ggg", data={"List-Unsubscribe": "One-Click"})
            c.get("/confirm/TOKENHHH.iii")
            c.post("/webhooks/postmark?token=HOOKSECRET0123", json={})
            c.post("/webhooks/postmark?x=1&token=HOOKSECRET0123&y=2", json={})
            c.get("/subscribe?token=TOKENJJJ")
            # an editor's approve link: whoever reads the log must not approve the issue
            c.get("/approve/TOKENKKK.lll.mmm")
            c.post("/approve/TOKENNNN.ooo.ppp")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    log = (out + err).decode()
    assert "GET /preferences/" in log, log  # the access log is on
    for leaked in ("TOKEN", "HOOKSECRET"):
        assert leaked not in log, log


# ---- cross-site form posts (CSRF) -----------------------------------------------------------

EVIL = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
SIGNUP = {"email": "csrf@example.com", "consent": "yes"}


def test_forms_refuse_posts_from_other_sites(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    with site(config, store, serve_app, webhook_secret="hook-secret") as c:
        own = str(c.base_url).rstrip("/")
        for headers in (
            EVIL,
            {"Origin": "https://evil.example"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a sandboxed frame elsewhere
            {"Origin": own.replace("127.0.0.1", "127.0.0.2")},
            {"Origin": own, "Sec-Fetch-Site": "cross-site"},
        ):
            r = c.post("/subscribe", data=SIGNUP, headers=headers)
            assert r.status_code == 403, headers
            assert "another site" in r.text and r.headers["content-type"].startswith("text/html")
        assert store.find("csrf@example.com") is None

        sub = store.add("reader@example.com")
        prefs = f"/preferences/{SIGNER.sign('preferences', sub.id, sub.link_key)}"
        r = c.post(prefs, data={"paused": "yes"}, headers=EVIL)
        assert r.status_code == 403 and not store.get("reader@example.com").paused
        r = c.post(f"{prefs}/erase", data={"confirm": "yes"}, headers=EVIL)
        assert r.status_code == 403 and store.find("reader@example.com") is not None
        # refused before the token is even looked at
        assert c.post("/confirm/x.y.z", headers=EVIL).status_code == 403
        assert c.post("/approve/x.y.z", headers=EVIL).status_code == 403
        # reading is never refused
        assert c.get(prefs, headers=EVIL).status_code == 200

        # the site's own pages (by the request's host, or the configured base URL), same-site
        # fetches and clients that send neither header (curl) are fine
        for i, headers in enumerate(
            [
                {"Origin": own, "Sec-Fetch-Site": "same-origin"},
                {"Origin": config.newsletter.base_url.rstrip("/")},
                {"Sec-Fetch-Site": "same-site"},
                {"Sec-Fetch-Site": "none"},
                # this site's own pages are served with Referrer-Policy: no-referrer, under
                # which browsers send "Origin: null" with their form posts
                {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                {"Origin": "null"},
                {},
            ]
        ):
            data = {"email": f"ok{i}@example.com", "consent": "yes"}
            assert c.post("/subscribe", data=data, headers=headers).status_code == 200, headers
        r = c.post(prefs, data={"paused": "yes"}, headers={"Origin": own})
        assert r.status_code == 200 and store.get("reader@example.com").paused

        # RFC 8058 one-click: mail providers post it from their own sites
        unsub = f"/unsubscribe/{SIGNER.sign('unsubscribe', sub.id, sub.link_key)}"
        r = c.post(unsub, data={"List-Unsubscribe": "One-Click"}, headers=EVIL)
        assert r.status_code == 200 and store.get("reader@example.com").status == "unsubscribed"
        # and the webhooks authenticate by their secret, not by where they come from
        bounce = {"RecordType": "Bounce", "Type": "HardBounce", "Email": "ok0@example.com"}
        r = c.post("/webhooks/postmark?token=hook-secret", json=bounce, headers=EVIL)
        assert r.status_code == 200 and r.json()["applied"] == 1


def test_a_form_posted_from_an_internationalized_base_url_is_this_sites(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    """A browser on https://nëws.example sends ``Origin: https://xn--nws-jma.example``; behind
    a proxy that passes its own upstream Host, only the base URL can vouch for it, and it
    was compared as written: every form of the site was refused as cross-site (403)."""
    idn = config.model_copy(
        update={
            "newsletter": config.newsletter.model_copy(
                update={"base_url": "https://n\u00ebws.example"}
            )
        }
    )
    with site(idn, store, serve_app) as c:
        own = {"Origin": "https://xn--nws-jma.example", "Sec-Fetch-Site": "same-origin"}
        r = c.post("/subscribe", data=SIGNUP, headers=own)
        assert r.status_code == 200, r.text
        evil = {"Origin": "https://xn--nws-jma.example.evil.example"}
        assert c.post("/subscribe", data=SIGNUP, headers=evil).status_code == 403


def test_sign_ups_are_limited_per_network_an_ipv6_client_its_64_prefix(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    """An IPv6 client holds a /64 (2^64 addresses): limited per address, it could sign up
    any number of strangers (each a confirmation email) and grow the limiter's memory with
    every new address. Its network is the key: the fourth sign-up of a /64 waits; another
    /64, or an IPv4 address (given here by a proxy's X-Forwarded-For, as behind one), does
    not. The consent record keeps the full address."""
    with site(config, store, serve_app, limit=3) as c:

        def sign_up(i: int, client: str) -> int:
            form = {"email": f"v6-{i}@example.com", "consent": "yes"}
            return c.post("/subscribe", data=form, headers={"X-Forwarded-For": client}).status_code

        same = [sign_up(i, f"2001:db8:1:2::{i + 1:x}") for i in range(4)]
        assert same == [200, 200, 200, 429]
        assert sign_up(10, "2001:db8:1:3::1") == 200
        assert [sign_up(20 + i, f"203.0.113.{i + 1}") for i in range(4)] == [200] * 4
    sub = store.get("v6-1@example.com")
    assert sub is not None and sub.signup is not None and sub.signup.ip == "2001:db8:1:2::2"


#: What a proxy in front may give as the client (X-Forwarded-For is text, not an address):
#: longer than the consent columns' 64 characters, with a tab and a C1 control in it.
ODD_CLIENT = "client-of-a-proxy\tthat-says-more\x9b" + "x" * 80


def test_the_client_a_proxy_names_is_kept_with_the_consent_as_one_short_line(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    """The sign-up stored the client address as the request gave it: 115 characters in
    columns of 64 (PostgreSQL refuses the row: a 500), a tab and a control character in the
    consent record. It is cleaned and cut like the same column of an imported list."""
    with site(config, store, serve_app) as c:
        form = {"email": "proxied@example.com", "consent": "yes"}
        head = {"X-Forwarded-For": ODD_CLIENT.encode("latin-1")}
        assert c.post("/subscribe", data=form, headers=head).status_code == 200
    sub = store.get("proxied@example.com")
    assert sub.signup is not None
    kept = "client-of-a-proxy that-says-more"
    assert sub.consent.ip == sub.signup.ip == kept + "x" * (64 - len(kept))
