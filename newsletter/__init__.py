"""Weekly career-intelligence newsletter generator: the public API.

What a program embedding the newsletter uses is named here (``__all__``, sorted, pinned by
``tests/test_house.py``); the subpackages below are the implementation, in layers
(docs/architecture.md). Names are imported on first use, so ``import newsletter`` (and the
command line's ``--help``) loads none of polars, SQLAlchemy, Alembic, Starlette or MJML.

The weekly job, as `newsletter run-week` runs it::

    from newsletter import Secrets, load_config, send_week

    report = send_week(load_config("config.toml"), Secrets.from_env())
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_HOMES: dict[str, str] = {
    # configuration, secrets, time, errors
    "Config": "newsletter.config",
    "Secrets": "newsletter.config",
    "load_config": "newsletter.config",
    "parse_config": "newsletter.config",
    "Clock": "newsletter.util.clock",
    "FixedClock": "newsletter.util.clock",
    "SYSTEM_CLOCK": "newsletter.util.clock",
    "NewsletterError": "newsletter.errors",
    # values crossing the stages
    "IssueContent": "newsletter.models",
    "Preferences": "newsletter.models",
    "Recipient": "newsletter.models",
    # data: snapshots -> signals
    "Signals": "newsletter.data.signals.models",
    "build_signals": "newsletter.data.pipeline",
    "ingest": "newsletter.data.ingest",
    "load_rules": "newsletter.data.ingest",
    # the edition: render, personalize, preview, archive
    "CompiledIssue": "newsletter.edition.issue",
    "compile_issue": "newsletter.edition.issue",
    "render_issue": "newsletter.edition.issue",
    "preview": "newsletter.edition.preview",
    "build_archive": "newsletter.edition.archive",
    # subscribers and their store
    "SubscriberStore": "newsletter.audience.subscribers",
    "open_store": "newsletter.store",
    # delivery
    "OutgoingMessage": "newsletter.delivery.models",
    "SendResult": "newsletter.delivery.models",
    "SendStatus": "newsletter.delivery.models",
    "get_sender": "newsletter.delivery",
    # the send facade
    "SendReport": "newsletter.send.service",
    "copy_week": "newsletter.send.service",
    "dry_run_week": "newsletter.send.service",
    "link_signer": "newsletter.send.service",
    "prepare_issue": "newsletter.send.service",
    "preview_reader": "newsletter.send.service",
    "send_issue": "newsletter.send.service",
    "send_week": "newsletter.send.service",
}

__all__ = [
    "SYSTEM_CLOCK",
    "Clock",
    "CompiledIssue",
    "Config",
    "FixedClock",
    "IssueContent",
    "NewsletterError",
    "OutgoingMessage",
    "Preferences",
    "Recipient",
    "Secrets",
    "SendReport",
    "SendResult",
    "SendStatus",
    "Signals",
    "SubscriberStore",
    "build_archive",
    "build_signals",
    "compile_issue",
    "copy_week",
    "dry_run_week",
    "get_sender",
    "ingest",
    "link_signer",
    "load_config",
    "load_rules",
    "open_store",
    "parse_config",
    "prepare_issue",
    "preview",
    "preview_reader",
    "render_issue",
    "send_issue",
    "send_week",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'newsletter' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # imported once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from newsletter.audience.subscribers import SubscriberStore
    from newsletter.config import Config, Secrets, load_config, parse_config
    from newsletter.data.ingest import ingest, load_rules
    from newsletter.data.pipeline import build_signals
    from newsletter.data.signals.models import Signals
    from newsletter.delivery import get_sender
    from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus
    from newsletter.edition.archive import build_archive
    from newsletter.edition.issue import CompiledIssue, compile_issue, render_issue
    from newsletter.edition.preview import preview
    from newsletter.errors import NewsletterError
    from newsletter.models import IssueContent, Preferences, Recipient
    from newsletter.send.service import (
        SendReport,
        copy_week,
        dry_run_week,
        link_signer,
        prepare_issue,
        preview_reader,
        send_issue,
        send_week,
    )
    from newsletter.store import open_store
    from newsletter.util.clock import SYSTEM_CLOCK, Clock, FixedClock
