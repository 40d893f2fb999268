"""Settings from `KEEPHOME_*` environment variables (and `.env`)."""

from __future__ import annotations

import difflib
import io
import ipaddress
import os
import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv.parser import parse_stream
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, DotEnvSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.paths import language_folders
from bot.tenants.phones import e164
from conversations.model import FlowSettings
from scheduler.opening import OpeningSpan

__all__ = [
    "LOG_LEVELS",
    "MAKE_A_SECRET",
    "MIN_SECRET_LENGTH",
    "NOT_SETTINGS",
    "ConfigError",
    "OpeningSpan",
    "Settings",
    "load_settings",
    "opening_spans",
    "served_url",
    "unknown_variables",
]

MIN_SECRET_LENGTH = 32
# How to make a secret: the command every line that asks for one shows (python3: Debian has no `python`).
MAKE_A_SECRET = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'
# The levels `KEEPHOME_LOG_LEVEL` may name, in any case.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_PREFIX = "KEEPHOME_"
# The only `KEEPHOME_` names in an environment that are no field of Settings, and who reads each: every other one is
# a typo that `load_settings` refuses (`unknown_variables`). The tools around keephome read the environment only, so
# in `.env` these are refused too.
NOT_SETTINGS = {
    "KEEPHOME_PYTHON": "the interpreter `./dev` makes its virtualenv with",
    "KEEPHOME_SCREENSHOT_DIR": "where tests/scenarios/test_browser.py saves the README's screenshots",
    "KEEPHOME_BENCH_PINNED": "bench/group_commit.py, marking the copy of itself it runs pinned to one core",
}


class ConfigError(Exception):
    """An inconsistent configuration: one line naming the variable and the fix."""


# A double-quoted name in a PostgreSQL search_path ("a ""b"", c" holds one name): a comma inside it separates nothing.
_QUOTED_NAME = re.compile(r'"(?:[^"]|"")*"')
# What Telegram's setWebhook takes as `secret_token`.
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return value.rstrip("/")


# Day names `KEEPHOME_ADVISER_HOURS` may use, Danish or English, full or short; 0 is Monday.
_DAYS = {
    name: number
    for number, names in enumerate(
        (
            ("man", "mandag", "mon", "monday"),
            ("tir", "tirs", "tirsdag", "tue", "tues", "tuesday"),
            ("ons", "onsdag", "wed", "wednesday"),
            ("tor", "tors", "torsdag", "thu", "thur", "thurs", "thursday"),
            ("fre", "fredag", "fri", "friday"),
            ("lør", "lørdag", "sat", "saturday"),
            ("søn", "søndag", "sun", "sunday"),
        )
    )
    for name in names
}
_TO = r"\s*(?:-|–|til|to)\s*"
_SPAN = re.compile(
    rf"(?P<first>[a-zæøå]+)\.?(?:{_TO}(?P<last>[a-zæøå]+)\.?)?,?\s*(?:kl\.?\s*)?"
    rf"(?P<oh>\d{{1,2}})(?:[.:](?P<om>\d{{2}}))?{_TO}(?P<ch>\d{{1,2}})(?:[.:](?P<cm>\d{{2}}))?"
)


def opening_spans(text: str) -> tuple[OpeningSpan, ...] | None:
    """`KEEPHOME_ADVISER_HOURS` read as days and hours ("man-fre 9-15", "Mon-Thu 9-15, Fri 9-12"), each language's
    `common.hours` text words them; None when it is other words, which every language then shows as written."""
    spans: list[OpeningSpan] = []
    for part in re.split(r";|,(?=\s*[a-zæøå])|\s+og\s+|\s+and\s+", text.strip().lower()):
        m = _SPAN.fullmatch(part.strip())
        if m is None or m["first"] not in _DAYS or (m["last"] is not None and m["last"] not in _DAYS):
            return None
        try:
            opens, closes = time(int(m["oh"]), int(m["om"] or 0)), time(int(m["ch"]), int(m["cm"] or 0))
        except ValueError:
            return None
        first = _DAYS[m["first"]]
        spans.append(OpeningSpan(first, _DAYS[m["last"]] if m["last"] else first, opens, closes))
    return tuple(spans) or None


