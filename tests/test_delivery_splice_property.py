"""Property: the phase-cached splice of long lines with merge tags gives the email package's
exact bytes, whatever the static text around the tags and the values' lengths."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.delivery import MessageFactory, build_message
from newsletter.delivery.message import message_bytes
from newsletter.delivery.models import IssueContent
from tests.delivery_support import message

ALPHABET = st.sampled_from([*'abc =.<>"é—\t', "xyz" * 30])
static = st.lists(ALPHABET, min_size=0, max_size=80).map("".join)
DATE = "Mon, 23 Nov 2026 07:30:00 +0000"


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(static, min_size=2, max_size=4),
    values=st.lists(st.text(alphabet="ab=é .", max_size=150), min_size=3, max_size=3),
)
def test_long_line_splice_equals_reference(parts: list[str], values: list[str]) -> None:
    tags = ["%%unsubscribe_url%%", "%%preferences_url%%", "%%greeting%%"]
    line = parts[0] + "".join(t + p for t, p in zip(tags, parts[1:], strict=False))
    html = f"<p>{'w' * 200}{line}{'z' * 90}</p>\n"
    text = "Unsubscribe: %%unsubscribe_url%%\n" + line + "\n"
    content = IssueContent(subject="s", html=html, text=text)
    merge = {
        "preferences_url": "https://x.example/p/" + values[0].replace(" ", "_"),
        "greeting": "Hi " + values[1],
    }
    m = message(
        1, content, merge=merge, unsubscribe_url="https://x.example/u/" + "a" * len(values[2])
    )
    factory = MessageFactory()
    ref = build_message(m, date=DATE, boundary=factory.boundary_for(m))
    assert factory.render(m, date=DATE) == message_bytes(ref)
