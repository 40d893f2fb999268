"""help_info: the tenant's HJÆLP/HELP outside a question: what keephome is, who is behind it, how to reach a person."""

from __future__ import annotations

from conversations.flow import End, Flow

__all__ = ["HELP_INFO"]

HELP_INFO = Flow(
    name="help_info",
    version=2,
    start="about",
    steps={"about": End("help_given", "help_info.about")},
    # Whether the tenant's yes to the advisers stands: the text says an adviser reads their answers, or reads along
    # only after a yes ("er det en robot?" is answered with what is true at that moment).
    # `scam`: the tenant asked whether the message is a fraud; the text says first what keephome never asks for.
    shows=("consented", "scam"),
)
