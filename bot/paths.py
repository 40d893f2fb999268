"""Where keephome's own files are: the texts in `templates/` and the migrations in `migrations/`."""

from __future__ import annotations

from pathlib import Path

__all__ = ["MIGRATIONS_DIR", "TEMPLATES_DIR"]

_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = _ROOT / "templates"
MIGRATIONS_DIR = _ROOT / "migrations"
