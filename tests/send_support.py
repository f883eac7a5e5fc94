"""Shared builders for the send tests: a config on the bundled snapshots, subscribers."""

from __future__ import annotations

import email
import email.policy
import shutil
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config, parse_config
from newsletter.models import Preferences
from newsletter.store import open_store
from tests.conftest import REPO

WEEK = date(2026, 11, 23)
POSTAL = "AI Jobs Weekly, 548 Market St #12345, San Francisco, CA 94104"


def send_config(tmp_path: Path, *, database_url: str | None = None, **delivery: Any) -> Config:
    """A send's config under ``tmp_path`` (its SQLite file unless ``database_url``)."""
    return parse_config(
        {
            "newsletter": {
                "postal_address": POSTAL,
                "base_url": "https://news.example.com",
                "from_address": "issues@news.example.com",
                "reply_to": "editor@news.example.com",
                "unsubscribe_mailto": "unsubscribe@news.example.com",
            },
            "data": {"snapshots_dir": str(REPO / "snapshots"), "state_dir": str(tmp_path)},
            "database": {"url": database_url or f"sqlite:///{tmp_path / 'newsletter.db'}"},
            "delivery": {"outbox_dir": str(tmp_path / "outbox"), "max_attempts": 3} | delivery,
        }
    )


PEOPLE = [
    ("ann@example.org", "Ann O'Neil <&>", Preferences()),
    ("bo@example.org", None, Preferences(metros=("Seattle",))),
    ("cy@example.org", "Cy Young", Preferences(seniority=("senior",))),
]


#: ``newsletter --now`` for a send of the latest bundled week (2026-11-23) in a child process:
#: an instant after its issue is due, whatever the date the suite runs on (the send refuses
#: an issue that is not due yet).
DUE_NOW = ("--now", "2026-11-23T09:00:00Z")


def recent_snapshots(tmp_path: Path, weeks: int = 2) -> Path:
    """A folder with copies of the last ``weeks`` bundled snapshots (the latest, 2026-11-23,
    and the one before it to compare with). A send publishes every week of a folder to the
    web archive on its first run: two weeks render in a fraction of the nine's time."""
    folder = tmp_path / "recent-snapshots"
    folder.mkdir()
    for path in sorted((REPO / "snapshots").glob("*.parquet"))[-weeks:]:
        shutil.copy(path, folder / path.name)
    return folder


def add_subscribers(config: Config, n: int) -> None:
    with open_store(config) as db:
        store = SubscriberStore(db)
        for i in range(n):
            mail, name, prefs = PEOPLE[i % len(PEOPLE)]
            local, domain = mail.split("@")
            store.add(f"{local}{i}@{domain}", name=name, preferences=prefs)


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def parts(msg: EmailMessage) -> tuple[str, str]:
    """(text, html) of a multipart/alternative message, checking their order."""
    assert msg.get_content_type() == "multipart/alternative"
    text_part, html_part = msg.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    assert isinstance(text_part, EmailMessage) and isinstance(html_part, EmailMessage)
    return (
        text_part.get_content().replace("\r\n", "\n"),
        html_part.get_content().replace("\r\n", "\n"),
    )
