"""Hostile input from outside, end to end: malformed headers sent to the real app on a
loopback uvicorn server, hostile addresses through the web, the store and imports, and
hostile paths and files through the `newsletter subscribers` CLI. Every one gets a clear
answer (a 4xx page, a one-line error), never a server error or a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config, Secrets
from newsletter.delivery import get_sender
from newsletter.send.confirmation import SignupMailer
from newsletter.store import open_store
from newsletter.web.app import create_app
from tests.web_support import SIGNER, site


@pytest.fixture
def store(config: Config) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db)


SIGNUP = {"email": "origin@example.com", "consent": "yes"}


def _fresh(base_url: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request on its own connection (a server error would close a shared one)."""
    with httpx.Client(base_url=base_url, timeout=30) as c:
        return c.request(method, path, **kwargs)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://[::1"},  # an unclosed IPv6 literal: urlsplit raises
        {"Origin": "http://[not-an-ip]"},
        {"Origin": "https://example.org", "Host": "[::1"},  # the request's own host, malformed
    ],
)
def test_a_malformed_origin_or_host_is_refused_as_cross_site_not_a_server_error(
    config: Config,
    store: SubscriberStore,
    serve_app: Callable[[Any], str],
    headers: dict[str, str],
) -> None:
    with site(config, store, serve_app) as c:
        r = _fresh(str(c.base_url), "POST", "/subscribe", data=SIGNUP, headers=headers)
    assert r.status_code == 403, r.text
    assert "another site" in r.text
    assert store.find("origin@example.com") is None


# ---- basic auth -------------------------------------------------------------------------

#: Bytes past ASCII in an Authorization header (HTTP carries them as latin-1): base64 they
#: are not, so they are no password at all.
NOT_BASE64 = [b"Basic \xe9\xe9", b"Basic dXNlcjpw\xff", b"basic \xa0"]


@pytest.mark.parametrize("header", NOT_BASE64)
def test_webhook_basic_auth_that_is_not_ascii_is_a_wrong_secret_not_a_server_error(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str], header: bytes
) -> None:
    with site(config, store, serve_app, webhook_secret="hook-secret-0123") as c:
        r = _fresh(
            str(c.base_url),
            "POST",
            "/webhooks/sendgrid",
            json=[{"email": "x@example.com", "event": "bounce"}],
            headers={"Authorization": header},
        )
    assert r.status_code == 401, r.text
    assert "wrong secret" in r.json()["error"]
    assert store.suppression("x@example.com") is None


@pytest.mark.parametrize("header", NOT_BASE64)
def test_admin_basic_auth_that_is_not_ascii_is_a_failed_login_not_a_server_error(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str], header: bytes
) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    mailer = SignupMailer(config, SIGNER, get_sender(config.delivery, Secrets()))
    app = create_app(config, store, SIGNER, mailer, admin_password_hash=hasher.hash("pw"))
    base = serve_app(app)
    for path in ("/admin", "/admin/status.json"):
        r = _fresh(base, "GET", path, headers={"Authorization": header})
        assert r.status_code == 401, (path, r.text)
        assert "WWW-Authenticate" in r.headers
