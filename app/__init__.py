"""Tankesmedja domain core: model, rules, storage, protocol and exports (no Qt, no network)."""

from __future__ import annotations

#: The one place the version is written; ``pyproject.toml`` reads it when the wheel is built.
__version__ = "0.1.0"


def installed_version() -> str:
    """Return the version of the installed distribution (its metadata), as ``--version`` says.

    Falls back on :data:`__version__` when the code runs from a checkout that was never
    installed. The bundle carries the metadata too (``build.spec``).
    """
    from importlib import metadata

    try:
        return metadata.version("tankesmedja")
    except metadata.PackageNotFoundError:
        return __version__
