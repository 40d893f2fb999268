"""A STOP said from a number before any tenant had it, kept for the number.

The inbound path keeps it on the number's row in `unknown_senders` (bot/inbound/strangers.py, `keep_stop`): a keyed
hash of the number, never the number, until the number says START.
"""

from __future__ import annotations

__all__ = ["NUMBER_CHANNEL"]

# The channel whose address is a phone number: its strangers' STOPs are kept for the number.
NUMBER_CHANNEL = "sms"
