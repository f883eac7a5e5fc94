"""The one place that reads configuration.

``load_config()`` reads ``config.toml`` (or ``--config PATH`` / ``$NEWSLETTER_CONFIG``),
validates every key into frozen, typed models, resolves relative paths against the
config file's folder, and raises one :class:`~newsletter.errors.ConfigError` that lists
every problem with its dotted key. Secrets never live in the file: they come from
environment variables, read once at the edge (:meth:`Secrets.from_env`) and passed in.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from newsletter.errors import ConfigError, SecretMissingError
from newsletter.models import SourceKind
from newsletter.util.addresses import mailable_address
from newsletter.util.files import NOT_REGULAR, special_file
from newsletter.util.text import INVISIBLE, shown_path
from newsletter.util.tomllines import key_lines
from newsletter.util.urls import web_url

CONFIG_ENV = "NEWSLETTER_CONFIG"
DEFAULT_CONFIG_NAME = "config.toml"

#: Environment variables holding secrets, by purpose.
SECRET_ENV = {
    "secret_key": "NEWSLETTER_SECRET_KEY",
    "smtp_password": "NEWSLETTER_SMTP_PASSWORD",
    "postmark_token": "NEWSLETTER_POSTMARK_TOKEN",
    "sendgrid_api_key": "NEWSLETTER_SENDGRID_API_KEY",
    "mailgun_api_key": "NEWSLETTER_MAILGUN_API_KEY",
    "resend_api_key": "NEWSLETTER_RESEND_API_KEY",
    "webhook_secret": "NEWSLETTER_WEBHOOK_SECRET",
    #: An Argon2 hash of the /admin password (``newsletter admin hash-password``); /admin is
    #: off while it is unset.
    "admin_password_hash": "NEWSLETTER_ADMIN_PASSWORD_HASH",
    #: The alert webhook URL (a Slack incoming-webhook URL is a credential); it overrides
    #: ``[alerts] webhook_url``.
    "alert_webhook_url": "NEWSLETTER_ALERT_WEBHOOK_URL",
}

#: Clearly marked development signing key, accepted only when a caller allows it
#: (``make demo`` and the tests). Never use it for a real list.
DEV_SECRET_KEY = "INSECURE-DEVELOPMENT-KEY-do-not-use-for-real-subscribers"

SECTION_NAMES = (
    "summary",
    "note",
    "kpis",
    "new_roles",
    "pay",
    "pay_ranks",
    "skills",
    "spotlight",
    "companies",
    "metros",
    "seniority",
    "remote",
    "sponsor",
    "data_health",
)

#: The delivery providers ``[delivery] provider`` takes: the one list of their names
#: (``newsletter.delivery.SENDERS`` registers a sender for each, plus ``memory`` for tests).
Provider = Literal["file", "smtp", "postmark", "sendgrid", "mailgun", "resend"]
PROVIDERS: tuple[Provider, ...] = get_args(Provider)

#: Weekday names as ``[schedule] day`` takes them, Monday first (``date.weekday()`` order).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The weekdays' full names, also accepted in ``[schedule] day`` and ``collect_day``.
_DAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        strict=True,
    )
)


def _normalized_address(address: str) -> str:
    """``address`` normalized (:func:`~newsletter.util.addresses.mailable_address`: the rule
    of subscriber addresses, so no setting names a mailbox the senders cannot write to);
    ValueError saying why when it is not one."""
    try:
        return mailable_address(address)
    except ValueError as exc:
        raise ValueError(f"{address!r} is not an email address: {exc}") from None


#: polars' allocator (jemalloc) for a command's process: two arenas, and freed pages kept
#: 2.5 s before they go back to the system. An ingest's batches allocate and free hundreds
#: of MB each; with polars' defaults much of it went back to the system and was faulted in
#: (zeroed by the kernel) anew for the next batch (1M short postings, interleaved runs:
#: 1.6-1.8 -> 1.2 s of system time, 7.9-8.0 -> 7.5-7.7 s wall, peak 1.26-1.32 -> 1.33-1.36
#: GB; a 10M week 85-88 -> 75-76 s). Set before polars loads
#: (jemalloc reads it on its first allocation); a value already in the environment wins (an
#: empty one: jemalloc's defaults).
ALLOCATOR = ("_RJEM_MALLOC_CONF", "narenas:2,dirty_decay_ms:2500")


def tune_allocator() -> None:
    """Set :data:`ALLOCATOR` in this process's environment unless it holds a value (the
    command line calls it first thing, before polars loads)."""
    os.environ.setdefault(*ALLOCATOR)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


#: Characters that end a line (``str.splitlines``'s): none may be in a setting that goes into
#: a mail header or a link (a name, a subject, a URL), where one would start a header of the
#: config's text.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def _visible(value: str | None, *, lines: bool = False) -> str | None:
    """``value`` as it is, or ValueError when it holds a control or invisible character
    (:data:`~newsletter.util.text.INVISIBLE`), or a line break unless ``lines`` (a postal
    address may take several): the settings that reach headers, links and every issue are
    one line of visible text, refused in one line when the config is read, not at the send."""
    if value is None:
        return None
    bad = INVISIBLE.search(value)
    if bad is not None:
        raise ValueError(f"holds a control or invisible character ({bad.group()!a}): remove it")
    broken = None if lines else _LINE_BREAKS.search(value)
    if broken is not None:
        raise ValueError(f"holds a line break ({broken.group()!a}): write it on one line")
    return value


#: The placeholders of ``[newsletter] subject_template``, each given a value (text) by the
#: issue's view (``edition/view.py``); any other is refused when the config is read.
SUBJECT_PLACEHOLDERS = ("week_start", "open_roles_counted", "open_roles", "median_pay")


def subject_problem(template: str) -> str | None:
    """Why a subject template cannot be filled, or None: its braces (``{week_start`` or a
    lone ``}``), a placeholder that is not one of :data:`SUBJECT_PLACEHOLDERS` (with the
    closest one), or a conversion or format it cannot take. Found when the config is read,
    not at the Monday render: the template is Python's ``str.format``, tried here on text."""
    import difflib
    import string

    known = ", ".join(f"{{{n}}}" for n in SUBJECT_PLACEHOLDERS)
    try:
        names = [f[1] for f in string.Formatter().parse(template) if f[1] is not None]
    except ValueError as exc:
        return f"{exc} in {template!r} (a literal brace is written twice: {{{{ or }}}})"
    for name in names:
        root = re.split(r"[.\[]", name, maxsplit=1)[0]
        if root not in SUBJECT_PLACEHOLDERS:
            close = difflib.get_close_matches(root, SUBJECT_PLACEHOLDERS, n=1)
            hint = f"did you mean {{{close[0]}}}? " if close else ""
            return f"unknown placeholder {{{name}}}: {hint}known: {known}"
    try:
        template.format(**dict.fromkeys(SUBJECT_PLACEHOLDERS, "text"))
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        return f"cannot be filled ({exc}); placeholders are plain: {known}"
    return None


