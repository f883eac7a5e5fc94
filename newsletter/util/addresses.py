"""The one rule of an address this program mails or mails from: a subscriber's, the sender's,
the reply-to, the unsubscribe mailbox, an alert's recipient.

email_validator checks the syntax (no DNS look-up) and normalizes it. No SMTPUTF8: a local
part beyond ASCII could never be carried (the senders speak ASCII; an internationalized
domain goes out in its IDNA form). Strict: a local part longer than RFC 5321's 64 octets is
refused, as mail servers refuse it. The validator is imported on the first address checked,
so a command that checks none never loads it.
"""

from __future__ import annotations


def mailable_address(address: str) -> str:
    """``address`` normalized, or ValueError with the validator's reason."""
    from email_validator import EmailNotValidError, validate_email

    try:
        found = validate_email(
            address, check_deliverability=False, allow_smtputf8=False, strict=True
        )
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return str(found.normalized)
