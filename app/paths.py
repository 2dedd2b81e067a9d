"""Where Tankesmedja keeps its data and listens by default (no Qt: the room server uses it too)."""

from __future__ import annotations

from pathlib import Path

#: The port the room server asks for when none is set: the one definition, used by the room
#: server, the command line and the console's settings dialog.
DEFAULT_PORT = 8765


def default_data_dir() -> Path:
    """Return the user's data folder for Tankesmedja (platform convention, via platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("tankesmedja", appauthor=False))


def simulation_data_dir() -> Path:
    """Return the default folder of ``tankesmedja simulate``: apart from the real workshop.

    A rehearsal adds dozens of made-up participants and cards; in the real workshop's
    database they would end up in the organisers' PDFs.
    """
    return default_data_dir() / "simulation"


def default_config_dir() -> Path:
    """Return the user's config folder for Tankesmedja: the relay's key and pinned host key.

    Kept apart from workshop files, which are handed around; nothing here belongs in one.
    """
    from platformdirs import user_config_dir

    return Path(user_config_dir("tankesmedja", appauthor=False))