class NewsletterSettings(_Frozen):
    title: str = "AI Jobs Weekly"
    tagline: str = "The AI/ML job market, measured every Monday."
    from_name: str = "AI Jobs Weekly"
    from_address: str = "issues@example.com"
    reply_to: str | None = None
    postal_address: str = ""
    base_url: str = "http://127.0.0.1:8000"
    list_id: str | None = None
    #: Address for mailto: unsubscribes in List-Unsubscribe (omitted when unset).
    unsubscribe_mailto: str | None = None
    locale: str = "en_US"
    #: Placeholders: {week_start}, {open_roles_counted} ("1 open role", "2,000 open roles"),
    #: {open_roles} (the number alone) and {median_pay} (its clause left out in a week
    #: without a median: ``edition.view.fill_subject``); see config.toml.
    subject_template: str = (
        "AI jobs, week of {week_start}: {open_roles_counted}, median {median_pay}"
    )

    @field_validator("subject_template")
    @classmethod
    def _subject(cls, v: str) -> str:
        _visible(v)
        problem = subject_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v

    @field_validator("title", "from_name", "list_id")
    @classmethod
    def _line(cls, v: str | None) -> str | None:
        return _visible(v)

    @field_validator("tagline", "postal_address")
    @classmethod
    def _lines(cls, v: str) -> str:
        return _visible(v, lines=True) or ""

    @field_validator("from_address", "reply_to", "unsubscribe_mailto")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is not None:
            _normalized_address(v)  # checked; kept as written
        return v

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} must start with http:// or https://")
        if re.search(r"\s", v):
            raise ValueError(f"{v!r} holds a space or a line break (a URL has none)")
        _visible(v)
        # every link of every email starts with it: the one rule of a link a reader may
        # follow, and no query or fragment, which would swallow the paths appended to it
        if web_url(v) is None or re.search(r"[?#]", v):
            raise ValueError(
                f"{v!r} must be the site's address as a reader's link goes: no user name "
                "before an @ (https://news.example@evil.example goes to evil.example), no "
                "backslash before the path, a port that is a number, no query or fragment"
            )
        return v.rstrip("/")

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(v)
        except (ValueError, UnknownLocaleError) as exc:
            raise ValueError(f"unknown locale {v!r}") from exc
        return v

    @property
    def sending_domain(self) -> str:
        return self.from_address.rsplit("@", 1)[1]

    @property
    def effective_list_id(self) -> str:
        return self.list_id or f"{self.title} <weekly.{self.sending_domain}>"


