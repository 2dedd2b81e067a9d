"""Debian's headless Chromium, as the tests, the page benchmark and the page screenshots run it.

Without the background-networking flags Chromium keeps calling hosts of its own (updates,
sync), which a closed room network refuses and which tests and benchmarks must never reach:
they talk to 127.0.0.1 only.
"""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def launch(playwright: Any) -> Any:
    """Start Debian's Chromium through a Playwright instance; return the browser."""
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
