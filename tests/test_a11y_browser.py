"""axe-core (WCAG 2.1 A and AA rules) in a real headless Chromium: the issue at 375 and 600 px
in light and dark mode, and every web page, with 0 violations.

axe-core's script ships inside the ``axe-playwright-python`` package (no network at test time);
skipped, like the other browser tests, where Chromium, Playwright or that package is missing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config
from newsletter.data.newroles import NewRoles
from newsletter.data.signals.models import Signals
from newsletter.edition.archive import build_archive
from newsletter.edition.issue import compile_issue, preview_recipient
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.conftest import NOW, REPO, launched_browser
from tests.readers_support import sample_note
from tests.web_support import SIGNER, Site, link, mail_to
from tests.web_support import site as make_site

pytestmark = pytest.mark.browser

#: The rules of WCAG 2.1 levels A and AA (axe's tags).
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SCHEMES = ("light", "dark")


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """One Chromium for the module (no test here starts Playwright itself); each test opens
    its own page, in a fresh browser context (``browser.new_page``): nothing is shared but
    the process."""
    yield from launched_browser(chromium)


@pytest.fixture(scope="module")
def axe() -> Any:
    module = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
    )
    return module.Axe()


def violations(axe: Any, page: Any) -> list[str]:
    """axe's WCAG 2.1 AA violations on the loaded page, one readable line each."""
    result = axe.run(page, options={**WCAG_AA, "resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}): {n['html'][:160]} {n.get('failureSummary', '')[:200]}"
        for v in result.response["violations"]
        for n in v["nodes"]
    ]


def _empty_week(s: Signals) -> Signals:
    """A week where the tables and charts have nothing to show (sections collapse)."""
    skills = s.skills.model_copy(update={"rising": [], "falling": [], "top": []})
    return s.model_copy(
        update={"categories": [], "seniority": [], "metros": [], "companies": [], "skills": skills}
    )


CASES = [(w, px, s) for w in ("full", "empty") for px in (375, 600) for s in SCHEMES]


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_the_issue_has_no_axe_violations(
    browser: Any,
    axe: Any,
    *,
    rich_signals: Signals,
    full_config: Config,
    rich_new_roles: NewRoles,
    tmp_path: Path,
    case: tuple[str, int, str],
) -> None:
    """Every section on (the editor's note, new roles, the sponsor...), or every table
    and chart empty."""
    week, width, scheme = case
    signals = rich_signals if week == "full" else _empty_week(rich_signals)
    issue = compile_issue(signals, full_config, new_roles=rich_new_roles, note=sample_note())
    page_file = tmp_path / "issue.html"
    html = issue.personalize(preview_recipient(full_config)).html
    assert week == "empty" or all(
        title in html for title in ("From the editor", "Spotlight: ", "SPONSORED", "Remote share")
    )
    page_file.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page.goto(page_file.as_uri())
    # The scheme really applies: the card is dark in dark mode.
    card = page.evaluate("getComputedStyle(document.querySelector('.bg-card')).backgroundColor")
    assert card == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(17, 24, 39)")
    assert violations(axe, page) == []
    page.close()


def test_axe_sees_a_contrast_failure(browser: Any, axe: Any, tmp_path: Path) -> None:
    """The check can fail: the old grey on the old KPI tile (4.47:1) is reported."""
    page_file = tmp_path / "bad.html"
    page_file.write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<div style="background:#f5f6f8"><p style="color:#6b7280">removed</p></div>'
        "</main></body></html>",
        encoding="utf-8",
    )
    page = browser.new_page()
    page.goto(page_file.as_uri())
    found = violations(axe, page)
    assert len(found) == 1 and found[0].startswith("color-contrast")
    page.close()


# --- the web pages ------------------------------------------------------------------------


@pytest.fixture
def site(
    config: Config, serve_app: Callable[[Any], str], tmp_path: Path
) -> Iterator[tuple[Site, SubscriberStore]]:
    """The web app on loopback with a built archive of the last two bundled weeks."""
    snaps = tmp_path / "two-weeks"
    snaps.mkdir()
    for path in sorted((REPO / "snapshots").glob("*.parquet"))[-2:]:
        shutil.copy(path, snaps / path.name)
    # a week after the latest bundled issue went out: both weeks are published
    build_archive(config, snapshots_dir=snaps, clock=FixedClock(NOW + timedelta(days=7)))
    with open_store(config) as db:
        store = SubscriberStore(db)
        with make_site(config, store, serve_app) as client:
            yield client, store


