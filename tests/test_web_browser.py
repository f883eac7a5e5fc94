"""One real browser: headless Debian Chromium subscribes through the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.config import DEV_SECRET_KEY, Config, Secrets
from newsletter.delivery import get_sender
from newsletter.edition.screenshot import CHROMIUM_ARGS, BrowserUnavailableError, find_chromium
from newsletter.send.confirmation import SignupMailer
from newsletter.store import open_store
from newsletter.web.app import create_app


@pytest.mark.browser
def test_subscribe_through_the_form_in_chromium(
    config: Config, serve_app: Callable[[Any], str]
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    try:
        browser_path = find_chromium()
    except BrowserUnavailableError as exc:
        pytest.skip(str(exc))
    with open_store(config) as db:
        store = SubscriberStore(db)
        signer = TokenSigner(DEV_SECRET_KEY)
        mailer = SignupMailer(config, signer, get_sender(config.delivery, Secrets()))
        app = create_app(config, store, signer, mailer)
        base = serve_app(app)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_path, args=list(CHROMIUM_ARGS))
            try:
                page = browser.new_page()
                page.goto(f"{base}/subscribe")
                page.get_by_label("Email address").fill("browser.user@example.com")
                page.get_by_label("Name").fill("Bea")
                page.get_by_role("checkbox").check()
                page.get_by_role("button", name="Subscribe").click()
                page.wait_for_load_state()
                heading = page.get_by_role("heading", level=1).inner_text()
            finally:
                browser.close()
        assert heading == "Check your inbox"
        sub = store.get("browser.user@example.com")
        assert sub.status == "pending" and sub.name == "Bea"
        mailer.join()
        assert len(list(config.delivery.outbox_dir.rglob("*.eml"))) == 1
