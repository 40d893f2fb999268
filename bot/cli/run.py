"""`keephome run`: the real service with the configured channels; no simulator, no clock control."""

from __future__ import annotations

import ipaddress
import logging
import sys
from urllib.parse import urlsplit

from bot.settings import MAKE_A_SECRET, ConfigError, Settings, load_settings

__all__ = [
    "on_this_machine",
    "placeholder_settings",
    "plain_http",
    "run_service",
    "run_settings",
    "unnamed_bot",
    "unreachable_public_url",
]

log = logging.getLogger(__name__)


def run_settings() -> Settings:
    """The environment's settings; `run` refuses to start without a secret key, or with the example name and numbers
    the texts give tenants while a real provider carries them."""
    settings = load_settings()
    if not settings.secret_key:
        raise ConfigError(
            "KEEPHOME_SECRET_KEY is missing: `run` needs it to key the hashes it keeps instead of strangers' numbers "
            f"and sign-in addresses (e.g. {MAKE_A_SECRET})"
        )
    if (problem := placeholder_settings(settings) or unnamed_bot(settings)) is not None:
        raise ConfigError(problem)
    return settings


def unnamed_bot(settings: Settings) -> str | None:
    """The SMS that carries a Telegram link code would say only "write the code to us on Telegram", naming no bot a
    tenant can find, when a real Telegram bot and SMS are both on and the bot's username is not set."""
    if not (_real_telegram(settings) and settings.sms_enabled) or settings.telegram_bot:
        return None
    return (
        "KEEPHOME_TELEGRAM_BOT is missing: the SMS with a Telegram code tells tenants which bot to write to: set the "
        "bot's username (e.g. BoligselskabetBot)"
    )


# The numbers the texts give tenants to call, as long as they are the examples keephome ships with.
_TOLD_TO_TENANTS = ("adviser_phone", "kommune_phone")


def placeholder_settings(settings: Settings) -> str | None:
    """The organisation's name every text is signed with, or the numbers tenants are told to call ("Ring til os i dag
    på …"), still at keephome's examples while a real provider carries the texts: every reminder would come from a
    name that is no one's and send tenants to a number that is nobody's. None otherwise (the demo, and tests whose
    providers are stand-ins on this machine, keep the examples)."""
    if not (_real_sms(settings) or _real_telegram(settings)):
        return None
    problems = []
    if settings.org_name == (example := Settings.model_fields["org_name"].default):
        problems.append(
            f"KEEPHOME_ORG_NAME is still keephome's example {example}: the texts are signed with it: set the "
            "organisation's name"
        )
    left = [
        f"KEEPHOME_{name.upper()} is still keephome's example {default}"
        for name in _TOLD_TO_TENANTS
        if getattr(settings, name) == (default := Settings.model_fields[name].default)
    ]
    if left:
        problems.append(f"{'; '.join(left)}: the texts tell tenants to call it: set the real number")
    return "; ".join(problems) or None


# Whether a real provider carries the channel: one on another machine, not a stand-in on this one (a test).
def _real_sms(settings: Settings) -> bool:
    return settings.sms_enabled and not on_this_machine(settings.twilio_api_url)


def _real_telegram(settings: Settings) -> bool:
    return settings.telegram_enabled and not on_this_machine(settings.telegram_api_url)


def on_this_machine(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unreachable_public_url(settings: Settings) -> str | None:
    """What cannot work when the public address is this machine's own while a real provider posts to it: Twilio
    signs each webhook with the address it posted to (so every one is refused) and sends the delivery reports
    there, and Telegram is told to post there. None when no provider on another machine posts to it."""
    if not on_this_machine(settings.public_url):
        return None
    providers = []
    if _real_sms(settings):
        providers.append("Twilio")
    if _real_telegram(settings) and settings.telegram_mode == "webhook":
        providers.append("Telegram")
    if not providers:
        return None
    return (
        f"KEEPHOME_PUBLIC_URL is {settings.public_url}, an address on this machine: {' and '.join(providers)} "
        "cannot post replies or delivery reports to it, and every webhook will be refused; set it to the https "
        "address the providers reach (see README)"
    )


def plain_http(settings: Settings) -> str | None:
    """What crosses the network unencrypted when keephome is reached from other machines over http: staff passwords
    and sessions (whose cookies are marked Secure only under an https KEEPHOME_PUBLIC_URL) and tenants' messages. None
    when the public address is https, or when both it and the listening address are this machine's own."""
    if urlsplit(settings.public_url).scheme == "https":
        return None
    if on_this_machine(settings.public_url) and on_this_machine(_as_url(settings.host)):
        return None
    return (
        f"KEEPHOME_PUBLIC_URL is {settings.public_url} and keephome listens on {settings.host}: staff passwords, "
        "sessions and tenants' messages would cross the network unencrypted, and the console's cookies are not "
        "marked Secure; serve it behind TLS (README: the nginx example) and set KEEPHOME_PUBLIC_URL to its https "
        "address"
    )


def _as_url(host: str) -> str:
    """A listening address as a URL `on_this_machine` reads (an IPv6 address in brackets)."""
    return f"http://[{host}]" if ":" in host else f"http://{host}"


async def run_service(settings: Settings) -> int:
    """Serve until stopped; 2 when the schema is not ready (a PostgreSQL schema that is behind)."""
    # Imported here, after the settings passed: a configuration problem is told at once, not after the whole
    # service (about 2 s of imports) has loaded.
    from bot.cli.key_check import other_key
    from bot.cli.serve import serve
    from bot.runtime import build_runtime
    from bot.store.db import utcnow
    from bot.store.election import AnotherProcess, sqlite_alone
    from bot.store.migrate import prepare

    try:
        release = sqlite_alone(settings.database_url)  # before anything touches the file: a second run stops here
    except AnotherProcess as exc:
        print(f"keephome: {exc}", file=sys.stderr)
        return 2
    try:
        rt = build_runtime(settings)
        problem = await prepare(rt.db) or await other_key(rt.db, settings.secret_key, utcnow())
        if problem is not None:
            print(f"keephome: {problem}", file=sys.stderr)
            await rt.db.dispose()
            return 2
        if not rt.channels:
            log.warning("no channel is configured: set the Twilio or Telegram variables (see README)")
        elif (problem := unreachable_public_url(settings)) is not None:
            log.warning(problem)
        if (problem := plain_http(settings)) is not None:
            log.warning(problem)
        return await serve(rt)
    finally:
        if release is not None:
            release()
