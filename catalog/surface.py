"""Lazy re-exports for a package's ``__init__``: its public names, loaded on first use.

A package lists the names other packages may import and the module of its own that defines
each; ``from catalog import make_engine`` then works without ``import catalog`` loading every
module (the CLI and each worker process import only what they use).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` (PEP 562) resolving ``homes[name]`` inside ``package``."""

    def __getattr__(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        home = import_module(f"{package}.{homes[name]}")
        return home if homes[name] == name else getattr(home, name)

    return __getattr__