def served_url(host: str, port: int) -> str:
    """Where a browser on this machine reaches the server on `host` and `port` (a wildcard host as 127.0.0.1)."""
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class Settings(BaseSettings):
    """Every setting keephome reads; the README lists them all."""

    model_config = SettingsConfigDict(env_prefix="KEEPHOME_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///keephome.db"
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str | None = None
    timezone: str = "Europe/Copenhagen"
    test_database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

    # Twilio
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    twilio_rate: float = Field(default=10.0, gt=0)

    # Telegram
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_secret: str | None = None
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_rate: float = Field(default=30.0, gt=0)
    telegram_chat_rate: float = Field(default=1.0, gt=0)
    telegram_bot: str = ""  # the bot's username, named in the SMS that carries a link code
    # Danish operators filter SMS with links unless the content is registered: off unless the operator says so.
    sms_links: bool = False

    # The housing organisation, shown in texts.
    org_name: str = "Boligselskabet"
    adviser_name: str = "økonomisk rådgiver"
    adviser_phone: str = "+4570000000"
    # Days and hours ("man-fre 9-15", "Mon-Thu 9-15, Fri 9-12"), worded in each language (templates/<language>/
    # common.hours), and the day a text asks for a call on (scheduler/opening.py); other words are shown as written,
    # in every language, and name no day.
    adviser_hours: str = "man-fre 9-15"
    kommune_phone: str = "+4570000001"
    languages: str = "da,en"
    fallback_language: str = "da"
    # The console's and the simulator's language unless a staff member chooses another in "Me" (bot/i18n.py).
    console_language: Literal["da", "en"] = "da"

    # Conversations
    paid_pause_days: int = Field(default=5, ge=0)
    nudge_after_hours: int = Field(default=24, ge=1)
    give_up_after_hours: int = Field(default=48, ge=1)
    consent_wording_version: str = "consent-v3"
    sms_segment_budget: int = Field(default=2, ge=1)
    # `keephome check` fails a Danish text of ten words or more whose LIX (readability) is above this.
    lix_max: int = Field(default=35, ge=1)
    forbidden_sms_words: str = (
        "gæld,restance,restancer,udsættelse,udsat,fogedret,fogeden,ophævelse,opsigelse,påkrav,"
        "debt,arrears,eviction,evict,bailiff,court,termination"
    )

    # Reminders
    quiet_start: time = time(20, 0)
    quiet_end: time = time(9, 0)
    quiet_on_holidays: bool = True
    before_due_days: int = Field(default=3, ge=0)
    demand_offsets: str = "7,3,1"
    # Almene boligorganisationer send påkrav by Digital Post: received the day it is sent.
    demand_delivery_days: int = Field(default=0, ge=0)
    balance_max_age_days: int = Field(default=7, ge=0)
    # Days after words of crisis that rent reminders are held and the tenant's case comes first (scheduler/crisis.py).
    crisis_hold_days: int = Field(default=7, ge=0)
    plan_hour: int = Field(default=9, ge=0, le=23)
    # An open case whose tenant has not written for this many days offers a phone call (bot/host/outreach.py).
    no_answer_days: int = Field(default=3, ge=1)
    # Whether this process may hold the scheduler / sender role; on PostgreSQL one process holds each at a time.
    run_scheduler: bool = True
    run_sender: bool = True
    # How often a process asks for a free role and confirms the roles it holds (PostgreSQL advisory locks).
    election_seconds: float = Field(default=2.0, gt=0)
    paused: bool = False
    retention_days: int = Field(default=30, ge=1)
    # Message texts (and conversation answers, outbox values, reminder reasons) of tenants without an open case,
    # and the notes and texts of cases closed, are blanked after these many days (bot/store/retention.py).
    retention_message_days: int = Field(default=365, ge=1)
    retention_case_days: int = Field(default=365, ge=1)

    # The organisation's report: what one eviction costs (kroner), for the estimated saving.
    eviction_cost: int = Field(default=50_000, ge=0)

    # Outbox
    outbox_batch: int = Field(default=50, ge=1)
    send_timeout_seconds: float = Field(default=15.0, gt=0)
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=14, ge=1)

    # Linking and security
    link_token_minutes: int = Field(default=60 * 24 * 7, ge=1)
    link_code_minutes: int = Field(default=60 * 24, ge=1)
    # Wrong link codes an hour across all Telegram chats; past it no code is checked until the hour is over.
    link_failure_budget: int = Field(default=30, ge=1)
    # Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated); none by default.
    trusted_proxies: str = ""
    # When set, GET /metrics answers only `Authorization: Bearer <token>` (401 otherwise).
    metrics_token: str | None = None
    # Requests one API key may make in a minute, counted in the database (all processes together); then 429.
    api_rate_per_minute: int = Field(default=600, ge=1)
    # The `keephome` command's own loggers' level (bot/cli/main.py); a field like the others, so `.env` sets it too.
    log_level: str = "INFO"

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_set(cls, v: str | None) -> str | None:
        # Set, it guards /metrics; an empty value (`KEEPHOME_METRICS_TOKEN=$TOKEN` with TOKEN unset) left it open
        # to anyone without a word, and one with a space no Prometheus `credentials` can send.
        if v is not None and (not v.strip() or any(c.isspace() for c in v)):
            raise ValueError(
                "KEEPHOME_METRICS_TOKEN is empty or holds a space, so it would guard nothing: set a token (e.g. "
                'python3 -c "import secrets; print(secrets.token_urlsafe(32))"), or remove the line to leave '
                "/metrics open"
            )
        return v

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        level = v.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"KEEPHOME_LOG_LEVEL: {v!r} is not a log level: use one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str) -> str:
        return _check_url("KEEPHOME_PUBLIC_URL", v, ("http", "https"))

    @field_validator("twilio_api_url")
    @classmethod
    def _twilio_url(cls, v: str) -> str:
        return _check_url("KEEPHOME_TWILIO_API_URL", v, ("http", "https"))

    @field_validator("telegram_api_url")
    @classmethod
    def _telegram_url(cls, v: str) -> str:
        url = _check_url("KEEPHOME_TELEGRAM_API_URL", v, ("http", "https"))
        # The library appends the token to this URL as it stands (or puts it where `{token}` is): without the Bot
        # API's `/bot` the token became the port or the host name, and the error that came back quoted it.
        if not (url.endswith("/bot") or "{token}" in url):
            raise ValueError(
                f"KEEPHOME_TELEGRAM_API_URL must end in /bot, the path the bot's token follows: {url}/bot (Telegram's "
                "own is https://api.telegram.org/bot)"
            )
        return url

    @field_validator("twilio_from")
    @classmethod
    def _twilio_from(cls, v: str | None) -> str | None:
        # The sender must take the tenants' answers, so it is a number (an alphanumeric sender cannot), in the form
        # Twilio wants: "70 10 20 30" was sent as From=70+10+20+30 and Twilio refused every SMS.
        if v is None or not v.strip():
            return None
        number = e164(v)
        if number is None:
            raise ValueError(
                f"KEEPHOME_TWILIO_FROM: {v!r} is not a phone number: set the reply-capable number Twilio gave the "
                "account, e.g. +4570102030 or 70 10 20 30 (a sender name cannot take the tenants' answers)"
            )
        return number

    @field_validator("telegram_secret")
    @classmethod
    def _telegram_secret(cls, v: str | None) -> str | None:
        # Telegram's setWebhook takes 1-256 of these characters only: `run` took a base64 secret, every webhook got
        # 403 and only `telegram set-webhook` failed. The value is a secret: the line does not show it.
        if v and not _TELEGRAM_SECRET.fullmatch(v):
            said = (
                f"is {len(v)} characters long, more than Telegram takes"
                if len(v) > 256
                else "holds a character Telegram refuses in a webhook secret"
            )
            raise ValueError(
                f"KEEPHOME_TELEGRAM_SECRET {said}: use only A-Z, a-z, 0-9, _ and -, 1 to 256 of them "
                f"(e.g. {MAKE_A_SECRET})"
            )
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, v: str) -> str:
        for entry in (e.strip() for e in v.split(",")):
            if not entry:
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"KEEPHOME_TRUSTED_PROXIES: {entry!r} is not an address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return v

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: str) -> str:
        codes = [code.strip().lower() for code in v.split(",") if code.strip()]
        have = [folder.name for folder in language_folders()]
        unknown = [code for code in codes if code not in have]
        if unknown or not codes:
            named = f"names {', '.join(unknown)}, for which keephome has no texts" if unknown else "names no language"
            raise ValueError(f"{named}: choose from {', '.join(have)}")
        return ",".join(codes)

    @field_validator("fallback_language")
    @classmethod
    def _fallback_language(cls, v: str) -> str:
        return v.strip().lower()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"KEEPHOME_TIMEZONE: {v!r} is not a time zone: write an IANA name such as Europe/Copenhagen"
            ) from None
        return v

    @field_validator("demand_offsets")
    @classmethod
    def _demand_offsets(cls, v: str) -> str:
        for entry in (e.strip() for e in v.split(",")):
            if entry and not re.fullmatch(r"[0-9]+", entry):
                raise ValueError(
                    f"KEEPHOME_DEMAND_OFFSETS: {entry!r} is not a number of days: write whole days before the "
                    "påkrav deadline, comma-separated (e.g. 7,3,1)"
                )
        return v

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        if not (v.startswith("sqlite+aiosqlite://") or v.startswith("postgresql+asyncpg://")):
            # A URL copied from elsewhere names the database but not the driver keephome talks to it with.
            scheme = v.partition("://")[0] if "://" in v else ""
            driver = {
                "postgres": "postgresql+asyncpg",
                "postgresql": "postgresql+asyncpg",
                "sqlite": "sqlite+aiosqlite",
            }
            if scheme.split("+")[0] in driver:
                right = driver[scheme.split("+")[0]]
                raise ValueError(
                    f"KEEPHOME_DATABASE_URL starts with {scheme}://: write {right}:// in its place (the rest stays "
                    "as it is)"
                )
            raise ValueError("KEEPHOME_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        # The whole URL is read here, so a mistake is one line at start, not a traceback from the engine.
        if v.startswith("sqlite+aiosqlite://") and not v.startswith("sqlite+aiosqlite:///"):
            raise ValueError(
                "KEEPHOME_DATABASE_URL for SQLite needs three slashes and a path: sqlite+aiosqlite:///keephome.db "
                "(four for an absolute path: sqlite+aiosqlite:////var/lib/keephome/keephome.db)"
            )
        try:
            url = make_url(v)
            _ = url.port  # a port that is not a number raises here
        except (ArgumentError, ValueError) as exc:
            raise ValueError(f"KEEPHOME_DATABASE_URL cannot be read: {exc}") from None
        search_path = url.query.get("search_path")
        if isinstance(search_path, str) and "," in _QUOTED_NAME.sub("", search_path):
            # PostgreSQL uses the first schema of the path that exists: with the first one missing, keephome read and
            # wrote (and migrated) the next, `public` say, where other tables may live.
            raise ValueError(
                f"KEEPHOME_DATABASE_URL: ?search_path= names one schema, keephome's own (not {search_path!r})"
            )
        if url.get_backend_name() == "postgresql" and (problem := _postgres_query(url.query)) is not None:
            raise ValueError(f"KEEPHOME_DATABASE_URL: {problem}")
        return v

    @model_validator(mode="after")
    def _public_url_where_served(self) -> Settings:
        # Unset, the links keephome gives (a password's setup link, a case in a notice) lead to where it serves.
        if "public_url" not in self.model_fields_set:
            self.public_url = served_url(self.host, self.port)
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if bool(self.twilio_account_sid) != bool(self.twilio_auth_token):
            missing = "KEEPHOME_TWILIO_AUTH_TOKEN" if self.twilio_account_sid else "KEEPHOME_TWILIO_ACCOUNT_SID"
            raise ValueError(f"{missing} is missing: set both Twilio credentials or neither")
        if self.sms_enabled and not (self.twilio_from or self.twilio_messaging_service_sid):
            raise ValueError(
                "KEEPHOME_TWILIO_FROM is missing: set it (or KEEPHOME_TWILIO_MESSAGING_SERVICE_SID) "
                "to a reply-capable sender"
            )
        if self.telegram_enabled and self.telegram_mode == "webhook" and not self.telegram_secret:
            raise ValueError(
                "KEEPHOME_TELEGRAM_SECRET is missing: webhook mode needs a secret token "
                "(or set KEEPHOME_TELEGRAM_MODE=polling)"
            )
        if self.sms_links and not self.telegram_bot:
            raise ValueError(
                "KEEPHOME_TELEGRAM_BOT is missing: KEEPHOME_SMS_LINKS needs the bot's username for t.me links"
            )
        if self.lease_seconds <= self.send_timeout_seconds:
            raise ValueError(
                "KEEPHOME_LEASE_SECONDS must be longer than KEEPHOME_SEND_TIMEOUT_SECONDS, "
                "or a slow send could be taken twice"
            )
        if self.fallback_language not in self.language_list:
            raise ValueError("KEEPHOME_FALLBACK_LANGUAGE must be one of KEEPHOME_LANGUAGES")
        if self.secret_key is not None and len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"KEEPHOME_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters (e.g. {MAKE_A_SECRET})"
            )
        return self

    def flow_settings(self) -> FlowSettings:
        """The part of the settings a conversation needs."""
        return FlowSettings(
            paid_pause_days=self.paid_pause_days,
            nudge_after_hours=self.nudge_after_hours,
            give_up_after_hours=self.give_up_after_hours,
            consent_wording_version=self.consent_wording_version,
            timezone=self.timezone,
        )

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    @property
    def adviser_hours_spans(self) -> tuple[OpeningSpan, ...] | None:
        """The adviser's hours as days and times, for each language to word (`opening_spans`)."""
        return opening_spans(self.adviser_hours)

    @property
    def forbidden_words(self) -> list[str]:
        return [w.strip().lower() for w in self.forbidden_sms_words.split(",") if w.strip()]

    @property
    def demand_offset_list(self) -> list[int]:
        return sorted({int(x) for x in self.demand_offsets.split(",") if x.strip()}, reverse=True)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [entry.strip() for entry in self.trusted_proxies.split(",") if entry.strip()]

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def _known_names() -> frozenset[str]:
    return frozenset(f"{_PREFIX}{name.upper()}" for name in Settings.model_fields)


