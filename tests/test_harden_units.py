"""Issue 11, the parts under the regression tests: the sanitiser, CSV neutralising, access-log
redaction, webhook authentication and parsing, and sign-up emails built like every message
(one-click headers, DKIM)."""

from __future__ import annotations

import base64
import email
import email.policy
import re
import unicodedata
from pathlib import Path

import dkim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.audience.sanitize import (
    NAME_MAX,
    VALUES_MAX,
    clean_name,
    clean_note,
    clean_values,
    normalize_email,
)
from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.audience.transfer import FORMULA_STARTS, neutralise, restore
from newsletter.config import DEV_SECRET_KEY, Config, Secrets, parse_config
from newsletter.delivery import get_sender
from newsletter.delivery.webhooks import MAX_DEPTH, check_head, load_json, parse_events
from newsletter.errors import SubscriberError, WebhookAuthError, WebhookError
from newsletter.send.confirmation import SignupMailer, signup_message
from newsletter.store import open_store
from newsletter.web.logs import redact
from tests.conftest import NOW

# ---- the sanitiser ------------------------------------------------------------------------

PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", with a ZWNJ


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Jane \t Doe \r\n", "Jane Doe"),
        ("Eve\r\nBcc: x@example.com", "Eve Bcc: x@example.com"),
        ("A\x00B\x1b[1mC\x7f", "AB[1mC"),
        ("Ali\u202eecnarF", "AliecnarF"),  # right-to-left override
        ("Zero\u200bWidth\ufeff", "ZeroWidth"),
        (PERSIAN, PERSIAN),  # ZWNJ kept
        ("Line\u2028Sep\x85Next", "Line Sep Next"),
        ("\x00\r\n\t ", None),
        ("", None),
        # RFC 2047 encoded words never survive: "=?" opens one (a hidden one too)
        ("=?utf-8?b?PGV2aWw+?= x", "= ?utf-8?b?PGV2aWw+?= x"),
        ("=\u200b?utf-8?q?a=0D=0A?=", "= ?utf-8?q?a=0D=0A?="),
        ("==??", "== ??"),
        ("x" * 99 + "=?", "x" * 99 + "="),
    ],
)  # fmt: skip
def test_names_are_cleaned_one_way(raw: str, clean: str | None) -> None:
    assert clean_name(raw) == clean


def test_lengths_are_capped() -> None:
    long = clean_name("Z" * 100_000)
    assert long is not None and len(long) == NAME_MAX
    assert clean_name("word " * 50) == ("word " * 20).strip()
    assert len(clean_values(f"v{i}" for i in range(500))) == VALUES_MAX
    assert clean_values([" a ", "a", "", "\r\n", "b"]) == ("a", "b")
    note = clean_note("x" * 10_000)
    assert note is not None and len(note) == 500


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_cleaned_text_is_one_safe_trimmed_line(raw: str) -> None:
    out = clean_name(raw)
    if out is None:
        return
    assert out == out.strip() and "  " not in out and len(out) <= NAME_MAX
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in out)
    assert "=?" not in out  # no RFC 2047 encoded word
    assert clean_name(out) == out  # idempotent: every path stores the same value


def test_addresses_are_length_checked_before_parsing() -> None:
    with pytest.raises(SubscriberError, match="longer than"):
        normalize_email("a" * 10_000 + "@example.com")
    with pytest.raises(SubscriberError, match="not a valid"):
        normalize_email("a@example.com\r\nBcc: b@example.com")


# ---- CSV formulas (OWASP) -----------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\uff1d1"])
def test_formula_cells_get_a_leading_quote(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    assert restore(neutralise(cell)) == cell


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "a", " ", "\t"]), max_size=6))
def test_neutralising_is_undone_exactly_and_leaves_no_formula(cell: str) -> None:
    out = neutralise(cell)
    assert not out.startswith(FORMULA_STARTS)
    assert restore(out) == cell


@pytest.mark.parametrize(
    "cell", [" =1+1", "  @SUM(A1)", "\u00a0+1", "\n=1+1", "\r\n-1", "\u3000=1", " \t=1"]
)
def test_formulas_after_leading_spaces_or_a_line_feed_get_a_leading_quote(cell: str) -> None:
    # a rejected row's cells are the imported file's own, edge spaces and line breaks too:
    # spreadsheets that trim a cell on import (or read a line feed as OWASP lists it) run it
    assert neutralise(cell) == "'" + cell
    assert restore(neutralise(cell)) == cell


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(["'", "=", "@", "a", " ", "\u00a0", "\n"]), max_size=6))
def test_no_cell_is_a_formula_once_its_spaces_are_trimmed(cell: str) -> None:
    out = neutralise(cell)
    assert not out.lstrip().startswith(FORMULA_STARTS)
    assert restore(out) == cell


def test_ordinary_cells_pass_unchanged() -> None:
    for cell in ("Jane", "'Tis", "O'Neil", "2026-11-23", "a@example.com", "", " Jane", "' x"):
        assert neutralise(cell) == cell == restore(cell)


# ---- access log ---------------------------------------------------------------------------


