"""The keyed hash `unknown_senders` keeps instead of a stranger's phone number or chat id.

Here, beneath both of its readers: the inbound path that meets strangers (bot/inbound/strangers.py) and the import
that gives a number to a tenant after its stranger said STOP (bot/tenants/said_stop.py) must hash alike.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["stranger_key"]


def stranger_key(secret: str, channel: str, address: str) -> str:
    """The keyed hash `unknown_senders` keeps instead of a phone number or chat id."""
    return hmac.new(secret.encode(), f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()