def _unknown(name: str, env_file: str | None = None) -> str:
    """One clause for a `KEEPHOME_` name keephome does not read (`env_file`: the file it is in, if it is in one),
    with the name meant when one is close."""
    if name in NOT_SETTINGS:  # in a .env file: only the environment's are allowed
        return f"{name} in {env_file} is not read from there: set it in the environment"
    # Compared without the prefix every name shares, which would make any two names look alike.
    close = difflib.get_close_matches(
        name.removeprefix(_PREFIX), [n.removeprefix(_PREFIX) for n in (*_known_names(), *NOT_SETTINGS)], n=1
    )
    said = f"{name}{f' in {env_file}' if env_file else ''} is not a keephome setting"
    return f"{said} (did you mean {_PREFIX}{close[0]}?)" if close else f"{said} (the README's Settings list every one)"


def unknown_variables(environ: Mapping[str, str], env_file: str | Path | None) -> str | None:
    """The one line for the `KEEPHOME_` names in the environment or the `.env` file that keephome does not read
    (a typo would otherwise be ignored and its default taken), or None. Like the settings, names are read in any
    case; `NOT_SETTINGS` are allowed in the environment."""
    known = _known_names()
    problems = [
        _unknown(upper)
        for upper in sorted(n.upper() for n in environ)
        if upper.startswith(_PREFIX) and upper not in known and upper not in NOT_SETTINGS
    ]
    if env_file is not None:
        # Read as the settings read it (the same file, found the same way), and only the names it holds.
        in_file = DotEnvSettingsSource(Settings, env_file=env_file).env_vars
        problems += [
            _unknown(upper, str(env_file))
            for upper in sorted(n.upper() for n in in_file)
            if upper.startswith(_PREFIX) and upper not in known
        ]
    return "; ".join(problems) or None


