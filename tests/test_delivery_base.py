"""The send algorithm over the memory and file senders; the provider registry."""

from __future__ import annotations

import email
import email.policy
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from newsletter.config import Config, Secrets, parse_config
from newsletter.delivery import SENDERS, SendStatus, get_sender, sender_class
from newsletter.delivery.base import Backoff, RateLimiter, clock_sleep
from newsletter.delivery.file import FileSender
from newsletter.delivery.memory import MemorySender
from newsletter.errors import DeliveryError, UnknownProviderError
from newsletter.util.clock import SYSTEM_CLOCK, FixedClock
from tests.conftest import NOW
from tests.delivery_support import content, message


def test_registry_knows_every_configurable_provider_and_refuses_others(config: Config) -> None:
    from typing import get_args

    from newsletter.config import PROVIDERS, DeliverySettings
    from newsletter.delivery import CONFIGURABLE

    configurable = get_args(DeliverySettings.model_fields["provider"].annotation)
    assert set(configurable) <= set(SENDERS)
    # one list of names (config.PROVIDERS): one sender for each, plus memory for tests
    assert set(configurable) == set(PROVIDERS) == set(CONFIGURABLE)
    assert set(SENDERS) == {*PROVIDERS, "memory"}
    for name in SENDERS:
        assert sender_class(name).name == name
    with pytest.raises(UnknownProviderError, match="unknown delivery provider 'pigeon'"):
        sender_class("pigeon")
    with pytest.raises(LookupError):  # also the builtin it means
        get_sender(config.delivery, Secrets(), provider="pigeon")


def test_file_sender_writes_one_parseable_eml_per_message_atomically(config: Config) -> None:
    c = content()
    msgs = [message(i, c) for i in range(5)]
    s = get_sender(config.delivery, Secrets())
    assert isinstance(s, FileSender)
    results = s.send_batch(msgs)
    files = sorted((config.delivery.outbox_dir / "2026-W48").glob("*.eml"))
    assert len(files) == 5 and all(r.status is SendStatus.SENT for r in results)
    assert not list(config.delivery.outbox_dir.rglob("*.tmp"))
    assert {r.provider_message_id for r in results} == {
        str(f.relative_to(config.delivery.outbox_dir)) for f in files
    }
    got = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the same message again rewrites the same file: a retry never duplicates
    s.send_batch(msgs[:1])
    assert len(list((config.delivery.outbox_dir / "2026-W48").glob("*.eml"))) == 5


def test_memory_sender_retries_only_what_failed_with_injected_backoff(config: Config) -> None:
    waits: list[float] = []
    script = {
        "reader1@example.org": [SendStatus.RETRYABLE, SendStatus.SENT],
        "reader2@example.org": [SendStatus.PERMANENT],
        "reader3@example.org": [SendStatus.RETRYABLE] * 10,
    }
    s = get_sender(
        config.delivery,
        Secrets(),
        provider="memory",
        script=script,
        backoff=Backoff(sleep=waits.append),
    )
    assert isinstance(s, MemorySender)
    msgs = [message(i) for i in range(4)]
    r = s.send_batch(msgs)
    assert [x.status for x in r] == [
        SendStatus.SENT,
        SendStatus.SENT,
        SendStatus.PERMANENT,
        SendStatus.RETRYABLE,
    ]
    assert [x.attempts for x in r] == [1, 2, 1, config.delivery.max_attempts]
    assert [m.to.email for m, _ in s.outbox] == ["reader0@example.org", "reader1@example.org"]
    calls = [m.subscriber_id for m in s.calls]
    assert calls.count(0) == 1 and calls.count(3) == config.delivery.max_attempts
    assert len(waits) == config.delivery.max_attempts - 1
    assert all(0 < w <= 60 + 1 for w in waits)


