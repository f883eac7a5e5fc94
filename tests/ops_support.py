"""Shared parts of the operations tests: a webhook receiver, a config on aiosmtpd, the CLI."""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from typer.testing import CliRunner, Result

from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.data.snapshots import snapshot_path
from newsletter.util.clock import FixedClock
from tests.conftest import NOW, REPO
from tests.delivery_support import Handler
from tests.send_support import POSTAL

EDITOR = "editor@news.example.com"
#: This week's issue (NOW is Monday 2026-11-23 09:00 UTC).
WEEK = date(2026, 11, 23)
KEY = "2026-W48"


@dataclass
class Hook:
    """A Slack-like incoming webhook on loopback: records every JSON body it receives."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            self.posts.append(json.loads(await request.body()))
            return JSONResponse({"ok": self.status == 200}, status_code=self.status)

        return Starlette(routes=[Route("/hook", receive, methods=["POST"])])

    def texts(self) -> list[str]:
        return [str(p["text"]) for p in self.posts]


def write_config(
    tmp_path: Path, *, smtp_port: int | None, hook: str | None, extra: str = ""
) -> Path:
    """A config due at 08:55 UTC on Mondays (5 minutes before NOW), state under tmp_path,
    the SMTP provider on ``smtp_port`` (the file outbox when None), alerts to the editor and
    to ``hook``."""
    delivery = (
        f'[delivery]\nprovider = "smtp"\nmax_attempts = 1\n[delivery.smtp]\nhost = "127.0.0.1"\n'
        f"port = {smtp_port}\n"
        if smtp_port
        else '[delivery]\noutbox_dir = "outbox"\n'
    )
    alerts = f'[alerts]\nemail = ["{EDITOR}"]\n' + (f'webhook_url = "{hook}"\n' if hook else "")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        'from_address = "issues@news.example.com"\n'
        f'[data]\nsnapshots_dir = "snapshots"\nrules_dir = "{REPO / "rules"}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        f"{delivery}"
        '[schedule]\nday = "mon"\ntime = 08:55:00\ntimezone = "UTC"\n'
        f"{alerts}{extra}",
        encoding="utf-8",
    )
    (tmp_path / "snapshots").mkdir(exist_ok=True)
    return cfg


def add_snapshot(tmp_path: Path, week: date, source: str = "2026-11-23") -> None:
    """A bundled snapshot as ``week``'s, written at NOW."""
    target = snapshot_path(tmp_path / "snapshots", week)
    shutil.copy(REPO / "snapshots" / f"{source}.parquet", target)
    os.utime(target, (NOW.timestamp(), NOW.timestamp()))


def last_week(tmp_path: Path) -> None:
    add_snapshot(tmp_path, WEEK - timedelta(days=7), "2026-11-16")


def invoke(clock: FixedClock, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), obj=CliState(clock=clock), env={"COLUMNS": "200"})


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def mail_to(handler: Handler, address: str) -> list[EmailMessage]:
    """Messages the SMTP server accepted for ``address``."""
    return [parse(m.content) for m in handler.received if address in m.rcpt_tos]


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())