# The parameters of a PostgreSQL URL keephome passes on: its schema, and asyncpg's `ssl` with the modes it takes.
# Any other went to asyncpg's connect() as a keyword it does not know (libpq's ?sslmode=require: a TypeError
# traceback at the first connection).
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _postgres_query(query: Mapping[str, str | tuple[str, ...]]) -> str | None:
    """What is wrong with a PostgreSQL URL's parameters, said with the fix; None when keephome can pass them on."""
    for name, value in query.items():
        if name == "search_path":
            continue
        if name in ("ssl", "sslmode"):
            if value not in _SSL_MODES:
                return f"?{name}={value} is no SSL mode: write ?ssl= with one of {', '.join(_SSL_MODES)}"
            if name == "sslmode":
                return f"?sslmode= is libpq's name: write ?ssl={value} (the name keephome's driver, asyncpg, reads)"
            continue
        return (
            f"?{name}= is not read by keephome's PostgreSQL driver (asyncpg): remove it (a PostgreSQL URL may carry "
            "?search_path= and ?ssl=)"
        )
    return None


# What a value of the wrong kind is told, in the words of the fix rather than pydantic's ("Input should be a valid
# boolean, unable to interpret input"). Only kinds no secret is of: the value is shown.
_KINDS = {
    "bool_parsing": "is not true or false: write true or false",
    "int_parsing": "is not a whole number: write digits only",
    "float_parsing": "is not a number: write digits, with a point before a fraction (0.5)",
    "time_parsing": "is not a time of day: write HH:MM, e.g. 20:00",
}


