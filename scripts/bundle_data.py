"""What goes into the PyInstaller bundle besides code: one list, shared by the spec and tests.

``build.spec`` imports this file by path (PyInstaller runs the spec with ``exec``, so the spec
cannot use package-relative imports) and ``tests/test_bundle.py`` checks it against the tree.

Inside the bundle the files keep the layout of the packages they belong to
(``assets/fonts/DejaVuSans.ttf``, ``app/locales/sv.json``, ``facilitator_ui/console.qss``),
because the app finds them with ``importlib.resources.files("assets")`` and ``files("app")``:
PyInstaller's resource reader serves a package's data from the folder of the same name next
to the frozen modules.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _package_data(root: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return ``(package folder, glob patterns relative to it)`` from ``pyproject.toml``.

    The wheel's ``[tool.setuptools.package-data]`` is the one list of data files: a hand-kept
    second list here once left the console's style sheet out of the bundle, which then could
    not open its window. Globs rather than file names, so a new page file, font or locale
    needs no edit at all; ``tests/test_bundle.py`` checks that nothing is left out.
    """
    config = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    return tuple((package, tuple(patterns)) for package, patterns in package_data.items())


# Never data: Python sources are bundled as (compiled) modules, caches are build litter.
_SKIP_SUFFIXES = {".py", ".pyc", ".pyo"}
_SKIP_PARTS = {"__pycache__"}


def _wanted(path: Path) -> bool:
    return (
        path.is_file()
        and path.suffix not in _SKIP_SUFFIXES
        and not _SKIP_PARTS.intersection(path.parts)
        and not path.name.startswith(".")
    )


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """Return PyInstaller ``datas`` entries: ``(source file, destination folder)`` pairs.

    Each file is listed on its own (not whole folders) so that the list can be checked and
    so that ``__init__.py`` and caches never land in the bundle as data.
    """
    entries: list[tuple[str, str]] = []
    for folder, patterns in _package_data(root):
        base = root / folder
        seen: set[Path] = set()
        for pattern in patterns:
            for path in sorted(base.glob(pattern)):
                if path in seen or not _wanted(path):
                    continue
                seen.add(path)
                dest = path.parent.relative_to(root).as_posix()
                entries.append((str(path), dest))
    return entries


if __name__ == "__main__":
    for source, dest in data_files():
        print(f"{dest:<20} {Path(source).relative_to(ROOT)}")