def _submit_unvalidated(page: Any) -> None:
    """Submit the form as a client without HTML validation would (the server checks)."""
    page.evaluate("document.querySelector('form').noValidate = true")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_web_page_has_no_axe_violations(
    browser: Any, axe: Any, site: tuple[Site, SubscriberStore], scheme: str
) -> None:
    client, store = site
    base = str(client.base_url).rstrip("/")
    page = browser.new_page(color_scheme=scheme)
    seen: dict[str, list[str]] = {}

    def check(name: str) -> None:
        seen[name] = violations(axe, page)

    page.goto(f"{base}/subscribe")
    check("subscribe")
    page.get_by_label("Email address").fill("reader@example.com")
    _submit_unvalidated(page)
    assert page.get_by_role("checkbox").get_attribute("aria-invalid") == "true"
    check("subscribe: consent missing")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("checkbox").check()
    _submit_unvalidated(page)
    assert page.get_by_label("Email address").get_attribute("aria-invalid") == "true"
    check("subscribe: bad address")
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_role("checkbox").check()
    _submit_unvalidated(page)
    check("check your inbox")
    page.goto(base + link(mail_to(client, "reader@example.com")[-1], "confirm"))
    check("confirm")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    check("confirmed")
    sub = store.get("reader@example.com")
    page.goto(f"{base}/preferences/{SIGNER.sign('preferences', sub.id, sub.link_key)}")
    check("preferences")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_load_state()
    check("preferences saved")
    page.goto(f"{base}/unsubscribe/{SIGNER.sign('unsubscribe', sub.id, sub.link_key)}")
    check("unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    check("unsubscribed")
    page.goto(f"{base}/unsubscribe/{SIGNER.sign('unsubscribe', sub.id, sub.link_key)}")
    check("unsubscribe: not subscribed")
    page.goto(f"{base}/confirm/not-a-token")
    check("message: bad link")
    page.goto(f"{base}/archive/")
    check("archive index")
    page.get_by_role("link").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/archive/2026-11-23.html")
    check("archive: an issue")
    page.goto(f"{base}/archive/methodology.html")  # the issue links it at the base URL
    assert page.get_by_role("heading", name="Market signals: the JSON contract").count() == 1
    check("archive: methodology")
    page.set_viewport_size({"width": 375, "height": 800})  # wide tables scroll on their own
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check("archive: methodology at 375 px")
    page.close()
    assert len(seen) == 16
    assert {name: found for name, found in seen.items() if found} == {}


# --- the operator pages: /admin and /approve ----------------------------------------------

ADMIN_SECRET = "test-secret-key-0123456789abcdef"
ADMIN_PASSWORD = "correct horse battery staple"


def _approve_path(outbox: Path) -> str:
    """The approve link's path in the [PREVIEW] email to the editors."""
    from tests.ops_support import EDITOR, parse, text_of

    for path in sorted(outbox.rglob("*.eml")):
        msg = parse(path.read_bytes())
        if EDITOR in str(msg["To"]):
            found = re.search(r"https://news\.example\.com(/approve/\S+)", text_of(msg))
            assert found is not None
            return found.group(1)
    raise AssertionError("no [PREVIEW] email to the editors")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_operator_pages_have_no_axe_violations(
    browser: Any,
    axe: Any,
    *,
    serve_app: Callable[[Any], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scheme: str,
) -> None:
    """/admin while the issue waits for approval and after it went out (charts with data),
    the approve page and its answer, in the given scheme."""
    from argon2 import PasswordHasher

    from newsletter.config import Secrets, load_config
    from newsletter.delivery import get_sender
    from newsletter.edition.palette import DARK, LIGHT
    from newsletter.send.confirmation import SignupMailer
    from newsletter.util.clock import FixedClock
    from newsletter.web.app import create_app
    from tests.conftest import NOW
    from tests.ops_support import WEEK, add_snapshot, invoke, last_week, write_config

    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", ADMIN_SECRET)
    clock = FixedClock(NOW)
    cfg = write_config(tmp_path, smtp_port=None, hook=None)
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("[schedule]\n", '[schedule]\napproval = "required"\n'))
    last_week(tmp_path)
    add_snapshot(tmp_path, WEEK)
    config = load_config(cfg)
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with open_store(config) as db:
        store = SubscriberStore(db, clock=clock)
        for a in ("ann@example.org", "bo@example.org"):
            store.add(a)
        run = invoke(clock, "--config", str(cfg), "run-week")
        assert "waits for an editor's approval" in run.output, run.output
        signer = TokenSigner(ADMIN_SECRET)
        mailer = SignupMailer(config, signer, get_sender(config.delivery, Secrets()))
        app = create_app(
            config, store, signer, mailer, admin_password_hash=hasher.hash(ADMIN_PASSWORD)
        )
        base = serve_app(app).rstrip("/")
        page = browser.new_page(
            color_scheme=scheme,
            http_credentials={"username": "admin", "password": ADMIN_PASSWORD},
        )
        seen: dict[str, list[str]] = {}
        page.goto(f"{base}/admin")
        assert "waiting" in page.inner_text("#this-week + dl")
        seen["admin: waiting"] = violations(axe, page)
        # the page and its charts follow the scheme
        want = LIGHT if scheme == "light" else DARK
        rgb = page.evaluate(
            "[getComputedStyle(document.querySelector('section')).backgroundColor,"
            " getComputedStyle(document.querySelector('figure svg')).color]"
        )
        assert rgb == [_rgb(want.card), _rgb(want.text)]
        page.goto(base + _approve_path(config.delivery.outbox_dir))
        seen["approve"] = violations(axe, page)
        page.get_by_role("button", name="Approve and send").click()
        page.wait_for_load_state()
        assert "is approved" in page.inner_text("h1")
        seen["approve: done"] = violations(axe, page)
        run = invoke(clock, "--config", str(cfg), "run-week")
        assert run.exit_code == 0, run.output
        page.goto(f"{base}/admin")
        assert "sent 2 of 2" in page.inner_text("#this-week + dl")
        seen["admin: sent"] = violations(axe, page)
        page.close()
    assert {name: found for name, found in seen.items() if found} == {}


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"
