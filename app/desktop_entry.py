"""``tankesmedja desktop-entry``: put Tankesmedja in the Linux application menu.

``pip install .`` and the one-folder bundle put a program on disk but nothing in the desktop's
menu. This writes a freedesktop.org desktop entry and the app icon into the user's data folder
(``~/.local/share/applications`` and ``~/.local/share/icons/hicolor``), pointing at the
program that runs it, so the facilitator finds "Tankesmedja" with its icon like any other app.
Nothing outside the user's own folders is touched; running it again replaces the files.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from importlib import resources
from pathlib import Path

from app.atomic import write_atomic

APP_ID = "se.tankesmedja.Tankesmedja"
ICON_NAME = "tankesmedja"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def data_home() -> Path:
    """Return ``$XDG_DATA_HOME`` (default ``~/.local/share``)."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def program() -> str:
    """Return the command that starts this installation's console, as an absolute path."""
    if getattr(sys, "frozen", False):  # the bundle's executable
        return str(Path(sys.executable).resolve())
    launcher = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if launcher is not None and launcher.name == "tankesmedja" and launcher.is_file():
        return str(launcher)
    return f"{Path(sys.executable).resolve()} -m tankesmedja"


def entry_text(command: str) -> str:
    """Return the desktop entry (freedesktop.org Desktop Entry 1.5) that runs ``command``."""
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.5",
            "Name=Tankesmedja",
            "GenericName=Workshop facilitation",
            "GenericName[sv]=Processledning för workshoppar",
            "Comment=Run a cross-municipal think tank: join by QR code, groups, reflections",
            "Comment[sv]=Led en tankesmedja: QR-anslutning, grupper, reflektioner, rapporter",
            f"Exec={command}",
            f"Icon={ICON_NAME}",
            "Terminal=false",
            "Categories=Office;Education;",
            "Keywords=workshop;facilitation;tankesmedja;QR;",
            f"StartupWMClass={APP_ID.rsplit('.', 1)[-1]}",
            "",
        ]
    )


def install(home: Path | None = None, command: str | None = None) -> list[Path]:
    """Write the desktop entry and the icons under ``home``; return the files written."""
    home = home or data_home()
    # The Exec key quotes like a shell word list; a path with spaces must stay one word.
    words = shlex.split(command) if command else shlex.split(program())
    exec_line = " ".join(shlex.quote(word) for word in words)
    written: list[Path] = []
    entry = home / "applications" / f"{APP_ID}.desktop"
    entry.parent.mkdir(parents=True, exist_ok=True)
    text = entry_text(exec_line).encode("utf-8")
    write_atomic(entry, lambda out: out.write(text))
    written.append(entry)
    icons = resources.files("assets").joinpath("icons")
    for size in ICON_SIZES:
        target = home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = icons.joinpath(f"tankesmedja-{size}.png").read_bytes()
        write_atomic(target, lambda out, data=data: out.write(data))
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    """Run ``tankesmedja desktop-entry``; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="tankesmedja desktop-entry",
        description="Add Tankesmedja (with its icon) to your desktop's application menu.",
    )
    parser.add_argument(
        "--print", action="store_true", help="print the desktop entry instead of installing it"
    )
    args = parser.parse_args(argv)
    if args.print:
        sys.stdout.write(entry_text(program()))
        return 0
    try:
        written = install()
    except OSError as exc:
        print(
            f"tankesmedja desktop-entry: cannot write {exc.filename}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    for path in written[:1]:
        print(f"Added to the application menu: {path}")
    return 0
