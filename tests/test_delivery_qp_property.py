"""Property: the project's quoted-printable line encoder is the email package's, byte for
byte, and the sizes built on it are exact (``encoded_size``) or a true upper bound that stays
close (``qp_bound`` of ``qp_measure``), whatever the text: "=", spaces and tabs at a line's end,
non-ASCII and control characters, lines around the 76-character wrap."""

from __future__ import annotations

from email import quoprimime

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.delivery.message import _qp_line, encoded_size, qp_bound, qp_measure


def quick_bound(body: str) -> int:
    return qp_bound(*qp_measure(body.encode("utf-8")))


#: Pieces that make the wrap loop take each of its branches: escapes (=, é, control
#: characters) that straddle a break, a space or tab last, runs that reach a break exactly.
PIECE = st.sampled_from(
    ["=", " ", "\t", "a", "é", "—", "\x00", "\x7f", "\x0b", "\x1c", "\x85", "~", '<a href="x">',
     "x" * 73, "y" * 74, "z" * 75]
)  # fmt: skip
line = st.lists(PIECE, max_size=40).map("".join)


def reference_size(body: str) -> int:
    """Bytes of ``body`` as the email package encodes it, line by line, CRLF ends."""
    return sum(
        len(quoprimime.body_encode(raw.decode("latin-1"), 76, eol="\r\n")) + 2
        for raw in body.encode("utf-8").splitlines() or [b""]
    )


@settings(max_examples=400, deadline=None)
@given(text=line)
def test_a_line_is_encoded_as_the_email_package_encodes_it(text: str) -> None:
    raw = text.encode("utf-8")  # one line: the pieces hold no CR or LF (other breaks are quoted)
    assert raw.splitlines() == ([raw] if raw else [])
    expected = quoprimime.body_encode(raw.decode("latin-1"), 76, eol="\r\n")
    assert _qp_line(raw) == expected


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=6))
def test_sizes_are_exact_and_the_quick_bound_is_a_close_upper_bound(lines: list[str]) -> None:
    body = "\n".join(lines)
    exact = reference_size(body)
    assert encoded_size(body) == exact
    bound = quick_bound(body)
    assert bound >= exact
    assert bound <= exact * 1.05 + 10 * (body.count("\n") + 1) + 20


def test_the_quick_bound_of_an_html_issue_is_within_two_percent() -> None:
    cell = '<td style="padding:4px 8px;color:#1a1a1a">Machine Learning Engineer — Zürich</td>'
    row = f"<tr>{cell}</tr>"
    body = "\n".join(["<html><body>", row * 600, "<p>Tail </p>", "</body></html>"])
    exact = encoded_size(body)
    assert exact < quick_bound(body) <= exact * 1.02


def test_every_line_length_around_the_wraps_with_a_space_or_tab_last() -> None:
    """Each of the loop's end cases (room for "=20", for the space and a soft break, for a
    soft break only) at every offset, with and without an escape near the break."""
    for n in range(1, 240):
        for head in ("", "=", "é", "a=b"):
            for last in (" ", "\t", "x"):
                raw = (head + "w" * n + last).encode("utf-8")
                expected = quoprimime.body_encode(raw.decode("latin-1"), 76, eol="\r\n")
                assert _qp_line(raw) == expected, raw
                assert encoded_size(raw.decode("utf-8")) == len(expected) + 2
