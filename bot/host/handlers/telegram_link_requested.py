"""telegram_link_requested: a one-time code by SMS (and, where links are allowed in SMS, a deep link)."""

from __future__ import annotations

from typing import Any

from bot.host.turn import Turn
from bot.outbox.enqueue import enqueue
from bot.settings import Settings
from bot.store.scene import Scene
from bot.tenants import linking
from conversations.model import TelegramLinkRequested

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: TelegramLinkRequested, index: int, settings: Settings) -> Turn:
    """Queue the code SMS; earlier codes of the tenant stop working."""
    values: dict[str, Any] = {
        "code": linking.create_code(scene.conn, turn.tenant_id, turn.now, settings.link_code_minutes)
    }
    if settings.sms_links and settings.telegram_bot:
        # Danish operators filter SMS with links unless registered: only when the operator says it may.
        values["link"] = linking.deep_link(
            scene.conn, turn.tenant_id, turn.now, settings.link_token_minutes, settings.telegram_bot
        )
    enqueue(
        scene,
        now=turn.now,
        channel="sms",
        template="link.code",
        values=values,
        language=turn.language,
        idempotency_key=f"{turn.key}:{index}",
        tenant_id=turn.tenant_id,
    )
    return turn
