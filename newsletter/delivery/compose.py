"""Pair one issue variant with one recipient: the OutgoingMessage the senders take."""

from __future__ import annotations

from collections.abc import Mapping

from newsletter.config import NewsletterSettings
from newsletter.delivery.models import Mailbox, OutgoingMessage, new_message_id
from newsletter.models import IssueContent, Recipient


def compose(
    settings: NewsletterSettings,
    content: IssueContent,
    recipient: Recipient,
    *,
    issue_key: str,
    message_id: str | None = None,
    merge: Mapping[str, str] | None = None,
) -> OutgoingMessage:
    """The message for ``recipient`` (pass the ledger's stored ``message_id`` on a retry).

    Sender, Reply-To, List-Id and the mailto unsubscribe come from ``[newsletter]``; the
    recipient brings the one-click URL and the preferences URL (``%%preferences_url%%``);
    ``merge`` adds further per-recipient values (e.g. ``greeting``).
    """
    n = settings
    values = {"preferences_url": recipient.preferences_url} if recipient.preferences_url else {}
    values.update(merge or {})
    return OutgoingMessage(
        issue_key=issue_key,
        subscriber_id=recipient.subscriber_id,
        sender=Mailbox(email=n.from_address, name=n.from_name),
        to=Mailbox(email=recipient.email, name=recipient.name),
        content=content,
        message_id=message_id or new_message_id(n.sending_domain),
        unsubscribe_url=recipient.unsubscribe_url,
        unsubscribe_mailto=n.unsubscribe_mailto,
        list_id=n.effective_list_id,
        reply_to=n.reply_to,
        merge=values,
    )
