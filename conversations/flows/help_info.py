"""help_info: the tenant's HJÆLP/HELP outside a question: what keephome is, who is behind it, how to reach a person."""

from __future__ import annotations

from conversations.flow import End, Flow

__all__ = ["HELP_INFO"]

HELP_INFO = Flow(
    name="help_info",
    version=2,
    start="about",
    steps={"about": End("help_given", "help_info.about")},
)
