"""The PyInstaller bundle: what build.spec puts in it, and the built app's own self-test.

The spec tests are fast and always run. The bundle tests run the app that
``scripts/build_bundle.sh`` leaves in ``dist/tankesmedja/``: ``.ci/run`` builds it before
pytest, so in CI (``CI=true``) a missing bundle is a failure; locally they skip until you build.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from unittest import mock

import pytest

from app import __version__

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "tankesmedja"
IN_CI = os.environ.get("CI") == "true"
SELF_TEST_STEPS = [
    "participant page served",
    "one participant joined over WebSocket",
    "PDF rendered",
    "console window built",
]


def _bundle_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_data", ROOT / "scripts/bundle_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree_files(folder: str) -> set[str]:
    """Every file under ``folder`` that is data (not code, not litter), relative to ROOT."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
        and path.suffix not in {".py", ".pyc"}
        and "__pycache__" not in path.parts
        and not path.name.startswith(".")
    }


def test_bundle_data_covers_every_file_under_assets_and_locales() -> None:
    entries = _bundle_data().data_files(ROOT)
    listed = {Path(source).relative_to(ROOT).as_posix() for source, _ in entries}
    qss = {f for f in _tree_files("facilitator_ui") if f.endswith(".qss")}
    assert listed == _tree_files("assets") | _tree_files("app/locales") | qss
    # Each file lands in the folder of its package, where importlib.resources looks.
    for source, dest in entries:
        assert Path(source).parent.relative_to(ROOT).as_posix() == dest


def test_bundle_data_holds_what_the_app_opens() -> None:
    from room_server.static import WHITELIST

    entries = _bundle_data().data_files()
    listed = {Path(source).relative_to(ROOT).as_posix() for source, _ in entries}
    needed = {f"assets/{name}" for name, _ in WHITELIST.values()}
    needed |= {"assets/fonts/DejaVuSans.ttf", "assets/fonts/DejaVuSans-Bold.ttf"}
    needed |= {f"app/locales/{name}.json" for name in ("sv", "en", "export-sv", "export-en")}
    assert needed <= listed, needed - listed


def test_wheel_package_data_ships_the_same_files() -> None:
    """pip install . and the bundle must agree: every bundled file matches package-data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    for source, _ in _bundle_data().data_files(ROOT):
        relative = Path(source).relative_to(ROOT).as_posix()
        package, _, inside = relative.partition("/")
        patterns = package_data.get(package, [])
        assert any(_setuptools_glob(inside, p) for p in patterns), (relative, patterns)
    # ... and the other way round: what the wheel ships as data, the bundle carries too
    # (the style sheet once reached the wheel but not the bundle, whose window then failed).
    bundled = {Path(s).relative_to(ROOT).as_posix() for s, _ in _bundle_data().data_files(ROOT)}
    for package, patterns in package_data.items():
        for path in _tree_files(package):
            inside = path.removeprefix(package + "/")
            if any(_setuptools_glob(inside, p) for p in patterns):
                assert path in bundled, path


def _setuptools_glob(path: str, pattern: str) -> bool:
    # setuptools' package-data globs: "**/" matches any number of folders, none included.
    if pattern.startswith("**/"):
        return fnmatch.fnmatch(path, pattern[3:]) or fnmatch.fnmatch(path, pattern)
    return fnmatch.fnmatch(path, pattern)


class _Recorder:
    """Stand-ins for the names PyInstaller gives a spec, recording what the spec asks for."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}

    def __getitem__(self, name: str) -> Any:
        def build(*args: Any, **kwargs: Any) -> SimpleNamespace:
            self.calls.setdefault(name, []).append((args, kwargs))
            fields = {"scripts": [], "pure": [], "binaries": [], "datas": [], **kwargs}
            return SimpleNamespace(**fields)

        return build


def _exec_spec() -> _Recorder:
    recorder = _Recorder()
    names: dict[str, Any] = {"SPECPATH": str(ROOT), "__name__": "__main__"}
    for pyinstaller_name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        names[pyinstaller_name] = recorder[pyinstaller_name]
    source = (ROOT / "build.spec").read_text("utf-8")
    # The spec asks PyInstaller for the package metadata; the test venv has no PyInstaller.
    hooks = ModuleType("PyInstaller.utils.hooks")
    hooks.copy_metadata = lambda name: [(f"{name}.dist-info", f"{name}.dist-info")]  # type: ignore[attr-defined]
    hooks.collect_data_files = lambda name: [(f"{name}/data.json", name)]  # type: ignore[attr-defined]
    stubs = {
        "PyInstaller": ModuleType("PyInstaller"),
        "PyInstaller.utils": ModuleType("x"),
        "PyInstaller.utils.hooks": hooks,
    }
    with mock.patch.dict(sys.modules, stubs):
        exec(compile(source, "build.spec", "exec"), names)  # noqa: S102
    return recorder


def test_build_spec_uses_the_shared_list_launcher_and_hidden_imports() -> None:
    recorder = _exec_spec()
    [(args, kwargs)] = recorder.calls["Analysis"]
    assert [Path(p) for p in args[0]] == [ROOT / "scripts" / "launcher.py"]
    assert kwargs["datas"] == _bundle_data().data_files(ROOT) + [
        ("tankesmedja.dist-info", "tankesmedja.dist-info"),  # for --version
        ("stopwordsiso/data.json", "stopwordsiso"),  # the themes' stop-word lists
    ]
    assert "_rl_accel" in kwargs["hiddenimports"]
    assert {"tkinter", "PyQt5", "PyQt6"} <= set(kwargs["excludes"])
    [(_, collect)] = recorder.calls["COLLECT"]
    assert collect["name"] == "tankesmedja"
    assert all(kw["upx"] is False for _, kw in recorder.calls["EXE"])