class DataSettings(_Frozen):
    snapshots_dir: Path = Path("snapshots")
    #: Where the web archive goes by default (``<state_dir>/archive``); the database, the
    #: outbox and the previews name their own paths.
    state_dir: Path = Path("state")
    #: A folder of rules files replacing the shipped ones (None: the rules in the package).
    rules_dir: Path | None = None
    max_snapshot_age_days: int = Field(default=8, ge=0)
    #: A ``new`` feed's posting counts as open this many days after the week it was seen in.
    open_window_days: int = Field(default=30, ge=1, le=366)
    #: Kind of each source by name (``stock`` when not listed); see newsletter.models.SourceKind.
    source_kinds: dict[str, SourceKind] = Field(default_factory=dict)


class IngestSettings(_Frozen):
    #: Maps a column name in a raw export to a canonical input column.
    columns: dict[str, str] = Field(default_factory=dict)


class DatabaseSettings(_Frozen):
    url: str = "sqlite:///state/newsletter.db"


class SponsorSettings(_Frozen):
    """An optional sponsor block, marked "Sponsored" in the issue (both parts)."""

    name: str = Field(default="", max_length=80)
    text: str = Field(default="", max_length=300)
    url: str | None = None

    @field_validator("name", "text")
    @classmethod
    def _one_line(cls, v: str) -> str:
        return " ".join((_visible(v, lines=True) or "").split())

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        # every reader gets this link: the one rule of a link a reader may follow
        if v is not None and web_url(v) is None:
            raise ValueError(
                f"{v!r} must be an http:// or https:// address that goes where it reads: no "
                "spaces or invisible characters, no user name before an @ "
                "(https://sponsor.example@evil.example goes to evil.example), no backslash "
                "before the path, no port that is not a number"
            )
        return web_url(v)

    @property
    def shown(self) -> bool:
        return bool(self.name and self.text)


class EmailSettings(_Frozen):
    sections: tuple[str, ...] = SECTION_NAMES
    #: The editor's notes: ``<notes_dir>/YYYY-MM-DD.md`` (Markdown), shown after the summary.
    notes_dir: Path = Path("notes")
    #: A note larger than this stops the render with one line (checked before reading).
    max_note_bytes: int = Field(default=4_000, ge=100, le=1_000_000)
    sponsor: SponsorSettings = SponsorSettings()
    #: A folder of templates searched before the shipped ones (None: only the package's).
    templates_dir: Path | None = None
    top_n: int = Field(default=8, ge=1, le=50)
    sparkline_weeks: int = Field(default=8, ge=0, le=52)
    quiet_max_abs_change_pct: float = Field(default=2.0, ge=0)
    quiet_max_movers: int = Field(default=0, ge=0)
    max_html_bytes: int = Field(default=100_000, gt=0)

    @field_validator("templates_dir")
    @classmethod
    def _templates(cls, v: Path | None) -> Path | None:
        # a folder that is not there would be passed over, and the shipped templates used
        if v is not None and not v.is_dir():
            raise ValueError(f"{v} is not a folder (it holds your own templates)")
        return v

    @field_validator("sections")
    @classmethod
    def _sections(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in v if s not in SECTION_NAMES]
        if unknown:
            raise ValueError(
                f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTION_NAMES)}"
            )
        return v


