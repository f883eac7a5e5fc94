"""The send path with a batch HTTP provider (Postmark over httpx.MockTransport): one call per
batch, per-recipient results in a 200 recorded in the ledger, inactive recipients suppressed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Secrets
from newsletter.delivery import Backoff, RateLimiter, get_sender
from newsletter.delivery.base import Sender
from newsletter.send.ledger import SendLedger
from newsletter.send.service import link_signer, prepare_issue, send_issue
from newsletter.store import open_store
from tests.send_support import WEEK, add_subscribers, send_config


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_POSTMARK_TOKEN", "pm-token")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "http-test-secret")


def test_postmark_batch_send_records_each_recipient(tmp_path: Path) -> None:
    calls: list[list[dict[str, Any]]] = []

    def postmark(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        calls.append(sent)
        out = []
        for i, m in enumerate(sent):
            if "cy" in m["To"]:
                out.append({"ErrorCode": 406, "Message": "recipient marked as inactive"})
            else:
                out.append({"ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{len(calls)}-{i}"})
        return httpx.Response(200, json=out)

    config = send_config(tmp_path, provider="postmark", concurrency=1)
    add_subscribers(config, 7)
    prepared = prepare_issue(config, WEEK)

    def factory() -> Sender[Any, Any]:
        return get_sender(
            config.delivery,
            Secrets.from_env(),
            client=httpx.Client(transport=httpx.MockTransport(postmark)),
            backoff=Backoff(sleep=lambda _s: None),
            limiter=RateLimiter(None),
        )

    with open_store(config) as db:
        store = SubscriberStore(db)
        signer, _dev = link_signer(config, Secrets.from_env(), "send")
        recipients = store.active_recipients(signer, config.newsletter.base_url)
        report = send_issue(config, prepared, store, recipients, sender_factory=factory)
        assert (report.sent, report.complete) == (5, True)
        assert len(calls) == 1 and len(calls[0]) == 7  # one batch call
        rows = {str(r["email"]): r for r in SendLedger(db).rows(prepared.issue_key)}
        assert rows["ann0@example.org"]["provider_message_id"] == "pm-1-0"
        assert rows["cy2@example.org"]["status"] == "failed"
        assert "inactive" in str(rows["cy2@example.org"]["last_error"])
        assert store.get("cy5@example.org").status == "bounced"
        # each payload carries the ledger's Message-ID (Postmark metadata)
        sent_ids = {m["Metadata"]["message_id"] for m in calls[0]}
        assert sent_ids == {r["message_id"] for r in rows.values()}
        again = send_issue(config, prepared, store, recipients, sender_factory=factory)
        assert again.already_sent and len(calls) == 1
