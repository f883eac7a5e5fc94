"""Pre-send compliance checks fail closed and list every problem."""

from __future__ import annotations

from dataclasses import replace

import pytest

from newsletter.config import Config, parse_config
from newsletter.delivery.message import MessageFactory, build_message, message_bytes
from newsletter.delivery.models import IssueContent
from newsletter.edition.compliance import check_content, check_message
from newsletter.errors import ComplianceError
from tests.delivery_support import DATE, content, message

POSTAL = "AI Jobs Weekly, 548 Market St #12345, San Francisco, CA 94104, USA"


@pytest.fixture
def cfg() -> Config:
    return parse_config({"newsletter": {"postal_address": POSTAL}})


def test_a_good_message_passes(cfg: Config) -> None:
    m = message(1)
    check_content(m.content, cfg)
    check_message(MessageFactory().render(m, date=DATE), cfg, unsubscribe_url=m.unsubscribe_url)


def test_missing_postal_address_and_oversize_html(cfg: Config) -> None:
    big = content(rows=2000)
    with pytest.raises(ComplianceError, match=r"over the 100,000-byte limit"):
        check_content(big, cfg)
    no_postal = parse_config({})
    with pytest.raises(ComplianceError, match="postal_address is empty"):
        check_content(content(), no_postal)


def test_forbidden_html_is_listed_all_at_once(cfg: Config) -> None:
    c = content()
    bad = replace(
        c,
        html=c.html.replace(
            "</body>",
            '<link href="https://fonts.googleapis.com/css?family=Ubuntu"><mj-colum></mj-colum>'
            "<script>x()</script><form action=/x></form></body>",
        ),
    )
    with pytest.raises(ComplianceError) as exc:
        check_content(bad, cfg)
    msg = str(exc.value)
    for what in ("Google Fonts", "<mj-", "<script>", "<form>"):
        assert what in msg


def test_unsubscribe_link_must_be_in_both_parts_and_headers(cfg: Config) -> None:
    c = content()
    no_text_link = IssueContent(
        subject=c.subject, html=c.html, text=c.text.replace("%%unsubscribe_url%%", "(see web)")
    )
    with pytest.raises(ComplianceError, match="text part has no unsubscribe link"):
        check_content(no_text_link, cfg)
    m = message(1, no_text_link)
    with pytest.raises(ComplianceError, match="text part has no unsubscribe link"):
        check_message(message_bytes(build_message(m, date=DATE)), cfg)


def test_missing_headers_fail(cfg: Config) -> None:
    m = message(1)
    em = build_message(m, date=DATE)
    del em["Message-ID"]
    del em["Date"]
    del em["List-Unsubscribe-Post"]
    with pytest.raises(ComplianceError) as exc:
        check_message(em, cfg)
    for what in ("Date header", "Message-ID header", "List-Unsubscribe-Post"):
        assert what in str(exc.value)
    with pytest.raises(ComplianceError, match="this recipient's unsubscribe URL"):
        check_message(
            build_message(m, date=DATE), cfg, unsubscribe_url="https://elsewhere.example/u/1"
        )


def test_images_need_alt_width_and_https_src(cfg: Config) -> None:
    c = content()
    good = '<img alt="" width="600" src="https://cdn.example.com/a.png">'
    check_content(replace(c, html=c.html.replace("</body>", good + "</body>")), cfg)
    bad = (
        '<img src="data:image/png;base64,AAAA" alt="x" width="1">'
        '<img src="http://cdn.example.com/b.png" width="10">'
    )
    with pytest.raises(ComplianceError) as exc:
        check_content(replace(c, html=c.html.replace("</body>", bad + "</body>")), cfg)
    for what in ("inline base64", "no absolute https src", "no alt"):
        assert what in str(exc.value)


def test_the_rendered_issue_passes_the_html_checks(cfg: Config) -> None:
    from newsletter.data.pipeline import build_signals
    from newsletter.edition.compliance import html_problems
    from newsletter.edition.issue import compile_week, preview_recipient, render_issue
    from tests.conftest import REPO

    signals = build_signals(cfg, snapshots_dir=REPO / "snapshots")
    issue = render_issue(signals, cfg)
    # the postal address is the one the config gave the renderer, not one the test adds
    assert html_problems(issue.html, postal_address=POSTAL, max_html_bytes=100_000) == []
    # every section on (the bundled week's new roles, the demo's note, a sponsor): the
    # public page and a reader's copy stay under the size cap
    full = parse_config({
        "newsletter": {"postal_address": POSTAL},
        "data": {"snapshots_dir": str(REPO / "snapshots")},
        "email": {"notes_dir": str(REPO / "notes"),
                  "sponsor": {"name": "Acme", "text": "GPUs by the hour.", "url": "https://a.example/"}},
    })  # fmt: skip
    compiled = compile_week(full)
    assert compiled.view.note is not None and compiled.view.sponsor is not None
    assert compiled.view.new_roles is not None and compiled.view.spotlight is not None
    for body in (compiled.public(), compiled.personalize(preview_recipient(full))):
        assert html_problems(body.html, postal_address=POSTAL, max_html_bytes=100_000) == []
    elsewhere = parse_config({"newsletter": {"postal_address": "1 Other Road, Springfield"}})
    other = render_issue(signals, elsewhere)
    assert html_problems(other.html, postal_address=POSTAL, max_html_bytes=100_000) == [
        "the HTML part does not show the postal address"
    ]


def test_encoded_size_is_the_html_part_as_the_builder_sends_it() -> None:
    from newsletter.delivery.message import encoded_size

    msg = message(1, content(rows=400))
    html_part = next(
        p for p in build_message(msg, date=DATE).walk() if p.get_content_type() == "text/html"
    )
    sent = html_part.get_payload(decode=False).replace("\n", "\r\n")
    assert encoded_size(msg.html) == len(sent.encode("ascii"))
    assert encoded_size(msg.html) > len(msg.html.encode("utf-8")) * 1.05  # =3D, soft breaks


def test_the_size_gate_measures_the_html_as_sent_not_decoded() -> None:
    """Gmail clips on the quoted-printable part: 95 KB of HTML whose attributes are full of
    '=' is over 100 KB on the wire, and is refused though its decoded size is under."""
    from newsletter.edition.compliance import html_size_problem

    row = '<td class="c-muted" style="padding:6px 0 6px 8px;color:#5b6472" align="right">$171k</td>'
    html = "<table><tr>" + row * (95_000 // len(row)) + "</tr></table>"
    assert len(html.encode("utf-8")) < 96_000
    problem = html_size_problem(html, 100_000)
    assert problem is not None and "as sent" in problem and "over the 100,000-byte limit" in problem
    assert html_size_problem(html, 120_000) is None