class SmtpSettings(_Frozen):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    #: Envelope sender (MAIL FROM, where bounces go); the From address when unset.
    envelope_from: str | None = None

    @field_validator("host", "username")
    @classmethod
    def _line(cls, v: str | None) -> str | None:
        return _visible(v)

    @field_validator("envelope_from")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is not None:
            _normalized_address(v)  # checked; kept as written
        return v


class HttpProviderSettings(_Frozen):
    base_url: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    #: Provider-specific: Postmark message stream, Mailgun sending domain.
    message_stream: str | None = None
    domain: str | None = None

    @field_validator("base_url", "message_stream", "domain")
    @classmethod
    def _line(cls, v: str | None) -> str | None:
        return _visible(v)


class DkimSettings(_Frozen):
    selector: str | None = None
    domain: str | None = None
    key_file: Path | None = None

    @field_validator("selector", "domain")
    @classmethod
    def _line(cls, v: str | None) -> str | None:
        return _visible(v)


class DeliverySettings(_Frozen):
    provider: Provider = "file"
    outbox_dir: Path = Path("state/outbox")
    concurrency: int = Field(default=2, ge=1, le=64)
    #: Sending processes a send runs on this machine (PostgreSQL only; SQLite sends from one).
    workers: int = Field(default=1, ge=1, le=64)
    #: Seconds a worker's claim on a batch lasts without a heartbeat (a dead host's rows
    #: come back after this; a killed process's at once).
    lease_seconds: float = Field(default=60.0, ge=5.0, le=3600.0)
    #: Rows a worker claims at a time (suppression is re-checked per batch); batch APIs take
    #: at least one whole provider call.
    batch: int = Field(default=100, ge=1, le=10000)
    max_attempts: int = Field(default=5, ge=1, le=20)
    smtp: SmtpSettings = SmtpSettings()
    postmark: HttpProviderSettings = HttpProviderSettings()
    sendgrid: HttpProviderSettings = HttpProviderSettings()
    mailgun: HttpProviderSettings = HttpProviderSettings()
    resend: HttpProviderSettings = HttpProviderSettings()
    dkim: DkimSettings = DkimSettings()


class ScheduleSettings(_Frozen):
    day: str = "mon"
    time: dt.time = dt.time(7, 30)
    timezone: str = "UTC"
    misfire_grace_hours: float = Field(default=6.0, ge=1 / 60, le=168)
    #: ``required``: the weekly job sends a ``[PREVIEW]`` copy to the editors (``[alerts]
    #: email``) with a signed approve link, and the send waits for an approval; ``auto``
    #: (the default) sends without one.
    approval: Literal["auto", "required"] = "auto"
    #: Hours after the send time by which an approval must come; after that the approve
    #: link has expired, nothing is sent on its own, and an alert says so.
    approval_deadline_hours: float = Field(default=4.0, gt=0, le=168)
    #: When ``newsletter schedule`` collects the postings of the coming issue (``[collect]``).
    collect_day: str = "sun"
    collect_time: dt.time = dt.time(18, 0)

    @field_validator("day", "collect_day")
    @classmethod
    def _day(cls, v: str) -> str:
        d = v.strip().lower()
        names = {day: day for day in WEEKDAYS} | {_DAY_NAMES[day]: day for day in WEEKDAYS}
        if d not in names:
            raise ValueError(f"{v!r} is not a weekday (mon..sun, or monday..sunday)")
        return names[d]

    @field_validator("time", "collect_time")
    @classmethod
    def _local_time(cls, v: dt.time) -> dt.time:
        if v.tzinfo is not None:
            raise ValueError(
                f"{v.isoformat()} carries an offset: give the time in [schedule] timezone"
            )
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if v.strip().lower() == "localtime":  # the host's own zone, which moves with the host
            raise ValueError("'localtime' is the host's zone: name one, e.g. 'Europe/Berlin'")
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def due_for(self, week: dt.date) -> dt.datetime:
        """When the issue of ``week`` (its Monday) is due: its ``day`` at ``time``, in
        ``timezone`` (the one owner of this rule: the send's schedule and the archive's
        publication both ask it)."""
        day = week + dt.timedelta(days=WEEKDAYS.index(self.day))
        return dt.datetime.combine(day, self.time, tzinfo=self.zone)


