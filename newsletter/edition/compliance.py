"""Pre-send compliance checks: fail closed, send nothing, list every problem at once.

:func:`check_message` inspects a finished message (wire bytes or an ``EmailMessage``) the
way a receiver would: required headers (``Message-ID``, ``Date``, the RFC 8058 one-click
pair), both parts, the unsubscribe URL in the headers *and* both parts, the postal address
(CAN-SPAM), the HTML part's size as sent (quoted-printable) under ``[email] max_html_bytes``
(:func:`html_size_problem`, the one owner of that rule: Gmail clips a message whose HTML is
over about 102 KB as sent, hiding the footer), no merge tag left
unfilled, no Google Fonts, leftover ``<mj-`` tags, ``<script>`` or ``<form>``, and every
``<img>`` with ``alt``, ``width`` and an absolute https ``src`` (no inline base64).
:func:`check_content` runs the content-only checks once per issue variant.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from email.message import EmailMessage

from newsletter.config import Config
from newsletter.delivery.message import encoded_size
from newsletter.delivery.models import OutgoingMessage
from newsletter.errors import ComplianceError
from newsletter.models import MERGE_TAG_RE, IssueContent

_GOOGLE_FONTS = "HTML loads Google Fonts (GDPR: LG München I, 3 O 17493/20)"
_FORBIDDEN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"fonts\.googleapis\.com|fonts\.gstatic\.com", re.I), _GOOGLE_FONTS),
    (re.compile(r"<\s*/?\s*mj-", re.I), "HTML has leftover <mj-…> tags (MJML missed them)"),
    (re.compile(r"<\s*script\b", re.I), "HTML contains <script>"),
    (re.compile(r"<\s*form\b", re.I), "HTML contains <form>"),
    (re.compile(r"<!--nl:"), "HTML has a leftover personalization marker"),
)


def _normal(s: str) -> str:
    return " ".join(s.split()).casefold()


def html_size_problem(html: str, max_html_bytes: int) -> str | None:
    """The HTML size rule (``[email] max_html_bytes``): why ``html`` is too big, or None.

    Gmail clips a message whose HTML part is over about 102 KB *as sent*, hiding the footer
    and its unsubscribe link; the part is sent quoted-printable, some 8-10% larger than the
    decoded HTML (95 KB of HTML is about 104 KB on the wire). So the size measured is the
    encoded part (:func:`newsletter.delivery.message.encoded_size`, the builder's own
    encoding), and the default limit (100,000) keeps about 2 KB below the clip. The one
    owner of this rule: compile_issue refuses an oversized issue with it, and every variant
    and message is checked with it before a send.
    """
    size = encoded_size(html)
    if size <= max_html_bytes:
        return None
    return (
        f"HTML is {size:,} bytes as sent (quoted-printable; {len(html.encode('utf-8')):,} "
        f"decoded), over the {max_html_bytes:,}-byte limit (Gmail clips at about 102 KB as "
        "sent and hides the unsubscribe link)"
    )


def html_problems(html: str, *, postal_address: str, max_html_bytes: int) -> list[str]:
    """Problems of an HTML part on its own (size, postal address, forbidden content)."""
    out: list[str] = []
    if too_big := html_size_problem(html, max_html_bytes):
        out.append(too_big)
    out.extend(reason for pattern, reason in _FORBIDDEN if pattern.search(html))
    out.extend(_image_problems(html))
    if not postal_address.strip():
        out.append("newsletter.postal_address is empty (CAN-SPAM needs a postal address)")
    elif _normal(postal_address) not in _normal(_unescape(html)):
        out.append("the HTML part does not show the postal address")
    return out


_IMG_RE = re.compile(r"<img\b[^>]*>", re.I)


def _image_problems(html: str) -> list[str]:
    """Every <img> needs alt and width and an absolute https src (no inline base64)."""
    out: list[str] = []
    for tag in _IMG_RE.findall(html):
        src = re.search(r"""\bsrc\s*=\s*["']?([^"'\s>]+)""", tag, re.I)
        if src and src.group(1).lower().startswith("data:"):
            out.append("an <img> is inline base64 (it counts toward the clip size)")
        elif not src or not src.group(1).lower().startswith("https://"):
            out.append(f"an <img> has no absolute https src: {tag[:80]}")
        for attr in ("alt", "width"):
            if not re.search(rf"\b{attr}\s*=", tag, re.I):
                out.append(f"an <img> has no {attr}: {tag[:80]}")
    return out


def _unescape(html: str) -> str:
    import html as html_mod

    return html_mod.unescape(re.sub(r"<[^>]+>", " ", html))


def check_content(content: IssueContent, config: Config) -> None:
    """Content-only checks for one issue variant (run once, before any message is built)."""
    problems = html_problems(
        content.html,
        postal_address=config.newsletter.postal_address,
        max_html_bytes=config.email.max_html_bytes,
    )
    if "unsubscribe_url" not in content.tags:
        problems.append("the issue has no %%unsubscribe_url%% merge tag")
    for part, text in (("HTML", content.html), ("text", content.text)):
        if "%%unsubscribe_url%%" not in text:
            problems.append(f"the {part} part has no unsubscribe link")
    if not content.text.strip():
        problems.append("the text part is empty")
    postal = config.newsletter.postal_address.strip()
    if postal and _normal(postal) not in _normal(content.text):
        problems.append("the text part does not show the postal address")
    _raise(problems, content.variant)


def check_message(
    message: bytes | EmailMessage,
    config: Config,
    *,
    unsubscribe_url: str | None = None,
) -> None:
    """Full check of one finished message; raises ComplianceError listing every problem."""
    msg = _parse(message) if isinstance(message, bytes) else message
    problems: list[str] = []
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        if not msg.get(header):
            problems.append(f"the {header} header is missing")
    lu = str(msg.get("List-Unsubscribe") or "")
    https = re.findall(r"<(https://[^>]+|http://(?:127\.0\.0\.1|localhost)[:/][^>]*)>", lu)
    if not https:
        problems.append("List-Unsubscribe has no https link (RFC 8058 one-click needs one)")
    if str(msg.get("List-Unsubscribe-Post") or "") != "List-Unsubscribe=One-Click":
        problems.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click is missing")
    url = unsubscribe_url or (https[0] if https else None)
    if unsubscribe_url and unsubscribe_url not in https:
        problems.append("List-Unsubscribe does not carry this recipient's unsubscribe URL")
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    text = text_part.get_content() if isinstance(text_part, EmailMessage) else ""
    html = html_part.get_content() if isinstance(html_part, EmailMessage) else ""
    problems += body_problems(
        html,
        text,
        unsubscribe_url=url,
        postal_address=config.newsletter.postal_address,
        max_html_bytes=config.email.max_html_bytes,
    )
    _raise(problems, str(msg.get("To") or "message"))


def body_problems(
    html: str,
    text: str,
    *,
    unsubscribe_url: str | None,
    postal_address: str,
    max_html_bytes: int,
    preheader: str = "",
) -> list[str]:
    """Problems of one finished body (both parts); empty when it may be sent."""
    problems: list[str] = []
    if not text.strip():
        problems.append("the text part is missing")
    if not html.strip():
        problems.append("the HTML part is missing")
    else:
        problems += html_problems(
            html, postal_address=postal_address, max_html_bytes=max_html_bytes
        )
    if unsubscribe_url:
        import html as html_mod

        if unsubscribe_url not in text:
            problems.append("the text part has no unsubscribe link")
        if unsubscribe_url not in html and html_mod.escape(unsubscribe_url) not in html:
            problems.append("the HTML part has no unsubscribe link")
    else:
        problems.append("there is no unsubscribe URL")
    leftover = sorted(set(MERGE_TAG_RE.findall(html)) | set(MERGE_TAG_RE.findall(text)))
    if leftover:
        problems.append(f"merge tags left unfilled: {', '.join(leftover)}")
    if preheader and _normal(preheader) not in _normal(_unescape(html)):
        problems.append("the HTML part does not carry the preheader")
    return problems


def check_outgoing(
    message: OutgoingMessage, config: Config, render: Callable[[OutgoingMessage], bytes]
) -> None:
    """Render one message with ``render`` (e.g. ``MessageFactory().render``) and check it."""
    check_message(render(message), config, unsubscribe_url=message.unsubscribe_url)


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _raise(problems: list[str], what: str) -> None:
    if problems:
        raise ComplianceError(
            f"compliance check failed for {what}, nothing was sent: " + "; ".join(problems)
        )
