"""`/admin`: basic auth against an Argon2 hash (off when unset; rate-limited failures), the
status and server-drawn SVG charts with their values as text; one real browser."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config, Secrets, load_config
from newsletter.delivery import get_sender
from newsletter.edition import palette
from newsletter.edition.palette import DARK, LIGHT, contrast
from newsletter.edition.screenshot import CHROMIUM_ARGS, BrowserUnavailableError, find_chromium
from newsletter.errors import ConfigError
from newsletter.send.confirmation import SignupMailer
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from newsletter.web.app import create_app
from newsletter.web.charts import SERIES, Series, chart, count_fmt
from tests.conftest import NOW, REPO
from tests.ops_support import WEEK, add_snapshot, invoke, last_week, write_config

SECRET = "test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery staple"
#: A cheap hash for tests (the default parameters cost ~50 ms per check).
HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Config, FixedClock]:
    """A week sent to three readers through the file outbox, by the real run-week."""
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", SECRET)
    clock = FixedClock(NOW)
    cfg = write_config(tmp_path, smtp_port=None, hook=None)
    last_week(tmp_path)
    add_snapshot(tmp_path, WEEK)
    config = load_config(cfg)
    with open_store(config) as db:
        store = SubscriberStore(db, clock=clock)
        for a in ("ann@example.org", "bo@example.org", "cy@example.org"):
            store.add(a)
    assert invoke(clock, "--config", str(cfg), "run-week").exit_code == 0
    return config, clock


@pytest.fixture
def admin(sent: tuple[Config, FixedClock], serve_app: Callable[[Any], str]) -> Iterator[str]:
    config, clock = sent
    with open_store(config) as db:
        signer = TokenSigner(SECRET)
        mailer = SignupMailer(config, signer, get_sender(config.delivery, Secrets()))
        app = create_app(
            config,
            SubscriberStore(db, clock=clock),
            signer,
            mailer,
            admin_password_hash=HASHER.hash(PASSWORD),
        )
        yield serve_app(app)


def _auth(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_admin_refuses_without_the_right_credentials_and_limits_failures(admin: str) -> None:
    r = httpx.get(f"{admin}/admin")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert httpx.get(f"{admin}/admin/status.json").status_code == 401
    assert httpx.get(f"{admin}/admin/preview").status_code == 401
    assert httpx.get(f"{admin}/admin", headers=_auth("root", PASSWORD)).status_code == 401
    ok = httpx.get(f"{admin}/admin", headers=_auth("admin", PASSWORD))
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in ok.headers["Content-Security-Policy"]
    for _ in range(9):  # ten failures in all (the wrong user name above counted)
        assert httpx.get(f"{admin}/admin", headers=_auth("admin", "nope")).status_code == 401
    r = httpx.get(f"{admin}/admin", headers=_auth("admin", PASSWORD))
    assert r.status_code == 429 and "Retry-After" in r.headers  # even the right password now


def test_failed_logins_are_counted_per_network_an_ipv6_client_its_64_prefix(admin: str) -> None:
    """One address a try from a /64 (2^64 of them) was no limit on guessing the password:
    the failures of a network count together (the client given by X-Forwarded-For, as a
    proxy in front gives it)."""
    for i in range(10):
        head = _auth("admin", "nope") | {"X-Forwarded-For": f"2001:db8:5:6::{i + 1:x}"}
        assert httpx.get(f"{admin}/admin", headers=head).status_code == 401
    head = _auth("admin", PASSWORD) | {"X-Forwarded-For": "2001:db8:5:6::ff"}
    assert httpx.get(f"{admin}/admin", headers=head).status_code == 429
    head = _auth("admin", PASSWORD) | {"X-Forwarded-For": "2001:db8:5:7::1"}
    assert httpx.get(f"{admin}/admin", headers=head).status_code == 200


def test_logins_sent_at_once_are_limited_like_logins_sent_one_by_one(
    config: Config, serve_app: Callable[[Any], str]
) -> None:
    """A login was counted as failed only once its Argon2 check had run: forty wrong
    passwords sent at once all passed the limit before the first of them failed, forty
    guesses where ten are allowed. A right password counts as nothing once it is checked."""
    with open_store(config) as db:
        signer = TokenSigner(SECRET)
        mailer = SignupMailer(config, signer, get_sender(config.delivery, Secrets()))
        app = create_app(
            config,
            SubscriberStore(db),
            signer,
            mailer,
            admin_password_hash=HASHER.hash(PASSWORD),
        )
        base = serve_app(app)

        def burst(passwords: list[str]) -> Counter[int]:
            async def send() -> list[httpx.Response]:
                limits = httpx.Limits(max_connections=len(passwords))
                async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as c:
                    return await asyncio.gather(
                        *(c.get("/admin/status.json", headers=_auth("admin", p)) for p in passwords)
                    )

            return Counter(r.status_code for r in asyncio.run(send()))

        limit = config.web.admin_failures_per_15min
        for _ in range(limit + 2):
            assert burst([PASSWORD]) == {200: 1}
        assert burst([f"guess {i}" for i in range(40)]) == {401: limit, 429: 40 - limit}
        assert burst([PASSWORD]) == {429: 1}


def test_admin_shows_status_charts_and_the_preview(admin: str) -> None:
    page = httpx.get(f"{admin}/admin", headers=_auth("admin", PASSWORD)).text
    assert "<script" not in page and not re.search(r"(?:src|href)=\"(?:https?:)?//", page)
    assert page.count('<svg role="img" aria-labelledby="chart-') == 6
    assert "This week: 2026-W48" in page and "sent: sent 3 of 3, 0 left to retry" in page
    assert "Values of “Messages accepted per issue”" in page
    assert '<th scope="row">2026-W48</th><td class="n">3</td>' in page  # accepted, as text
    # the recent issues' table (figures read once for the status and the charts)
    assert '<tr><th scope="row">2026-W48</th><td>sent</td><td class="n">3</td>' in page
    status = httpx.get(f"{admin}/admin/status.json", headers=_auth("admin", PASSWORD)).json()
    assert status["this_week"]["issue"]["sent"] == 3
    preview = httpx.get(f"{admin}/admin/preview", headers=_auth("admin", PASSWORD))
    assert preview.status_code == 200 and "4,335" in preview.text


def test_admin_is_off_without_a_hash_and_a_bad_hash_stops_the_start(
    sent: tuple[Config, FixedClock], serve_app: Callable[[Any], str]
) -> None:
    config, clock = sent
    with open_store(config) as db:
        signer = TokenSigner(SECRET)
        mailer = SignupMailer(config, signer, get_sender(config.delivery, Secrets()))
        store = SubscriberStore(db, clock=clock)
        base = serve_app(create_app(config, store, signer, mailer))
        assert httpx.get(f"{base}/admin", headers=_auth("admin", PASSWORD)).status_code == 404
        with pytest.raises(ConfigError, match="not an Argon2 hash"):
            create_app(config, store, signer, mailer, admin_password_hash="plain-text")


def drawn_colours(svg: str) -> set[str]:
    """Every fill and stroke colour an SVG draws with (lower case)."""
    return {c.lower() for c in re.findall(r'(?:fill|stroke)="([^"]+)"', svg)} - {"none"}


def weak_marks(svg: str) -> list[str]:
    """The colours of ``svg`` under 3:1 against the card in either scheme (text, axes and grid
    lines must be ``currentColor``: the page's text colour)."""
    return [
        c
        for c in sorted(drawn_colours(svg) - {"currentcolor"})
        if not c.startswith("#") or min(contrast(c, LIGHT.card), contrast(c, DARK.card)) < 3.0
    ]


def test_chart_colours_hold_in_the_light_and_the_dark_scheme() -> None:
    """Marks are palette marks at 3:1 or more on the light and the dark card; text, axes and
    grid lines take the page's text colour (4.5:1 or more in both schemes); no background of
    its own, so the card shows through in dark mode."""
    drawn = chart(
        "line",
        "t",
        "s",
        labels=["a", "b"],
        series=[Series(f"s{i}", [1.0, 2.0], limit=i > 1) for i in range(len(SERIES))],
        fmt=count_fmt,
    )
    svg = str(drawn.svg)
    assert set(SERIES) <= drawn_colours(svg) and "currentcolor" in drawn_colours(svg)
    assert weak_marks(svg) == []
    assert not re.search(r"<text[^>]*fill=\"#", svg) and "<rect" not in svg
    assert min(contrast(s.text, s.card) for s in (LIGHT, DARK)) >= 4.5
    assert weak_marks('<line stroke="#a5b4fc"/>') == ["#a5b4fc"]  # the check can fail
    assert weak_marks('<line stroke="#1d4ed8"/>') == ["#1d4ed8"]  # fine on white, not on dark


def test_the_admin_pages_are_on_the_palette(admin: str) -> None:
    page = httpx.get(f"{admin}/admin", headers=_auth("admin", PASSWORD)).text
    assert "@media (prefers-color-scheme:dark)" in page and "var(--card)" in page
    used = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", page)}
    assert used and used <= palette.hex_colours(), used - palette.hex_colours()
    assert weak_marks(page) == []  # every chart on the page
    refused = httpx.get(f"{admin}/admin")
    assert refused.status_code == 401 and "@media (prefers-color-scheme:dark)" in refused.text
    assert "Log in to see the admin page." in refused.text


@pytest.mark.browser
def test_admin_in_chromium_refuses_then_renders_the_charts(admin: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    try:
        browser_path = find_chromium()
    except BrowserUnavailableError as exc:
        pytest.skip(str(exc))
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=list(CHROMIUM_ARGS))
        try:
            anonymous = browser.new_page()
            try:  # headless Chromium cannot ask for a password: it gives up on the 401
                refused = anonymous.goto(f"{admin}/admin")
                assert refused is not None and refused.status == 401
            except sync_api.Error as exc:
                assert "ERR_INVALID_AUTH_CREDENTIALS" in str(exc)
            assert anonymous.get_by_role("img").count() == 0
            context = browser.new_context(
                http_credentials={"username": "admin", "password": PASSWORD}
            )
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            bad: list[str] = []
            page.on("response", lambda r: bad.append(r.url) if r.status >= 400 else None)
            shown = page.goto(f"{admin}/admin")
            assert shown is not None and shown.status == 200
            charts = page.get_by_role("img")
            assert charts.count() == 6
            assert page.get_by_role("img", name="Messages accepted per issue").is_visible()
            box = page.locator("figure svg").first.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            page.get_by_text("Values of “Messages accepted per issue”").click()
            assert page.get_by_role("rowheader", name="2026-W48").first.is_visible()
            # no CSP violation; nothing failed to load but the favicon the browser guessed
            assert [u for u in bad if not u.endswith("/favicon.ico")] == []
            assert [m for m in problems if "Failed to load resource" not in m] == []
        finally:
            browser.close()


@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
def test_a_piped_password_is_read_from_stdin_without_a_warning(ending: str) -> None:
    """`printf 'pw\\n' | newsletter admin hash-password` printed Python's GetPassWarning
    (getpass cannot hide what it does not read from a terminal) and asked for the line
    twice: a password piped once was refused. Piped, the first line is the password."""
    password = "correct horse battery staple"
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "admin", "hash-password"],
        input=password + ending + ("a second line, never read\n" if ending else ""),
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no GetPassWarning, no prompt
    assert PasswordHasher().verify(proc.stdout.strip(), password)
    short = subprocess.run(
        [sys.executable, "-m", "newsletter", "admin", "hash-password"],
        input="short\n", env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (short.returncode, short.stderr) == (
        2,
        "error: the password has 5 characters: use at least 12\n",
    )


@pytest.mark.parametrize("given", ["", "\n", "\r\n"], ids=["nothing", "empty-line", "crlf"])
def test_an_empty_piped_password_is_called_empty(given: str) -> None:
    """``newsletter admin hash-password < /dev/null`` (a secret that a script failed to
    read) was told to "use at least 12 characters": the line says no password came."""
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "admin", "hash-password"],
        input=given, env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "error: no password: the first line of standard input is empty\n"
