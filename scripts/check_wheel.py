"""Compare a built wheel with the tracked sources: every module and data file must be in it.

``pip install .`` installs what the wheel holds, nothing else; a module or page file missing
from it crashes the installed app while every editable-install test still passes. Used by
``tests/test_wheel.py`` and by CI's check of what a user gets (``scripts/check_installed.sh``).

    python scripts/check_wheel.py dist/tankesmedja-0.1.0-py3-none-any.whl

Exits 1 and names the missing files if any is missing.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Python packages whose every module must be installed.
CODE_FOLDERS = ("tankesmedja", "app", "facilitator_ui", "room_server")
#: Folders whose every file (page, fonts, icons, catalogues) is loaded at run time.
DATA_FOLDERS = ("assets", "app/locales")


def project_files(root: Path = ROOT) -> list[str]:
    """Return the project's files as git sees them: tracked, plus new ones not ignored."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    return sorted(name for name in out.split("\0") if name and (root / name).is_file())


def expected_in_wheel(files: list[str]) -> set[str]:
    """Return the paths (posix, relative) that an installed app needs, out of ``files``."""
    wanted: set[str] = set()
    for name in files:
        top = name.split("/", 1)[0]
        if top in CODE_FOLDERS and name.endswith(".py"):
            wanted.add(name)
        elif any(name.startswith(folder + "/") for folder in DATA_FOLDERS):
            if not name.endswith((".pyc", ".md")):
                wanted.add(name)
    return wanted


def missing_from_wheel(wheel: Path, files: list[str]) -> list[str]:
    """Return the needed files (see :func:`expected_in_wheel`) that ``wheel`` lacks."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    return sorted(expected_in_wheel(files) - names)


def main(argv: list[str]) -> int:
    """Check the wheel named in ``argv``; print what is missing; return the exit code."""
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    missing = missing_from_wheel(Path(argv[0]), project_files())
    for name in missing:
        print(f"missing from the wheel: {name}", file=sys.stderr)
    if not missing:
        print(f"check_wheel: {argv[0]} holds every module and data file", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
