"""help_info: the help that exists, in plain words, with contacts."""

from __future__ import annotations

from conversations.flow import End, Flow

__all__ = ["HELP_INFO"]

HELP_INFO = Flow(
    name="help_info",
    version=1,
    start="info",
    steps={"info": End("info_given", "help_info.text")},
)