def _plain(kind: str, value: object, ctx: dict[str, Any]) -> str | None:
    """A value keephome cannot read as its setting's kind, or out of its range, said with the fix; None for any
    other problem (the validators' own lines say it already)."""
    if kind in _KINDS:
        return f"{str(value)!r} {_KINDS[kind]}"
    bounds = {
        "less_than_equal": ("le", "at most"),
        "greater_than_equal": ("ge", "at least"),
        "greater_than": ("gt", "more than"),
    }
    if kind in bounds:
        key, words = bounds[kind]
        bound = ctx[key]  # a float setting's bound is 0.0: said as 0
        shown = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return f"{str(value)!r} is out of range: write {words} {shown}"
    if kind == "literal_error":  # a setting of a few words (KEEPHOME_TELEGRAM_MODE, KEEPHOME_CONSOLE_LANGUAGE)
        return f"{str(value)!r} is not one of its values: write {ctx['expected']}"
    return None


def _unreadable_env(path: Path) -> str | None:
    """The line for a `.env` that cannot be read as settings: not UTF-8 (an editor's Latin-1 or "Western" writes ø
    as one byte; reading it ended in a UnicodeDecodeError traceback), or a line that is no `NAME=value` (python-dotenv
    only warned of it, and the setting quietly kept its default). None when it reads, or there is no such file."""
    try:
        data = path.read_bytes()
    except OSError:
        return None  # not there (or a folder): not read, as the settings' own reading does
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return f"{path} is not UTF-8 text (line {line}): save it with the encoding UTF-8"
    for binding in parse_stream(io.StringIO(text)):
        # A keephome name alone on its line ("KEEPHOME_PAUSED", no '=') reads as no value: its default was kept.
        bare = binding.value is None and (binding.key or "").upper().startswith("KEEPHOME_")
        if binding.error or bare:  # the line itself is not said: it may hold a secret
            return (
                f"{path} line {binding.original.line} is not NAME=value (a missing '=', or a quote not closed): "
                "write it as NAME=value, e.g. KEEPHOME_PAUSED=true"
            )
    return None


def load_settings(**overrides: object) -> Settings:
    """Read settings; a `KEEPHOME_` name keephome does not know, or an inconsistent configuration, raises
    ConfigError with one line."""
    env_file = overrides.get("_env_file", Settings.model_config.get("env_file"))
    if isinstance(env_file, str | Path) and (problem := _unreadable_env(Path(env_file))) is not None:
        raise ConfigError(problem)
    unknown = unknown_variables(os.environ, env_file if isinstance(env_file, str | Path) else None)
    if unknown is not None:
        raise ConfigError(unknown)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err.get("loc") or ()
        msg = _plain(err["type"], err.get("input"), err.get("ctx") or {}) or str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        if loc:
            field = str(loc[0])
            var = f"KEEPHOME_{field.upper()}"
            if var in msg:
                raise ConfigError(msg) from None
            raise ConfigError(f"{var}: {msg}") from None
        raise ConfigError(msg) from None
