"""The issue's ``<style>`` blocks, as the clients that drop them read them.

Gmail drops a whole ``<style>`` block when one of its rules is one it does not support (an
attribute selector, ``@media (prefers-color-scheme)``); Outlook.com drops attribute selectors
it cannot map. So the phone (375 px) layout sits in a block of rules Gmail accepts, and the
dark-mode rules in blocks of their own: losing them never loses the phone layout.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from newsletter.models import IssueContent


def _blocks(html: str) -> list[str]:
    return [n.text() for n in LexborHTMLParser(html).css("head style")]


def test_the_phone_layout_is_in_a_block_gmail_keeps(full_issue: IssueContent) -> None:
    blocks = _blocks(full_issue.html)
    phone = [b for b in blocks if "max-width: 480px" in b or "max-width:480px" in b]
    assert len(phone) == 1, "one block holds the phone layout"
    layout = phone[0]
    assert ".kv" in layout and ".tap" in layout and ".dt" in layout
    assert "[" not in layout, "an attribute selector makes Gmail drop the block"
    assert "prefers-color-scheme" not in layout and ":root" not in layout
    assert "data-og" not in layout
    # MJML's own column widths (mj-breakpoint) stay free of them too
    for block in blocks:
        if "mj-column-per" in block:
            assert "[" not in block and "prefers-color-scheme" not in block


def test_dark_rules_have_blocks_of_their_own(full_issue: IssueContent) -> None:
    blocks = _blocks(full_issue.html)
    scheme = [b for b in blocks if "prefers-color-scheme" in b]
    outlook = [b for b in blocks if "[data-ogsc]" in b or "[data-ogsb]" in b]
    assert len(scheme) == 1 and len(outlook) == 1
    assert "[data-og" not in scheme[0], "Outlook.com's rules would take Apple Mail's with them"
    assert "prefers-color-scheme" not in outlook[0]
    assert "[" not in scheme[0] and ".c-muted" in scheme[0] and ".c-muted" in outlook[0]
    for dark in (scheme[0], outlook[0]):
        assert not re.search(r"max-width|\.kv|\.tap|\.dt\b|\.nw", dark), "no layout rule"
