"""`keephome run`: the real service with the configured channels; no simulator, no clock control."""

from __future__ import annotations

import logging
import sys

from bot.settings import ConfigError, Settings, load_settings

__all__ = ["run_service", "run_settings"]

log = logging.getLogger(__name__)


def run_settings() -> Settings:
    """The environment's settings; `run` refuses to start without a secret key."""
    settings = load_settings()
    if not settings.secret_key:
        raise ConfigError(
            "KEEPHOME_SECRET_KEY is missing: `run` needs it to key the hashes it keeps instead of strangers' numbers "
            "and sign-in addresses "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
    return settings


async def run_service(settings: Settings) -> int:
    """Serve until stopped; 2 when the schema is not ready (a PostgreSQL schema that is behind)."""
    # Imported here, after the settings passed: a configuration problem is told at once, not after the whole
    # service (about 2 s of imports) has loaded.
    from bot.cli.serve import serve
    from bot.runtime import build_runtime
    from bot.store.migrate import prepare

    rt = build_runtime(settings)
    problem = await prepare(rt.db)
    if problem is not None:
        print(f"keephome: {problem}", file=sys.stderr)
        await rt.db.dispose()
        return 2
    if not rt.channels:
        log.warning("no channel is configured: set the Twilio or Telegram variables (see README)")
    return await serve(rt)
