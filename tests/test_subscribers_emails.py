"""The bulk address normalizer used by imports agrees exactly with email-validator."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.audience.sanitize import EmailNormalizer, normalize_email
from newsletter.errors import SubscriberError

TRICKY = [
    "Jane.Doe@Example.COM",
    "jane..doe@example.com",
    ".jane@example.com",
    "jane.@example.com",
    "a" * 64 + "@example.com",
    "a" * 65 + "@example.com",
    "x@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com",
    '"quoted"@example.com',
    "ünï@example.com",
    "user@bücher.example",
    "user@localhost",
    "user@example.local",
    "user@123.456",
    "user@-bad.com",
    "a@b@example.com",
    "o'brien+news@example.com",
    " spaced@example.com ",
    "user@EXAMPLE.com",
    "user@example.com.",
]


def _outcome(fn: object, value: str) -> str:
    assert callable(fn)
    try:
        return f"ok:{fn(value)}"
    except SubscriberError:
        return "invalid"


@pytest.mark.parametrize("value", TRICKY)
def test_bulk_normalizer_matches_the_validator_after_warm_up(value: str) -> None:
    domain = value.rpartition("@")[2].strip()
    normalize = EmailNormalizer()
    _outcome(normalize, f"warm@{domain}")  # the domain is now cached when valid
    assert _outcome(normalize, value) == _outcome(normalize_email, value)


@settings(max_examples=300, deadline=None)
@given(
    local=st.text(alphabet="aZ09.+_-'\"ü @", min_size=0, max_size=70),
    domain=st.sampled_from(["example.com", "EXAMPLE.org", "localhost", "bücher.de", "a..b"]),
)
def test_bulk_normalizer_matches_the_validator_on_generated_addresses(
    local: str, domain: str
) -> None:
    normalize = EmailNormalizer()
    _outcome(normalize, f"warm@{domain}")
    value = f"{local}@{domain}"
    assert _outcome(normalize, value) == _outcome(normalize_email, value)


def test_an_address_that_could_never_be_mailed_is_refused_at_the_door() -> None:
    with pytest.raises(SubscriberError, match="before the @-sign are not supported"):
        normalize_email("\u00fctf8@example.com")  # needs SMTPUTF8, which no sender speaks
    assert normalize_email("x@ex\u00e4mple.com") == "x@ex\u00e4mple.com"  # sent as IDNA