@pytest.mark.parametrize(
    ("platform", "executables", "app_bundle"),
    [
        ("linux", {"tankesmedja": True}, False),
        # Windowed app plus a console twin that can print the self-test.
        ("win32", {"tankesmedja": False, "tankesmedja-cli": True}, False),
        ("darwin", {"tankesmedja": False}, True),
    ],
)
def test_build_spec_per_system(
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    executables: dict[str, bool],
    app_bundle: bool,
) -> None:
    """The Windows and macOS branches are not built in CI: check what they ask PyInstaller."""
    monkeypatch.delenv("TANKESMEDJA_CLI_TWIN", raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    recorder = _exec_spec()
    monkeypatch.undo()
    assert {kw["name"]: kw["console"] for _, kw in recorder.calls["EXE"]} == executables
    assert ("BUNDLE" in recorder.calls) == app_bundle
    if app_bundle:
        [(_, bundle)] = recorder.calls["BUNDLE"]
        assert bundle["name"] == "Tankesmedja.app"
        assert bundle["info_plist"]["CFBundleShortVersionString"] == __version__


def test_launcher_hands_over_to_the_console_script() -> None:
    """The bundle's entry script runs the same main() as the ``tankesmedja`` command."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "launcher.py"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tankesmedja ")


# --- the built bundle --------------------------------------------------------------------


def _bundle_executable() -> Path:
    # On Windows the windowed tankesmedja.exe has no stdout: the console twin reports.
    name = "tankesmedja-cli.exe" if sys.platform == "win32" else "tankesmedja"
    exe = BUNDLE / name
    if not exe.exists():
        if IN_CI:
            pytest.fail(f"{exe} is missing in CI: .ci/run must run scripts/build_bundle.sh")
        pytest.skip("no bundle: build it with scripts/build_bundle.sh")
    return exe


def _run_self_test(command: list[str], cwd: Path, platform: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env["QT_QPA_PLATFORM"] = platform
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=cwd, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    ok_lines = [line for line in result.stdout.splitlines() if line.startswith("self-test:")]
    assert ok_lines == [f"self-test: {step}: ok" for step in SELF_TEST_STEPS], output


def test_bundle_self_test_offscreen(tmp_path: Path) -> None:
    exe = _bundle_executable()
    # From a folder outside the checkout, so nothing is found in the source tree by accident.
    _run_self_test([str(exe), "--self-test"], tmp_path, "offscreen")


def test_bundle_self_test_on_an_x_screen(tmp_path: Path) -> None:
    """The xcb plugin and the X libraries it needs load from the bundle (a Linux desktop)."""
    exe = _bundle_executable()
    if not sys.platform.startswith("linux"):
        pytest.skip("xcb is Linux only")
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        if IN_CI:
            pytest.fail("xvfb-run is missing in CI: .ci/run must apt-get install xvfb")
        pytest.skip("xvfb-run is not installed")
    command = [xvfb_run, "-a", "-s", "-screen 0 1280x800x24", str(exe), "--self-test"]
    _run_self_test(command, tmp_path, "xcb")


def test_bundle_carries_the_current_data_files() -> None:
    _bundle_executable()
    internal = BUNDLE / "_internal"
    stale = []
    for source, dest in _bundle_data().data_files(ROOT):
        bundled = internal / dest / Path(source).name
        assert bundled.is_file(), f"{bundled} is missing from the bundle"
        if bundled.read_bytes() != Path(source).read_bytes():
            stale.append(f"{dest}/{Path(source).name}")
    if stale:
        message = f"the bundle is older than {stale}: rebuild with scripts/build_bundle.sh"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def test_bundle_has_the_qt_plugins_and_no_broken_links() -> None:
    _bundle_executable()
    plugins = BUNDLE / "_internal" / "PySide6" / "Qt" / "plugins" / "platforms"
    names = {path.name for path in plugins.iterdir()}
    if sys.platform.startswith("linux"):
        assert {"libqoffscreen.so", "libqxcb.so"} <= names, names
    broken = [p for p in BUNDLE.rglob("*") if p.is_symlink() and not p.exists()]
    assert not broken, broken


def test_bundle_version_comes_from_the_package_metadata(tmp_path: Path) -> None:
    exe = _bundle_executable()
    result = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.stdout.strip() == f"tankesmedja {__version__}", result.stderr
    assert (BUNDLE / "_internal" / f"tankesmedja-{__version__}.dist-info" / "METADATA").is_file()


def test_bundled_groups_command_runs_the_tabu_search(tmp_path: Path) -> None:
    """NumPy (the grouping engine's tabu search) loads in the bundle: strip must spare it."""
    exe = _bundle_executable()
    roster = tmp_path / "roster.csv"
    lines = ["id,name,municipality,role,attendance"]
    for i in range(24):
        lines.append(f"p{i},Person {i},Org {i},{'elected' if i % 3 else 'official'},in_room")
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # 24 people in fours for 6 rounds with roles: no design fits, the tabu search runs.
    command = [str(exe), "groups", "--roster", str(roster), "--size", "4", "--rounds", "6"]
    result = subprocess.run(
        [*command, "--time-limit", "1"], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "pair" in result.stderr
    rounds = json.loads(result.stdout)["rounds"]
    assert len(rounds) == 6
    for groups in rounds:
        assert sorted(i for g in groups for i in g) == sorted(f"p{i}" for i in range(24))
