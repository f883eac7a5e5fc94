"""Text from outside the posting data reaches the issue as data: the editor's note and the
config's own words (tagline, sponsor, postal address) get the same treatment as posting
names (no invisible or direction-changing characters, no markup)."""

from __future__ import annotations

import re

from newsletter.config import Config
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import compile_issue, preview_recipient
from newsletter.edition.notes import render_note

#: Bidi embeddings, overrides and isolates, and the marks: each reorders what follows it
#: (``\u202e`` shows "moc.elpmaxe" as "example.com") and no reader sees it.
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SPOOF = "Pay \u202egnp.exe\u202c, call \u2066+1 555\u2069 \u200fnow"


def test_no_bidi_control_from_the_note_or_the_config_reaches_the_reader(
    rich_signals: Signals, email_config: Config
) -> None:
    n = email_config.newsletter.model_copy(
        update={"tagline": "Weekly " + SPOOF, "postal_address": "1 Main St " + SPOOF}
    )
    # the config refuses such a sponsor (and tagline) now; the render drops them all the same
    sponsor = email_config.email.sponsor.model_construct(
        name="Acme \u202eCo", text=SPOOF, url="https://acme.example/"
    )
    email = email_config.email.model_copy(update={"sponsor": sponsor})
    config = email_config.model_copy(update={"newsletter": n, "email": email})
    note = render_note(f"A note: {SPOOF}\n\n- [a link \u202eknil]( https://a.example/)\n")
    body = compile_issue(rich_signals, config, note=note).personalize(preview_recipient(config))
    for part in (body.html, body.text):
        assert not BIDI.search(part), BIDI.findall(part)
        assert "Pay gnp.exe, call +1 555 now" in part
    assert "Acme Co" in body.html and "a link knil" in body.text
