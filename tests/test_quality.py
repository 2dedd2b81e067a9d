"""Project rules checked on every test run (and so in CI): import boundaries, lint, catalogues."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the test extra: pip install -e '.[test]'")
    return found


def test_import_boundaries_hold() -> None:
    result = subprocess.run(
        [_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


# The one cycle left, being taken apart (issue 14, part B: Live splits into small parts that
# never import their owner). Any other cycle fails.
KNOWN_CYCLES = [["app.live", "app.room"]]


def import_cycles() -> list[list[str]]:
    """Return the import graph's cycles (strongly connected modules), each sorted."""
    import grimp

    graph = grimp.build_graph(
        "tankesmedja", "app", "room_server", "facilitator_ui", cache_dir=None
    )
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(cycles)


def test_no_import_cycles_between_modules() -> None:
    assert import_cycles() == KNOWN_CYCLES


def test_the_cycle_check_sees_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A cycle made on purpose, in a copy of the tree, must be found.
    for package in ("tankesmedja", "app", "room_server", "facilitator_ui"):
        shutil.copytree(ROOT / package, tmp_path / package)
    paths = tmp_path / "app" / "paths.py"
    paths.write_text(paths.read_text("utf-8") + "\nfrom app import atomic  # noqa\n", "utf-8")
    atomic = tmp_path / "app" / "atomic.py"
    atomic.write_text(atomic.read_text("utf-8") + "\nfrom app import paths  # noqa\n", "utf-8")
    for name in [m for m in sys.modules if m.split(".")[0] in ("app", "tankesmedja")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    importlib.invalidate_caches()
    assert ["app.atomic", "app.paths"] in import_cycles()


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("folder", ["app/locales", "assets/i18n"])
def test_catalogues_have_the_same_keys_in_both_languages(folder: str) -> None:
    sv = json.loads((ROOT / folder / "sv.json").read_text("utf-8"))
    en = json.loads((ROOT / folder / "en.json").read_text("utf-8"))
    assert sorted(sv) == sorted(en)
    assert all(isinstance(v, str) and v for v in [*sv.values(), *en.values()])


def test_every_page_string_key_used_exists() -> None:
    import re

    sv = json.loads((ROOT / "assets/i18n/sv.json").read_text("utf-8"))
    html = (ROOT / "assets/index.html").read_text("utf-8")
    js = (ROOT / "assets/app.js").read_text("utf-8")
    used = set(re.findall(r'data-i18n(?:-placeholder)?="([a-z_]+)"', html))
    used |= set(re.findall(r'(?<![\w.])(?:t|setStatus)\("([a-z_]*[a-z])"', js))
    used |= {"error_" + c for c in re.findall(r'showError\("([a-z_]+)"\)', js)}
    assert used and used <= set(sv), used - set(sv)

    from app.protocol import ErrorCode

    assert {f"error_{c.value}" for c in ErrorCode} <= set(sv)