def test_max_attempts_comes_from_config(tmp_path: Path) -> None:
    cfg = parse_config({"delivery": {"max_attempts": 2}})
    s = get_sender(
        cfg.delivery,
        Secrets(),
        provider="memory",
        script={"reader0@example.org": [SendStatus.RETRYABLE] * 5},
        backoff=Backoff(sleep=lambda _s: None),
    )
    (r,) = s.send_batch([message(0)])
    assert r.status is SendStatus.RETRYABLE and r.attempts == 2


def test_send_yields_provider_sized_batches_and_refuses_duplicate_message_ids(
    config: Config,
) -> None:
    s = get_sender(config.delivery, Secrets(), provider="memory")
    msgs = [message(i) for i in range(1200)]
    assert [len(b) for b in s.send(msgs)] == [500, 500, 200]
    with pytest.raises(DeliveryError, match="Message-ID twice"):
        s.send_batch([msgs[0], msgs[0]])


def test_backoff_grows_honours_retry_after_and_is_capped() -> None:
    b = Backoff(initial=1, maximum=8, jitter=0)
    assert [b.delay(n, None) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 8]
    assert b.delay(1, 30) == 30
    assert Backoff(maximum=10**6, jitter=0).delay(30, None) == 15 * 60  # capped alone
    assert b.delay(1, 10**9) == 10**9  # a Retry-After is never shortened (the sender gives up)


def test_clock_sleep_moves_a_fixed_clock_and_ends_at_once_on_stop() -> None:
    clock = FixedClock(NOW)
    clock_sleep(clock)(90)
    assert clock.now() == NOW + timedelta(seconds=90)
    stop = threading.Event()
    stop.set()
    clock_sleep(SYSTEM_CLOCK, stop)(3600)  # returns at once (SIGTERM during a backoff)


def test_rate_limiter_spaces_calls() -> None:
    now = [100.0]
    waits: list[float] = []
    lim = RateLimiter(4.0, clock=lambda: now[0], sleep=waits.append)
    for _ in range(3):
        lim.wait()
    assert waits == [0.25, 0.5]


def test_compose_takes_sender_and_list_headers_from_config() -> None:
    from newsletter.delivery.compose import compose
    from newsletter.models import Recipient

    cfg = parse_config(
        {
            "newsletter": {
                "from_address": "issues@news.example.com",
                "from_name": "AI Jobs Weekly",
                "reply_to": "editor@example.com",
                "unsubscribe_mailto": "unsub@news.example.com",
            }
        }
    )
    r = Recipient(
        subscriber_id=9,
        email="ann@example.org",
        name="Ann",
        unsubscribe_url="https://news.example.com/u/tok",
        preferences_url="https://news.example.com/p/tok",
    )
    m = compose(cfg.newsletter, content(), r, issue_key="2026-W48")
    assert m.message_id.endswith("@news.example.com>")
    assert m.sender.formatted() == "AI Jobs Weekly <issues@news.example.com>"
    assert m.list_unsubscribe == "<https://news.example.com/u/tok>, <mailto:unsub@news.example.com>"
    assert m.list_id == "AI Jobs Weekly <weekly.news.example.com>"
    assert "https://news.example.com/p/tok" in m.text
    again = compose(cfg.newsletter, content(), r, issue_key="2026-W48", message_id=m.message_id)
    assert again.message_id == m.message_id  # a retry reuses the stored Message-ID


def test_public_surface_is_pinned() -> None:
    import newsletter.delivery as d

    assert d.__all__ == sorted(d.__all__, key=lambda n: (not n.isupper(), n))
    assert set(d.__all__) == {
        "SENDERS",
        "Backoff",
        "CallFailed",
        "IssueContent",
        "Mailbox",
        "MessageFactory",
        "OutgoingMessage",
        "RateLimiter",
        "SendResult",
        "SendStatus",
        "Sender",
        "build_message",
        "compose",
        "get_sender",
        "new_message_id",
        "render_naive",
        "sender_class",
    }
    assert all(hasattr(d, name) for name in d.__all__)