def test_redaction_of_paths_and_query_secrets() -> None:
    assert redact("GET /preferences/abc.def-123/data?x=1") == "GET /preferences/[redacted]/data?x=1"
    assert redact("/unsubscribe/tok") == "/unsubscribe/[redacted]"
    assert redact("/confirm/tok?token=s3cret&ok=1") == "/confirm/[redacted]?token=[redacted]&ok=1"
    assert (
        redact("/webhooks/mailgun?a=1&Signature=zz") == "/webhooks/mailgun?a=1&Signature=[redacted]"
    )
    assert redact("/subscribe") == "/subscribe"


# ---- webhooks ----------------------------------------------------------------------------


def test_the_head_decides_before_any_body() -> None:
    basic = "Basic " + base64.b64encode(b"hooks:s3").decode()
    assert check_head("postmark", {}, secret="s3", now=NOW, token="s3") == "authenticated"
    assert check_head("sendgrid", {"Authorization": basic}, secret="s3", now=NOW) == "authenticated"
    assert check_head("mailgun", {}, secret="s3", now=NOW) == "check-body"  # in-body HMAC
    with pytest.raises(WebhookAuthError):
        check_head("resend", {}, secret="s3", now=NOW)  # no Svix headers: refused unread
    stale = {"svix-id": "m", "svix-timestamp": str(int(NOW.timestamp()) - 3600),
             "svix-signature": "v1,x"}  # fmt: skip
    with pytest.raises(WebhookAuthError):
        check_head("resend", stale, secret="s3", now=NOW)
    with pytest.raises(WebhookError, match="no webhook parser"):
        check_head("pigeon", {}, secret="s3", now=NOW, token="s3")


def test_json_depth_is_limited() -> None:
    ok = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert load_json(ok, "sendgrid") is not None
    for deep in (
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
    ):
        with pytest.raises(WebhookError, match="nested"):
            load_json(deep, "sendgrid")


def test_each_record_is_parsed_on_its_own() -> None:
    batch = parse_events(
        "sendgrid",
        [
            {"email": "a@x.org", "event": "bounce"},
            {"email": ["b@x.org"], "event": "bounce"},
            "not an event",
            {"email": "c@x.org", "event": "delivered"},
            {"email": "d@x.org", "event": "spamreport"},
        ],
    )
    assert [(e.email, e.kind) for e in batch.events] == [
        ("a@x.org", "bounce"),
        ("d@x.org", "complaint"),
    ]
    assert batch.ignored == 1 and len(batch.rejected) == 2
    assert batch.rejected[0].startswith("event 2:")


# ---- sign-up emails ----------------------------------------------------------------------


def test_signup_emails_are_built_like_every_message_and_dkim_signed(
    config: Config, tmp_path: Path, dkim_key: tuple[Path, bytes]
) -> None:
    key, record = dkim_key
    signed = parse_config(
        {
            "newsletter": {"from_address": "news@example.com", "postal_address": "1 Main St"},
            "database": {"url": config.database.url},
            "delivery": {
                "outbox_dir": str(tmp_path / "outbox"),
                "dkim": {"selector": "news", "domain": "example.com", "key_file": str(key)},
            },
        }
    )
    signer = TokenSigner(DEV_SECRET_KEY)
    with open_store(signed) as db:
        store = SubscriberStore(db)
        new = store.signup("new@example.org", name="N", ip="10.0.0.1", wording="yes")
        store.add("old@example.org")
        notice = store.signup("old@example.org", name=None, ip="10.0.0.2", wording="yes")
        assert new.subscriber and notice.subscriber and notice.mail == "notice"
        mailer = SignupMailer(signed, signer, get_sender(signed.delivery, Secrets()))
        mailer.submit("confirm", new.subscriber)
        mailer.submit("notice", notice.subscriber)
        mailer.join()
        mailer.close()
    assert mailer.counts == {"sent": 2, "failed": 0, "dropped": 0}
    files = sorted((tmp_path / "outbox").rglob("*.eml"))
    assert len(files) == 2

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"news._domainkey.example.com."
        return record

    for path in files:
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg.get_content_type() == "multipart/alternative"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(r"<https?://\S+/unsubscribe/\S+>", str(msg["List-Unsubscribe"]))
        assert str(msg["Message-ID"]).endswith("@example.com>") and msg["List-Id"]
        sig = str(msg["DKIM-Signature"])
        covered = {
            h.strip().lower() for h in sig.split("h=")[1].split(";", maxsplit=1)[0].split(":")
        }
        assert {"list-unsubscribe", "list-unsubscribe-post", "from"} <= covered
        assert dkim.verify(raw, dnsfunc=dns)
        html = msg.get_body(("html",))
        assert html is not None and "%%" not in html.get_content()


def test_a_confirm_email_needs_an_open_request(config: Config) -> None:
    with open_store(config) as db:
        sub = SubscriberStore(db).add("x@example.org")
    with pytest.raises(ValueError, match="no open sign-up request"):
        signup_message(config, TokenSigner(DEV_SECRET_KEY), "confirm", sub)