#: The applicant-tracking systems whose public job boards ``newsletter collect`` reads.
ATS_KINDS = ("greenhouse", "lever", "ashby", "smartrecruiters", "workable", "recruitee", "url")
#: Longest board name of a source (``newsletter.data.collect.sources``): a board's key
#: ``ats:board`` is the source of its postings, so it also bounds every source name.
BOARD_MAX = 128
#: Longest source name (a posting's ``source``, the prefix of its ``posting_id``): the
#: longest board key, ``ats:board``.
SOURCE_MAX = max(map(len, ATS_KINDS)) + 1 + BOARD_MAX


class AtsSettings(_Frozen):
    #: Where this ATS's public API lives (tests and mirrors point elsewhere); None = the
    #: documented public endpoint. Recruitee's may hold ``{board}`` (one host per company).
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        # the API's path is appended: a query or fragment would swallow it
        if v is not None and (web_url(v) != v or re.search(r"[?#]", v)):
            raise ValueError(
                f"{v!r} must be an http:// or https:// address without spaces, query or "
                "fragment (the API's path is appended to it)"
            )
        return v.rstrip("/") if v else v


class CollectSettings(_Frozen):
    """``newsletter collect``: public ATS job boards -> the week's snapshot."""

    #: The publisher's list of boards (``newsletter sources add``); absent = no collection.
    sources: Path = Path("sources.toml")
    #: Weeks a failed board's last good postings are carried into the snapshot, marked stale.
    carry_forward_weeks: int = Field(default=1, ge=0, le=8)
    #: Who to contact about this crawler, sent in the User-Agent; default [newsletter] from_address.
    contact: str | None = None
    user_agent: str = "ai-jobs-weekly-collector/1.0"
    concurrency: int = Field(default=8, ge=1, le=256)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    #: Requests per second started against one host (0 = no limit).
    per_host_rate: float = Field(default=2.0, ge=0)
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    read_timeout_seconds: float = Field(default=30.0, gt=0)
    #: Longest one response may take from request to last byte.
    total_timeout_seconds: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=4, ge=1, le=10)
    backoff_initial_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=60.0, ge=0)
    #: A longer Retry-After than this fails the board for the week instead of waiting.
    max_retry_after_seconds: float = Field(default=300.0, ge=0)
    #: Bodies larger than this are refused while streaming (bytes as sent, and decompressed:
    #: a gzip body is inflated no further than this).
    max_response_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_pages: int = Field(default=100, ge=1, le=10_000)
    #: Longest one board's further pages are asked for, from its first page's answer: past
    #: it, the pages read are kept and the board is incomplete (a board that answers each
    #: page slowly, or pages without end, never holds up the week's snapshot for hours).
    max_board_seconds: float = Field(default=1800.0, gt=0)
    #: A board answering with zero jobs warns when it had at least this many the week before.
    empty_warning_min: int = Field(default=20, ge=1)
    greenhouse: AtsSettings = AtsSettings()
    lever: AtsSettings = AtsSettings()
    ashby: AtsSettings = AtsSettings()
    smartrecruiters: AtsSettings = AtsSettings()
    workable: AtsSettings = AtsSettings()
    recruitee: AtsSettings = AtsSettings()

    @field_validator("contact")
    @classmethod
    def _contact(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip() or any(c in v for c in "\r\n()")):
            raise ValueError("must be an email address or URL on one line, without parentheses")
        return v.strip() if v else v

    @field_validator("user_agent")
    @classmethod
    def _agent(cls, v: str) -> str:
        if not re.fullmatch(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*", v) or "(" in v:
            raise ValueError("must be printable ASCII product tokens, without parentheses")
        return v

    def base_url(self, ats: str) -> str | None:
        settings = getattr(self, ats, None)
        return settings.base_url if isinstance(settings, AtsSettings) else None


class WebSettings(_Frozen):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    subscribe_rate_per_hour: int = Field(default=10, ge=1)
    #: Largest webhook body read (bytes), counted while it streams.
    webhook_max_bytes: int = Field(default=1_000_000, ge=1_024, le=100_000_000)
    #: The user name of ``/admin`` (its password hash: NEWSLETTER_ADMIN_PASSWORD_HASH).
    admin_user: str = Field(default="admin", min_length=1, max_length=64, pattern=r"^[^:\s]+$")
    #: Failed ``/admin`` logins allowed per client address in 15 minutes (then 429).
    admin_failures_per_15min: int = Field(default=10, ge=1, le=1000)


class AlertsSettings(_Frozen):
    """Alerts to the editors: a step failed, the send is late, sources failed, bounce or
    complaint rates above the mailbox providers' limits, a stale snapshot, an approval
    that did not come. Each condition alerts once per week."""

    #: The editors: alerts and ``[PREVIEW]`` copies go to them through ``[delivery] provider``.
    email: tuple[str, ...] = ()
    #: Slack-compatible incoming webhook (``{"text": ...}`` is posted); NEWSLETTER_ALERT_
    #: WEBHOOK_URL overrides it (such a URL is a credential: prefer the environment).
    webhook_url: str | None = None
    #: Alert when this week's send is not complete this many hours after it was due.
    send_deadline_hours: float = Field(default=4.0, gt=0, le=168)
    #: Alert when an issue's bounce rate goes above this (Gmail and Yahoo: keep it under 2 %).
    bounce_rate: float = Field(default=0.02, gt=0, le=1)
    #: Alert when an issue's complaint rate goes above this (Gmail: under 0.1 %, never 0.3 %).
    complaint_rate: float = Field(default=0.001, gt=0, le=1)
    #: ``newsletter schedule`` checks the conditions this often (minutes).
    check_minutes: int = Field(default=15, ge=1, le=1440)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("email")
    @classmethod
    def _emails(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_normalized_address(address) for address in v))

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and web_url(v) != v:  # the one test of a URL (util/urls)
            raise ValueError(
                f"{v!r} must be an http(s) URL without spaces, invisible characters or a "
                "user name before its host"
            )
        return v


class Config(_Frozen):
    """Every setting of the tool, validated and immutable."""

    path: Path | None = None
    newsletter: NewsletterSettings = NewsletterSettings()
    data: DataSettings = DataSettings()
    ingest: IngestSettings = IngestSettings()
    database: DatabaseSettings = DatabaseSettings()
    email: EmailSettings = EmailSettings()
    delivery: DeliverySettings = DeliverySettings()
    schedule: ScheduleSettings = ScheduleSettings()
    collect: CollectSettings = CollectSettings()
    web: WebSettings = WebSettings()
    alerts: AlertsSettings = AlertsSettings()

    @model_validator(mode="after")
    def _approval_needs_editors(self) -> Config:
        if self.schedule.approval == "required" and not self.alerts.email:
            raise ValueError(
                "[schedule] approval = 'required' needs [alerts] email: the editors who get "
                "the [PREVIEW] copy with the approve link"
            )
        return self

    @property
    def crawler_contact(self) -> str:
        """The contact sent in the collector's User-Agent."""
        return self.collect.contact or self.newsletter.from_address


def _loc(err: Mapping[str, Any]) -> str:
    return ".".join(str(p) for p in err["loc"]) or "(top level)"


#: Words of a key that holds a secret (``password``, ``api_key``...): never a setting.
_SECRET_WORDS = frozenset({"password", "passwd", "secret", "token", "apikey", "api"})


def _secret_note(loc: Sequence[object]) -> str | None:
    """For an unknown key that names a secret, where it goes instead: its variable when one
    is named by the key's words (``[delivery.smtp] password``: NEWSLETTER_SMTP_PASSWORD)."""
    words = {w for part in loc for w in str(part).lower().replace(".", "_").split("_")}
    if not words & _SECRET_WORDS:
        return None
    named = [v for purpose, v in SECRET_ENV.items() if set(purpose.split("_")) <= words]
    where = named[0] if len(named) == 1 else "its NEWSLETTER_* variable (listed in config.toml)"
    return f"a secret is never read from the file: set {where} in the environment"


def _toml_kind(value: object) -> str:
    """What a TOML value is, in TOML's words: a number, a boolean, an array, a table."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _plain(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return _secret_note(err["loc"]) or "unknown setting (check the spelling)"
    if err["type"] == "model_type":  # a section given as a plain value: data = "snaps"
        return f"should be a table: a [{'.'.join(map(str, err['loc']))}] section of settings"
    if err["type"] == "path_type":  # Pydantic's words: "... path for <class 'pathlib.Path'>"
        return f"should be a path, as text in quotes (not {_toml_kind(err.get('input'))})"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg[0].lower() + msg[1:] if msg else msg


def _resolve_paths(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """Resolve relative paths (and sqlite file URLs) against the config file's folder."""

    def fix(section: str, key: str) -> None:
        sec = raw.get(section)
        if isinstance(sec, dict) and isinstance(sec.get(key), str):
            p = Path(sec[key]).expanduser()
            sec[key] = str(p if p.is_absolute() else base / p)

    for section, key in (
        ("data", "snapshots_dir"),
        ("data", "state_dir"),
        ("data", "rules_dir"),
        ("email", "templates_dir"),
        ("email", "notes_dir"),
        ("delivery", "outbox_dir"),
        ("collect", "sources"),
    ):
        fix(section, key)
    dkim = raw.get("delivery", {}).get("dkim") if isinstance(raw.get("delivery"), dict) else None
    if isinstance(dkim, dict) and isinstance(dkim.get("key_file"), str):
        p = Path(dkim["key_file"]).expanduser()
        dkim["key_file"] = str(p if p.is_absolute() else base / p)
    db = raw.get("database")
    if isinstance(db, dict) and isinstance(db.get("url"), str):
        url = db["url"]
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith("sqlite:////"):
            rel = url[len(prefix) :]
            if rel and rel != ":memory:" and not rel.startswith("file:"):
                db["url"] = prefix + str(base / rel)
    return raw


def _apply_defaults_for_paths(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make sure default relative paths also resolve against the config folder. A section
    written as a plain value (``data = "snaps"``) is left for validation to name."""
    defaults = {
        "data": {"snapshots_dir": "snapshots", "state_dir": "state"},
        "database": {"url": "sqlite:///state/newsletter.db"},
        "delivery": {"outbox_dir": "state/outbox"},
        "collect": {"sources": "sources.toml"},
        "email": {"notes_dir": "notes"},
    }
    for section, paths in defaults.items():
        table = raw.setdefault(section, {})
        if isinstance(table, dict):
            for key, value in paths.items():
                table.setdefault(key, value)
    return _resolve_paths(raw, base)


def parse_config(
    raw: Mapping[str, Any], *, path: Path | None = None, text: str | None = None
) -> Config:
    """Validate a parsed TOML mapping into a :class:`Config`; raise one ConfigError, each
    problem with the line of ``text`` (the file's TOML, when given) that sets its key,
    however the TOML writes it (:func:`~newsletter.util.tomllines.key_lines`; no line when
    the key is not in the file, or the text is shaped in a way the scanner does not follow)."""
    base = path.parent if path else Path.cwd()
    data = _apply_defaults_for_paths(_deepcopy(dict(raw)), base)
    try:
        return Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        where = (key_lines(text) if text is not None else None) or {}
        problems = []
        for e in exc.errors():
            n = where.get(tuple(e["loc"]))
            problems.append(f"{'' if n is None else f'line {n}, '}{_loc(e)}: {_plain(e)}")
        raise ConfigError(problems, source=shown_path(path) if path else None) from None


def _deepcopy(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _deepcopy(v) if isinstance(v, dict) else v for k, v in d.items()}


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Which config file to read: explicit, then $NEWSLETTER_CONFIG, then ./config.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    here = Path.cwd() / DEFAULT_CONFIG_NAME
    return here if here.exists() else None


#: The largest config.toml read (a real one is a few KiB).
CONFIG_MAX_BYTES = 1024 * 1024


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Load and validate the configuration (defaults only if no file exists)."""
    path = config_path(explicit)
    if path is None or str(path) == os.devnull:  # /dev/null: "no config", the defaults
        return parse_config({})
    if special_file(path):  # a pipe would hang the command, a device never end
        raise ConfigError(f"config file {shown_path(path)} {NOT_REGULAR}")
    try:
        if path.stat().st_size > CONFIG_MAX_BYTES:
            raise ConfigError(
                f"config file {shown_path(path)} is over {CONFIG_MAX_BYTES // 1024} KiB"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {shown_path(path)} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {shown_path(path)}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {shown_path(path)} is not UTF-8 text") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=shown_path(path)) from None
    return parse_config(raw, path=path.resolve(), text=text)


SecretName = Literal[
    "secret_key",
    "smtp_password",
    "postmark_token",
    "sendgrid_api_key",
    "mailgun_api_key",
    "resend_api_key",
    "webhook_secret",
    "admin_password_hash",
    "alert_webhook_url",
]


@dataclass(frozen=True, slots=True)
class Secrets:
    """The secrets of one run, read once at the edge and passed in.

    The edges are the CLI commands, the web app's start-up and the scheduler's job: each
    calls :meth:`from_env` and hands the result down; nothing below them reads the
    environment. A missing secret is only an error where it is needed (:meth:`require`),
    naming its variable. The values never appear in a repr.
    """

    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Secrets:
        """Every secret that is set (non-blank) in ``environ`` (default: ``os.environ``)."""
        env = os.environ if environ is None else environ
        found = {name: env.get(var, "").strip() for name, var in SECRET_ENV.items()}
        return cls({name: value for name, value in found.items() if value})

    @classmethod
    def of(cls, **values: str) -> Secrets:
        """Secrets given by name (tests, embedding): ``Secrets.of(smtp_password="...")``."""
        unknown = sorted(set(values) - SECRET_ENV.keys())
        if unknown:
            raise ValueError(f"unknown secret(s) {', '.join(unknown)}")
        return cls(dict(values))

    def environment(self) -> dict[str, str]:
        """The environment of a child process running with these secrets (send workers):
        this process's, with each secret set under its variable."""
        return {**os.environ, **{SECRET_ENV[name]: v for name, v in self.values.items()}}

    def get(self, name: SecretName) -> str | None:
        """The secret, or None when it is not set."""
        return self.values.get(name)

    def require(self, name: SecretName, purpose: str, *, allow_dev: bool = False) -> str:
        """The secret, or SecretMissingError naming its environment variable.

        ``allow_dev`` lets the signing key fall back to :data:`DEV_SECRET_KEY` (the demo
        outbox, dry runs and previews: see ``newsletter.send.service.link_signer``).
        """
        value = self.values.get(name)
        if value:
            return value
        if allow_dev and name == "secret_key":
            return DEV_SECRET_KEY
        raise SecretMissingError(SECRET_ENV[name], purpose)

    def __repr__(self) -> str:
        return f"Secrets(set={sorted(self.values)})"


def alerts_configured(config: Config, secrets: Secrets | None = None) -> bool:
    """Whether any alert channel is set: ``[alerts] email`` or ``webhook_url``, or
    NEWSLETTER_ALERT_WEBHOOK_URL (read through ``secrets``, as the alerter reads it)."""
    from_env = secrets.get("alert_webhook_url") if secrets is not None else None
    return bool(config.alerts.email or config.alerts.webhook_url or from_env)
