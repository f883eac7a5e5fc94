"""The bridge from the compiled issue to delivery variants: spliced == personalized."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.delivery import MessageFactory, build_message
from newsletter.delivery.message import message_bytes
from newsletter.errors import RenderError
from newsletter.models import Preferences, Recipient
from newsletter.send.service import prepare_issue
from tests.delivery_support import DATE
from tests.send_support import WEEK, parse, parts, send_config


def _recipient(i: int, name: str | None, prefs: Preferences) -> Recipient:
    return Recipient(
        subscriber_id=i,
        email=f"r{i}@example.org",
        name=name,
        preferences=prefs,
        unsubscribe_url=f"https://news.example.com/unsubscribe/tok{i}.a-b_c?x=1&y=<2>",
        preferences_url=f'https://news.example.com/preferences/tok{i}?a=1&b="2"',
    )


def test_spliced_messages_read_like_personalize(tmp_path: Path) -> None:
    config = send_config(tmp_path)
    prepared = prepare_issue(config, WEEK)
    variants = prepared.variants
    people = [
        _recipient(1, "Ann O'Neil <&>", Preferences()),
        _recipient(2, None, Preferences(metros=("Seattle",))),
        _recipient(3, "Zoë Ça", Preferences(seniority=("senior",), categories=("Data Science",))),
        _recipient(4, "Bo", Preferences()),
    ]
    factory = MessageFactory()
    for r in people:
        msg = variants.message(r, issue_key=prepared.issue_key)
        text, html = parts(parse(factory.render(msg, date=DATE)))
        want = prepared.variants.compiled.personalize(r)
        # MIME parts always end with a line break (the email package adds one)
        assert html == want.html.rstrip("\n") + "\n"
        assert text == want.text.rstrip("\n") + "\n"
        assert parse(factory.render(msg, date=DATE))["Subject"] == want.subject
    # one variant per distinct preference set, cached
    assert variants.count == 3
    assert variants.content(Preferences()) is variants.content(Preferences())
    # the greeting is a merge value, escaped in HTML only
    first = variants.message(people[0], issue_key="k")
    assert "%%greeting%%" in first.content.html and first.merge["greeting"] == "Hi Ann,"


def test_stray_merge_tag_in_issue_text_fails_closed(tmp_path: Path) -> None:
    config = send_config(tmp_path)
    prepared = prepare_issue(config, WEEK)
    compiled = prepared.variants.compiled
    with pytest.raises(RenderError, match="oops"):
        type(compiled.html_template).parse("<p>%%oops%% %%unsubscribe_url%%</p>", escape=True)


def test_spliced_bytes_equal_the_reference_on_the_real_issue(tmp_path: Path) -> None:
    """The compiled HTML is one ~56 KB line holding the tags: the phase-cached splice must
    give the email package's exact bytes whatever the values' lengths (every QP phase)."""
    prepared = prepare_issue(send_config(tmp_path), WEEK)
    factory = MessageFactory()
    date = "Mon, 23 Nov 2026 07:30:00 +0000"
    for i in range(80):
        name = "Zoë " + "x" * i + (" =" if i % 7 == 0 else "")
        r = _recipient(i, name, Preferences(metros=("Seattle",)) if i % 2 else Preferences())
        r = Recipient(
            subscriber_id=r.subscriber_id,
            email=r.email,
            name=name,
            preferences=r.preferences,
            unsubscribe_url=r.unsubscribe_url + "a" * i + "=" * (i % 5),
            preferences_url=r.preferences_url + "é" * (i % 3),
        )
        msg = prepared.variants.message(r, issue_key=prepared.issue_key)
        reference = build_message(msg, date=date, boundary=factory.boundary_for(msg))
        assert factory.render(msg, date=date) == message_bytes(reference)
