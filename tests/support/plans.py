"""PostgreSQL's plans as `EXPLAIN (FORMAT JSON)` gives them: every node of the tree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["plan_nodes"]


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The plan's node and every node below it, depth first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)
