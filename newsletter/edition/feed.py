"""The Atom feed of the web archive (``<base_url>/archive/feed.xml``), built with feedgen.

One entry per issue, newest first: its subject as the title, the archive page as the link
and id, the headline summary as the summary, the issue's send time as published and updated
(the week's ``[schedule] day`` at ``[schedule] time`` in ``[schedule] timezone``: time is
an input, the feed never reads the wall clock, so the same weeks give the same bytes). The
archive publishes only issues whose time has come (:func:`published`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from feedgen.feed import FeedGenerator

from newsletter.config import Config
from newsletter.util.text import INVISIBLE, SEPARATORS
from newsletter.util.weeks import monday_of

FEED_FILE = "feed.xml"
#: The feed's media type (served with it by ``newsletter serve``).
FEED_MEDIA_TYPE = "application/atom+xml"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: The whitespace controls XML takes none of (vertical tab, form feed, the separators), with
#: the spaces around them.
_NOT_XML_SPACE = re.compile(f" *[\\x0b\\x0c{SEPARATORS}][ \\x0b\\x0c{SEPARATORS}]*")


def feed_text(value: str) -> str:
    """``value`` as the feed prints it, as the issue does: without the characters no reader
    gets (:data:`~newsletter.util.text.INVISIBLE`: controls, bidi overrides, noncharacters),
    a whitespace control (with the spaces around it) one space; XML refuses every one of
    them, and one stopped the whole archive."""
    return _NOT_XML_SPACE.sub(" ", INVISIBLE.sub("", value))


@dataclass(frozen=True, slots=True)
class FeedItem:
    week: dt.date
    title: str
    summary: str
    url: str


def issue_time(config: Config, week: dt.date) -> dt.datetime:
    """When the issue of ``week`` goes out: its week's ``[schedule] day`` at the scheduled
    time, in UTC."""
    return config.schedule.due_for(monday_of(week)).astimezone(dt.UTC)


def published(config: Config, week: dt.date, now: dt.datetime) -> bool:
    """Whether the issue of ``week`` is public at ``now``: its issue time has come."""
    return issue_time(config, week) <= now


def feed_url(config: Config) -> str:
    return f"{config.newsletter.base_url}/archive/{FEED_FILE}"


def atom_feed(config: Config, items: Sequence[FeedItem]) -> bytes:
    """The Atom 1.0 document of ``items`` (any order; written newest first)."""
    nl = config.newsletter
    home = f"{nl.base_url}/archive/"
    ordered = sorted(items, key=lambda i: i.week, reverse=True)
    fg = FeedGenerator()
    fg.id(home)
    fg.title(feed_text(nl.title))
    fg.subtitle(feed_text(nl.tagline))
    fg.link(href=home, rel="alternate", type="text/html")
    fg.link(href=feed_url(config), rel="self", type=FEED_MEDIA_TYPE)
    fg.language(nl.locale.split("_")[0])
    fg.author({"name": feed_text(nl.from_name), "email": nl.from_address})
    # the newest issue's time (an empty archive: the epoch, never the wall clock)
    fg.updated(issue_time(config, ordered[0].week) if ordered else EPOCH)
    for item in reversed(ordered):  # feedgen prepends: add oldest first, newest ends on top
        fe = fg.add_entry()
        fe.id(item.url)
        fe.title(feed_text(item.title))
        fe.link(href=item.url, rel="alternate", type="text/html")
        fe.summary(feed_text(item.summary))
        when = issue_time(config, item.week)
        fe.published(when)
        fe.updated(when)
    data: bytes = fg.atom_str(pretty=True)
    return data
