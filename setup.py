"""Packages for setuptools; everything else is in pyproject.toml.

templates/ and migrations/ stay top-level in the repository and are installed as bot.templates and
bot.migrations (their folders as data-only packages), so the wheel carries them and bot/paths.py finds
them with importlib.resources.
"""

from setuptools import find_namespace_packages, find_packages, setup

DATA = {"bot.templates": "templates", "bot.migrations": "migrations"}

packages = find_packages(include=["bot*", "conversations*", "scheduler*"])
for package, folder in DATA.items():
    packages += [package, *(f"{package}.{sub}" for sub in find_namespace_packages(where=folder))]

setup(packages=packages, package_dir=DATA)
