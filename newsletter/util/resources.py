"""The data files the program reads, shipped inside the package: templates, rules, and the
signals documentation the web archive publishes (its methodology page).

The repository keeps ``templates/``, ``rules/`` and ``docs/`` at its top. The wheel carries
them as ``newsletter/_resources/templates``, ``newsletter/_resources/rules`` and
``newsletter/_resources/docs`` (only ``signals.md`` and ``signals.schema.json`` of it;
hatchling's ``force-include`` in pyproject.toml maps them at build time), and a checkout has
the same paths as symlinks to the top-level folders, so an editable install and an installed
wheel find them through the same :mod:`importlib.resources` lookup. The database
migrations are Python modules of :mod:`newsletter.store.migrations` and ship as such.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Literal

PACKAGE = "newsletter"
#: Where the bundled folders live inside the package.
RESOURCES = "_resources"


def bundled(name: Literal["templates", "rules", "docs"]) -> Traversable:
    """The shipped ``templates``, ``rules`` or ``docs`` folder."""
    return files(PACKAGE) / RESOURCES / name
