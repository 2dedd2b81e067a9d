"""The console in a real X window under Xvfb: it maps, and its QR code scans from the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_console_window_on_xvfb_shows_a_scannable_qr(tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("xvfb-run is missing in CI: .ci/run must apt-get install xvfb")
        pytest.skip("xvfb-run not installed (apt-get install xvfb xauth)")
    import zxingcpp
    from PIL import Image

    out = tmp_path / "screen.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1600x1000x24",
            sys.executable,
            str(ROOT / "scripts" / "screenshot_console.py"),
            "--whole-screen",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    join_url = result.stdout.splitlines()[0]
    image = Image.open(out)
    assert image.size == (1600, 1000)
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [join_url]
