"""What ``pip install .`` installs: the wheel holds every module and every data file.

Every other test runs against an editable install from the checkout, which sees files the
wheel may lack (that is how a missing ``app.export`` once crashed the installed console).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.check_wheel import ROOT, expected_in_wheel, missing_from_wheel, project_files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the project's files, as a user's clean clone has them."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know the project's files")
    src = tmp_path_factory.mktemp("src")
    for name in project_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("tankesmedja-*.whl")
    return built


def test_wheel_holds_every_module_and_data_file(wheel: Path) -> None:
    files = project_files()
    needed = expected_in_wheel(files)
    # The check covers what it must: the export package that was once left out, the page,
    # the PDF fonts, the catalogues and the icons.
    for name in (
        "app/export/pdf.py",
        "assets/app.js",
        "assets/fonts/DejaVuSans.ttf",
        "app/locales/sv.json",
        "assets/i18n/sv.json",
        "facilitator_ui/main_window.py",
        "room_server/server.py",
    ):
        assert name in needed
    assert missing_from_wheel(wheel, files) == []


def test_the_check_names_a_file_left_out(wheel: Path, tmp_path: Path) -> None:
    # A wheel without app/export/data.py (as the hand-kept package list once built it).
    lacking = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(lacking, "w") as dst:
        for item in src.infolist():
            if item.filename != "app/export/data.py":
                dst.writestr(item, src.read(item.filename))
    assert missing_from_wheel(lacking, project_files()) == ["app/export/data.py"]


def test_wheel_carries_the_version_and_the_command(wheel: Path) -> None:
    from app import __version__

    assert wheel.name.startswith(f"tankesmedja-{__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        assert "tankesmedja = tankesmedja.__main__:main" in archive.read(entry_points).decode()
