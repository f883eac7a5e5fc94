"""Hostile input from outside, end to end: malformed headers sent to the real app on a
loopback uvicorn server, hostile addresses through the web, the store and imports, and
hostile paths and files through the `newsletter subscribers` CLI. Every one gets a clear
answer (a 4xx page, a one-line error), never a server error or a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config
from newsletter.store import open_store
from tests.web_support import site


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
