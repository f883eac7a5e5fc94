"""Times from another clock: confirm links signed a little ahead verify; imported dates in
the future are refused per row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsletter.audience.tokens import TokenSigner
from newsletter.errors import TokenError
from newsletter.util.clock import FixedClock

KEY = "k" * 40
AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("ahead", [dt.timedelta(seconds=2), dt.timedelta(minutes=5)])
def test_a_token_signed_seconds_ahead_verifies(ahead: dt.timedelta) -> None:
    token = TokenSigner(KEY, clock=FixedClock(AT + ahead)).sign("confirm", 7, "row-key")
    claim = TokenSigner(KEY, clock=FixedClock(AT)).verify("confirm", token)
    assert (claim.subscriber_id, claim.key) == (7, "row-key")


def test_a_token_from_further_ahead_or_too_old_is_refused() -> None:
    far = TokenSigner(KEY, clock=FixedClock(AT + dt.timedelta(hours=1))).sign("confirm", 7, "k")
    with pytest.raises(TokenError, match="not valid yet"):  # not "expired": a clock is wrong
        TokenSigner(KEY, clock=FixedClock(AT)).verify("confirm", far)
    old = TokenSigner(KEY, clock=FixedClock(AT - dt.timedelta(days=8))).sign("confirm", 7, "k")
    with pytest.raises(TokenError, match="expired"):
        TokenSigner(KEY, clock=FixedClock(AT)).verify("confirm", old)
    forged = TokenSigner("x" * 40, clock=FixedClock(AT)).sign("confirm", 7, "k")
    with pytest.raises(TokenError, match="not valid"):
        TokenSigner(KEY, clock=FixedClock(AT)).verify("confirm", forged)


def test_an_import_rejects_dates_in_the_future_per_row(tmp_path: Path) -> None:
    """consented_at / created_at later than the importing clock: that row is invalid, counted
    with its reason; the others are imported."""
    from newsletter.audience.subscribers import SubscriberStore
    from newsletter.audience.transfer import import_csv
    from newsletter.config import parse_config
    from newsletter.store import open_store

    root = tmp_path
    config = parse_config({"database": {"url": f"sqlite:///{root / 'db.sqlite'}"}})
    csv = root / "list.csv"
    csv.write_text(
        "email,consented_at,created_at\n"
        "a@example.com,2026-11-20T10:00:00Z,2026-11-20T10:00:00Z\n"
        "b@example.com,2027-01-01,\n"
        "c@example.com,,2026-11-23T09:30:00+00:00\n"
        "d@example.com,2026-11-23T09:04:00Z,\n",
        encoding="utf-8",
    )
    with open_store(config) as db:
        report = import_csv(SubscriberStore(db, clock=FixedClock(AT)), csv)
    assert report.added == 2
    reasons = sorted((r.line, r.group, r.reason) for r in report.invalid)
    assert reasons == [
        (3, "invalid consented_at", "consented_at '2027-01-01' is in the future"),
        (4, "invalid created_at", "created_at '2026-11-23T09:30:00+00:00' is in the future"),
    ]


@pytest.mark.parametrize(
    ("zone", "at"),
    [
        # Monday 09:00 in Auckland (UTC+13): Sunday 20:00 UTC, the 23rd has not begun in UTC
        ("Pacific/Auckland", dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.UTC)),
        # Monday 00:00:30 on Kiritimati (UTC+14)
        ("Pacific/Kiritimati", dt.datetime(2026, 11, 22, 10, 0, 30, tzinfo=dt.UTC)),
    ],
)
def test_an_imported_date_of_today_in_the_publishers_zone_is_not_in_the_future(
    tmp_path: Path, zone: str, at: dt.datetime
) -> None:
    """A date without a time is that day in ``[schedule] timezone``, the publisher's: a list
    exported with today's date and imported on the morning of that day east of UTC is
    imported, consent at that day's midnight there; tomorrow's date is still refused."""
    import json

    from typer.testing import CliRunner

    from newsletter.cli import app
    from newsletter.cli._app import CliState

    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n'
        f'[schedule]\ntimezone = "{zone}"\n',
        encoding="utf-8",
    )
    (tmp_path / "list.csv").write_text(
        "email,consented_at\ntoday@example.com,2026-11-23\ntomorrow@example.com,2026-11-24\n",
        encoding="utf-8",
    )

    def run(*args: str) -> str:
        r = CliRunner().invoke(
            app, ["--config", str(config), *args], obj=CliState(clock=FixedClock(at))
        )
        assert r.exit_code == 0, r.output
        return r.output

    out = run("subscribers", "import", str(tmp_path / "list.csv"))
    assert "added: 1" in out and "invalid: 1" in out, out
    rejects = (tmp_path / "list.rejects.csv").read_text(encoding="utf-8")
    assert "tomorrow@example.com" in rejects and "today@example.com" not in rejects
    shown = json.loads(run("subscribers", "show", "today@example.com"))
    midnight = dt.datetime(2026, 11, 23, tzinfo=ZoneInfo(zone))
    consented = shown["subscriber"]["consent"]["at"]
    assert dt.datetime.fromisoformat(consented) == midnight
