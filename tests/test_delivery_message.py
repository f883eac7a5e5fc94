"""Messages: every required header and both parts; the fast path equals the reference."""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import re
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.config import parse_config
from newsletter.delivery.compose import compose
from newsletter.delivery.message import (
    WIRE_POLICY,
    MessageFactory,
    build_message,
    fold_header,
    format_date,
    message_bytes,
)
from newsletter.delivery.models import IssueContent, Mailbox, OutgoingMessage, wire_address
from newsletter.models import Recipient
from tests.conftest import NOW
from tests.delivery_support import DATE, content, message


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def meaning(raw: bytes) -> dict[str, object]:
    """What a mail client sees: decoded headers and decoded parts."""
    msg = parse(raw)
    parts = [(p.get_content_type(), p.get_content()) for p in msg.iter_parts()]
    headers = {k: str(v) for k, v in msg.items() if k != "Content-Type"}
    return {"headers": headers, "type": msg.get_content_type(), "parts": parts}


def test_reference_message_has_every_header_and_both_parts() -> None:
    m = message(7)
    raw = message_bytes(build_message(m, date=DATE))
    msg = parse(raw)
    assert msg["From"] == "AI Jobs Weekly <issues@example.com>"
    assert msg["To"] == "Reader One <reader7@example.org>"
    assert msg["Subject"] == m.subject
    assert msg["Date"] and msg["Date"].datetime is not None
    assert msg["Message-ID"] == m.message_id and m.message_id.endswith("@example.com>")
    assert msg["Reply-To"] == "editor@example.com"
    assert msg["List-Id"] == "AI Jobs Weekly <weekly.example.com>"
    assert msg["List-Unsubscribe"] == (f"<{m.unsubscribe_url}>, <mailto:unsubscribe+7@example.com>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    text, html = list(msg.iter_parts())
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert m.unsubscribe_url in text.get_content()
    assert f'href="{m.unsubscribe_url}"' in html.get_content()
    # values are HTML-escaped in the HTML part only
    assert "p/7?a=1&amp;b=2" in html.get_content() and "p/7?a=1&b=2" in text.get_content()
    assert "médian" in text.get_content()


def test_wire_format_keeps_long_unsubscribe_url_intact_and_qp_lines_short() -> None:
    m = message(1, unsubscribe_url="https://news.example.com/u/" + "t" * 150)
    raw = message_bytes(build_message(m, date=DATE))
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert f"List-Unsubscribe: <{m.unsubscribe_url}>" in header_block  # no =?utf-8?q? words
    assert "=?utf-8?" not in header_block.split("Subject")[0]
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only


def test_fast_path_is_byte_identical_to_the_reference() -> None:
    c = content(rows=200)
    tricky = [
        message(1, c),
        message(2, c, name=None),
        message(3, c, name="Zoë O'Brien, PhD", email="zoe@example.org"),
        message(4, c, merge={"preferences_url": 'https://x.example/p?q="<&>" =20 é'}),
        message(5, c, unsubscribe_mailto=None, reply_to=None, list_id=None),
        message(6, c, headers=(("X-Issue", "2026-W48"),)),
        message(7, c, unsubscribe_url="https://news.example.com/u/" + "y" * 300),
    ]
    factory = MessageFactory()
    date = format_date(NOW)
    for m in tricky:
        fast = factory.render(m, date=date)
        naive = message_bytes(build_message(m, date=date, boundary=factory.boundary_for(m)))
        assert fast == naive, m.subscriber_id
        assert meaning(fast) == meaning(naive)


def test_fast_path_with_its_own_boundary_means_the_same_as_a_fresh_message() -> None:
    c = content(rows=50)
    factory = MessageFactory()
    for i in range(20):
        m = message(i, c)
        date = format_date(NOW)
        assert meaning(factory.render(m, date=date)) == meaning(
            message_bytes(build_message(m, date=date))
        )


def test_variants_get_their_own_skeleton() -> None:
    a, b = content(rows=3, subject="A"), content(rows=4, subject="B")
    factory = MessageFactory()
    ra, rb = factory.render(message(1, a), date=DATE), factory.render(message(1, b), date=DATE)
    assert parse(ra)["Subject"] == "A" and parse(rb)["Subject"] == "B"
    assert "#3" in parse(rb).get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_content_without_trailing_newline_or_empty_lines() -> None:
    c = IssueContent(subject="S", html="<p>%%unsubscribe_url%%</p>", text="%%unsubscribe_url%%")
    factory = MessageFactory()
    m = message(1, c, merge={})
    date = format_date(NOW)
    fast = factory.render(m, date=date)
    assert fast == message_bytes(build_message(m, date=date, boundary=factory.boundary_for(m)))


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
atoms = st.from_regex(r"[A-Za-z0-9_+-]{1,10}(\.[A-Za-z0-9_+-]{1,10}){0,2}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    name=names,
    local=atoms,
    value=st.text(max_size=120),
    msgid=st.from_regex(r"<[A-Za-z0-9.]{1,30}@[a-z.-]{1,20}>", fullmatch=True),
)
def test_fold_header_matches_the_email_package(
    name: str, local: str, value: str, msgid: str
) -> None:
    """The shortcut prints exactly what the email package prints, for any input."""

    def reference(h: str, v: str) -> bytes:
        return WIRE_POLICY.fold_binary(h, WIRE_POLICY.header_factory(h, v))

    to = Mailbox(email=f"{local}@example.org", name=name or None).formatted()
    cases = (
        ("To", to),
        ("List-Unsubscribe", value),
        ("Date", format_date(NOW)),
        ("Message-ID", msgid),
    )
    for h, v in cases:
        if re.search(r"[\r\n]", v):
            continue
        assert fold_header(h, v) == reference(h, v)


#: Static text around the tags: never "%%", nor a "%" at either end, which beside a tag's
#: own "%%" would spell one more tag ("url%%" + "%%a" + "%%pref..." holds "%%a%%").
line_text = st.lists(
    st.sampled_from([*"abc =\t<>\"'&é—€%/.:", "x" * 40, "=" * 3, " \t"]), max_size=60
).map(lambda parts: re.sub("%+", "%", "".join(parts)).strip("%"))


@settings(max_examples=120, deadline=None)
@given(
    prefix=line_text,
    suffix=line_text,
    url_tail=st.text(alphabet=st.sampled_from(list("ab=&é \t-")), max_size=90),
    pad=st.integers(min_value=0, max_value=3000),
)
def test_long_lines_with_tags_anywhere_encode_exactly_like_the_reference(
    prefix: str, suffix: str, url_tail: str, pad: int
) -> None:
    """MJML output is one long line: the cached QP prefix must continue seamlessly."""
    html_line = "y" * pad + prefix + "%%unsubscribe_url%%" + suffix + "%%preferences_url%%" + suffix
    c = IssueContent(subject="S", html="<p>" + html_line, text=prefix + "%%unsubscribe_url%%")
    m = message(
        1,
        c,
        unsubscribe_url="https://n.example.com/u/" + "".join(url_tail.split()),
        merge={"preferences_url": url_tail},
    )
    factory = MessageFactory()
    date = format_date(NOW)
    fast = factory.render(m, date=date)
    assert fast == message_bytes(build_message(m, date=date, boundary=factory.boundary_for(m)))


def test_outgoing_message_refuses_values_that_would_break_headers_or_lines() -> None:
    import pytest

    for bad in (
        {"unsubscribe_url": "https://x.example/u/1\r\nBcc: victim@example.org"},
        {"unsubscribe_url": "javascript:alert(1)"},
        {"merge": {"preferences_url": "a\nb"}},
        {"message_id": ""},
    ):
        with pytest.raises(ValueError):
            message(1, **bad)


# ---- To: the reader's name is untrusted --------------------------------------------------

#: Names that a parser could read as something else: encoded words (one decoding to another
#: address, one to CR LF), quotes, commas, angle brackets, backslashes, non-ASCII.
HOSTILE_NAMES = [
    "=?utf-8?b?PGV2aWxAZXZpbC5leGFtcGxlPg==?= x",
    "=?utf-8?q?Eve=0D=0ABcc:_all@evil.example?=",
    '"=?utf-8?b?PGV2aWxAZXZpbC5leGFtcGxlPg==?="',
    "a =?x?= b",
    'Jane "JJ" Doe',
    "Doe, Jane",
    "<evil@evil.example>",
    "evil@evil.example, other@evil.example",
    "x)(y\\",
    "Zoë Ångström",
    'Zoë <evil@evil.example>, "quoted"',
    "日本語" * 30,
]


def _to_addresses(raw: bytes) -> dict[str, list[tuple[str, str]]]:
    """``To`` as a legacy reader (undecoded) and a modern one (RFC 2047 decoded) see it."""
    out = {}
    for name, pol in (("compat32", email.policy.compat32), ("default", email.policy.default)):
        msg = email.message_from_bytes(raw, policy=pol)
        out[name] = email.utils.getaddresses([str(v) for v in msg.get_all("To", [])])
    return out


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_to_parses_back_to_exactly_the_one_address_whatever_the_name(name: str) -> None:
    m = message(1, name=name, email="hdr2@example.com")
    factory = MessageFactory()
    fast = factory.render(m, date=DATE)
    assert fast == message_bytes(build_message(m, date=DATE, boundary=factory.boundary_for(m)))
    for seen in _to_addresses(fast).values():
        assert [addr for _, addr in seen] == ["hdr2@example.com"]
    to = parse(fast)["To"]
    assert len(to.addresses) == 1 and to.addresses[0].addr_spec == "hdr2@example.com"
    if len(name.encode()) <= 45:  # one encoded word: Python's reader gives the name back
        assert to.addresses[0].display_name == name
    head = fast.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and all(len(line) <= 998 for line in head.split(b"\r\n"))
    # the HTTP providers' "to" field: one address too, read plainly or decoded
    one_line = m.to.formatted()
    assert [a for _, a in email.utils.getaddresses([one_line])] == ["hdr2@example.com"]
    decoded = email.policy.default.header_factory("To", one_line)
    assert [a.addr_spec for a in decoded.addresses] == ["hdr2@example.com"]  # type: ignore[attr-defined]


@settings(max_examples=200, deadline=None)
@given(name=names, local=atoms)
def test_any_name_gives_one_address_and_the_same_bytes_both_ways(name: str, local: str) -> None:
    m = message(1, name=name or None, email=f"{local}@example.org")
    factory = MessageFactory()
    fast = factory.render(m, date=DATE)
    assert fast == message_bytes(build_message(m, date=DATE, boundary=factory.boundary_for(m)))
    for seen in _to_addresses(fast).values():
        assert [addr for _, addr in seen] == [f"{local}@example.org"]


@pytest.mark.parametrize("name", [None, "Jane", "Jäne"])
def test_an_internationalized_domain_goes_into_to_in_its_idna_form(name: str | None) -> None:
    """A stored x@exämple.com crashed the dry run and the pre-send check of each variant
    (UnicodeEncodeError: a traceback, and nobody got the issue)."""
    m = message(1, name=name, email="x@exämple.com")
    factory = MessageFactory()
    fast = factory.render(m, date=DATE)
    assert fast == message_bytes(build_message(m, date=DATE, boundary=factory.boundary_for(m)))
    to = parse(fast)["To"]
    assert [a.addr_spec for a in to.addresses] == ["x@xn--exmple-cua.com"]


def sent_field(m: OutgoingMessage, name: str) -> tuple[str, bytes]:
    """The ``name`` field of ``m`` as sent (the fast path, checked against the reference),
    checked to hold no line over RFC 2047's 76; and the message."""
    factory = MessageFactory()
    fast = factory.render(m, date=DATE)
    assert fast == message_bytes(build_message(m, date=DATE, boundary=factory.boundary_for(m)))
    head = fast.split(b"\r\n\r\n", 1)[0].decode("ascii")
    field = next(f for f in re.split(r"\r\n(?![ \t])", head) if f.startswith(f"{name}:"))
    assert all(len(line) <= 76 for line in field.split("\r\n")), field
    return field, fast


def decoded_phrase(field: str) -> str:
    """The phrase before ``<...>`` of a field, decoded as RFC 2047 says (the space between
    two encoded words is no text; Python's address parser keeps it)."""
    value = field.partition(": ")[2].replace("\r\n", "").rpartition(" <")[0]
    return str(email.header.make_header(email.header.decode_header(value)))


@pytest.mark.parametrize(
    "subject",
    [
        "AI jobs, week of nov. 23: 26\u202f159 open roles, median 184\u00a0k$",  # fr_FR figures
        "Empleos de IA, semana del 23 de nov.: 26.159 puestos, mediana 184.000\u00a0$ — "
        "Ingeniería de aprendizaje automático, Zürich, São Paulo, Kraków",
        "AI jobs, week of 11月 23: 26,159 open roles, median $184k",
    ],
)
def test_a_non_ascii_subject_is_folded_to_encoded_word_lines_of_76(subject: str) -> None:
    """RFC 2047 section 2: a header line holding an encoded word is at most 76 characters
    (the 998-character wire limit kept the Subject on one line of 86 and more)."""
    subject_field, fast = sent_field(message(1, content(subject=subject)), "Subject")
    assert "=?utf-8?" in subject_field
    assert parse(fast)["Subject"] == subject


@pytest.mark.parametrize(
    "name",
    [
        "José María Fernández-Villanueva y Rodríguez Ruiz",  # 47 bytes: one word of 76 was
        "Zoë " * 30,
        "山田太郎 " * 12,
    ],
)
def test_an_encoded_display_name_keeps_to_rfc_2047s_75_and_76(name: str) -> None:
    """An encoded word is at most 75 characters and a line holding one at most 76 (RFC 2047
    section 2); a 47-byte name made one word of 76 on a line of 80."""
    name = name.strip()
    header = Mailbox(email="reader@example.org", name=name).header("To")
    words = re.findall(r"=\?utf-8\?b\?[^?]*\?=", header)
    assert words and all(len(w) <= 75 for w in words), [len(w) for w in words]
    assert all(len(line) <= 76 for line in header.split("\r\n")), header
    field, fast = sent_field(message(1, name=name, email="reader@example.org"), "To")
    assert decoded_phrase(field) == name
    assert parse(fast)["To"].addresses[0].addr_spec == "reader@example.org"


def test_a_non_ascii_sender_name_is_folded_like_a_readers() -> None:
    """The config's from_name went through the email package at the wire's 998: 'From:
    Empleos de IA =?utf-8?b?...?= semanal de inteligencia artificial <...>' on a line of 104."""
    name = "Empleos de IA — Boletín semanal de inteligencia artificial"
    m = message(1, sender=Mailbox(email="issues@example.com", name=name))
    field, fast = sent_field(m, "From")
    assert decoded_phrase(field) == name
    assert parse(fast)["From"].addresses[0].addr_spec == "issues@example.com"


@pytest.mark.parametrize(
    "title",
    [
        "Empleos de IA — Boletín semanal de inteligencia artificial y datos",
        "AI Jobs, Weekly (beta)",
    ],
)
def test_the_list_id_phrase_is_encoded_or_quoted_and_its_id_kept(title: str) -> None:
    """RFC 2919: List-Id is a phrase and <list-id>. A title of non-ASCII went out on one line
    of 115 holding an encoded word, one with a comma as a phrase no parser reads as one."""
    field, _ = sent_field(message(1, list_id=f"{title} <weekly.example.com>"), "List-Id")
    assert field.endswith(" <weekly.example.com>")
    if title.isascii():
        assert field == 'List-Id: "AI Jobs, Weekly (beta)" <weekly.example.com>'
    else:
        assert decoded_phrase(field) == title


def test_a_domain_with_sharp_s_or_final_sigma_keeps_its_own_idna_form_in_every_header() -> None:
    """IDNA 2008 (what the validator and the envelope use) keeps ß and ς; Python's "idna"
    codec (IDNA 2003) folds them to ss and σ: ``straße.de`` became ``strasse.de``, another
    domain, someone else's, in the header. Each address is written as it goes on the wire."""
    m = message(
        1,
        email="jo@stra\u00dfe.de",
        sender=Mailbox(email="news@\u03c3\u03bf\u03c6\u03b9\u03b1\u03c2.gr", name="News"),
    )
    factory = MessageFactory()
    fast = factory.render(m, date=DATE)
    assert fast == message_bytes(build_message(m, date=DATE, boundary=factory.boundary_for(m)))
    head = parse(fast)
    assert [a.addr_spec for a in head["To"].addresses] == [wire_address("jo@stra\u00dfe.de")]
    assert [a.addr_spec for a in head["To"].addresses] == ["jo@xn--strae-oqa.de"]
    (sender,) = head["From"].addresses
    assert sender.addr_spec == wire_address("news@\u03c3\u03bf\u03c6\u03b9\u03b1\u03c2.gr")
    assert sender.domain.startswith("xn--") and sender.domain.endswith(".gr")


def test_internationalized_domains_of_the_config_go_into_every_header_in_idna_form() -> None:
    """The config takes a sender, a reply-to and a mailto unsubscribe on an internationalized
    domain, and a base URL on one: the Message-ID and the default List-Id made of the
    sender's domain stopped every message (UnicodeEncodeError), the Reply-To went out as
    ``r@=?utf-8?q?n=C3=ABws?=.example`` (no address) and List-Unsubscribe as an encoded word,
    which no mailbox provider reads as a link (no one-click unsubscribe)."""
    config = parse_config(
        {
            "newsletter": {
                "from_address": "issues@ex\u00e4mple.com",
                "reply_to": "reply@n\u00ebws.example",
                "unsubscribe_mailto": "leave@n\u00ebws.example",
                "base_url": "https://n\u00ebws.example/n\u00e4",
            }
        }
    )
    base = config.newsletter.base_url
    reader = Recipient(
        1,
        "reader@example.org",
        unsubscribe_url=f"{base}/unsubscribe/t0k",
        preferences_url=f"{base}/preferences/t0k",
    )
    m = compose(config.newsletter, content(), reader, issue_key="2026-W48")
    factory = MessageFactory()
    fast = factory.render(m, date=DATE)
    assert fast == message_bytes(build_message(m, date=DATE, boundary=factory.boundary_for(m)))
    head = fast.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "=?" not in head, head
    parsed = parse(fast)
    assert parsed["Message-ID"].endswith("@xn--exmple-cua.com>")
    assert parsed["List-Id"].endswith(" <weekly.xn--exmple-cua.com>")
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["reply@xn--nws-jma.example"]
    assert parsed["List-Unsubscribe"] == (
        "<https://xn--nws-jma.example/n%C3%A4/unsubscribe/t0k>, <mailto:leave@xn--nws-jma.example>"
    )


@pytest.mark.parametrize(
    ("address", "uri"),
    [
        ("leave?now@news.example", "mailto:leave%3Fnow@news.example"),
        ("a#b%c/d=e&f@news.example", "mailto:a%23b%25c%2Fd%3De%26f@news.example"),
        ("o'neil+list@news.example", "mailto:o'neil+list@news.example"),
    ],
)
def test_the_mailto_unsubscribe_is_a_uri_of_the_configured_address(address: str, uri: str) -> None:
    """An unsubscribe address whose local part holds ``?``, ``#`` or ``%`` went into
    List-Unsubscribe as it is: a mail client read ``mailto:leave?now@news.example`` as a
    mail to ``leave`` (RFC 6068: ``?`` starts the headers), so the unsubscribe went nowhere.
    The URI decodes to the configured address."""
    config = parse_config({"newsletter": {"unsubscribe_mailto": address}})
    reader = Recipient(
        1,
        "reader@example.org",
        unsubscribe_url="https://n.example/u/t",
        preferences_url="https://n.example/p/t",
    )
    m = compose(config.newsletter, content(), reader, issue_key="2026-W48")
    parsed = parse(message_bytes(build_message(m, date=DATE)))
    _https, mailto = parsed["List-Unsubscribe"].split(", ")
    assert mailto == f"<{uri}>"
    target = urlsplit(mailto[1:-1])
    assert target.scheme == "mailto" and not target.query and not target.fragment
    assert unquote(target.path) == address
