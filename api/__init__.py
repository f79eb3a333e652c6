"""The application: app factory, JSON routes, settings and the command line.

Nothing imports api; its public surface is its entry points: the app factories (for
uvicorn and tests) and the CLI's ``main`` (the ``moc-catalog`` script).
"""

from catalog.surface import lazy_exports

_HOMES = {"app_from_env": "app", "create_app": "app", "main": "cli"}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
