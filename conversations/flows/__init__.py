"""The registry of flows: an explicit dict, no registration by import side effect."""

from __future__ import annotations

from collections.abc import Mapping

from conversations.flow import Flow
from conversations.flows.help_info import HELP_INFO
from conversations.flows.payment_check import PAYMENT_CHECK
from conversations.flows.share_consent import SHARE_CONSENT
from conversations.flows.telegram_offer import TELEGRAM_OFFER
from conversations.flows.withdraw_choice import WITHDRAW_CHOICE
from conversations.flows.withdraw_consent import WITHDRAW_CONSENT

__all__ = ["FLOWS"]

FLOWS: Mapping[str, Flow] = {
    flow.name: flow
    for flow in (PAYMENT_CHECK, HELP_INFO, WITHDRAW_CONSENT, TELEGRAM_OFFER, SHARE_CONSENT, WITHDRAW_CHOICE)
}
