"""Where keephome's own files are: the texts in `templates/` and the migrations in `migrations/`.

Both folders stay at the top of the repository and are installed inside the bot package as
`bot.templates` and `bot.migrations` (setup.py), folders without Python. One importlib lookup of those
package names finds them in a wheel, an editable install and a checkout alike; jinja2 and Alembic need real
folders, which an unpacked install has.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

__all__ = ["MIGRATIONS_DIR", "TEMPLATES_DIR", "language_folders"]

# A checkout run without installing (PYTHONPATH=.): the folders next to the package.
_CHECKOUT = Path(__file__).resolve().parent.parent


def _folder(package: str, checkout_name: str) -> Path:
    try:
        spec = find_spec(package)
    except ModuleNotFoundError:
        spec = None
    # A folder without __init__.py is a namespace package: its folder is its one search location.
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    found = Path(locations[0]) if locations else _CHECKOUT / checkout_name
    if not found.is_dir():
        raise FileNotFoundError(f"keephome's {checkout_name}/ folder is missing (looked in {found})")
    return found


TEMPLATES_DIR = _folder("bot.templates", "templates")
MIGRATIONS_DIR = _folder("bot.migrations", "migrations")


def language_folders(templates_dir: Path = TEMPLATES_DIR) -> list[Path]:
    """The languages keephome has texts for: each a folder of `templates_dir` with a meta.toml, sorted."""
    return sorted(meta.parent for meta in templates_dir.glob("*/meta.toml"))
