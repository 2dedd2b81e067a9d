"""Benchmark of the participant page's first render on loopback (prints a table; not a test).

Run: ``python bench/page.py [--runs 10]``. Needs Debian's ``chromium`` and Python Playwright.

The real room server runs on 127.0.0.1 with a temporary workshop. Each run opens the join
address (as scanned from the QR code) in a fresh headless Chromium context, so nothing is
cached and there is no resume token: the page loads, fetches its catalogue, opens the WebSocket,
gets ``welcome`` and shows the join form. Times are from navigation start, read from the page's
own performance timeline:

- first paint / first contentful paint: ``performance.getEntriesByType('paint')``;
- DOMContentLoaded and load: the navigation entry;
- join form shown: when ``#join-form`` loses ``hidden`` (a MutationObserver installed by the
  benchmark before the page's own script runs), and the next animation frame after it, which is
  when the form is on screen.

Once as it runs on this machine, and once with the CPU slowed 4x
(``Emulation.setCPUThrottlingRate``), roughly a five-year-old mid-range phone. Loopback leaves
the network out; Wi-Fi in a meeting room adds its round trips (four requests and a WebSocket).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.room import Room  # noqa: E402
from app.store import Store  # noqa: E402
from room_server import static  # noqa: E402
from room_server.server import RoomServer  # noqa: E402
from scripts.chromium import CHROMIUM  # noqa: E402
from scripts.chromium import launch as launch_chromium  # noqa: E402

PHONE = {"width": 390, "height": 844}

# Installed before the page's script: notes when the join form is shown and then drawn.
OBSERVE = """
new MutationObserver((records, observer) => {
  const form = document.getElementById('join-form');
  if (!form || form.hidden) return;
  window.__formShown = performance.now();
  requestAnimationFrame(() => { window.__formFrame = performance.now(); });
  observer.disconnect();
}).observe(document, {subtree: true, childList: true, attributes: true,
                      attributeFilter: ['hidden']});
"""

READ = """() => {
  const paint = Object.fromEntries(performance.getEntriesByType('paint')
    .map((e) => [e.name, e.startTime]));
  const [nav] = performance.getEntriesByType('navigation');
  return {fp: paint['first-paint'], fcp: paint['first-contentful-paint'],
          dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          shown: window.__formShown, frame: window.__formFrame};
}"""

METRICS = (
    ("fp", "first paint"),
    ("fcp", "first contentful paint"),
    ("dcl", "DOMContentLoaded"),
    ("load", "load event"),
    ("shown", "join form shown"),
    ("frame", "join form on screen"),
)


async def _one_run(browser: object, url: str, throttle: float) -> dict[str, float]:
    context = await browser.new_context(viewport=PHONE, locale="sv-SE")  # type: ignore[attr-defined]
    try:
        await context.add_init_script(OBSERVE)
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        await page.goto(url)
        await page.wait_for_selector("#join-form:not([hidden])")
        for _ in range(200):  # the frame callback and the load event may still be on their way
            times = await page.evaluate(READ)
            if times["frame"] is not None and times["load"]:
                return {k: float(v) for k, v in times.items()}
            await asyncio.sleep(0.01)
        raise RuntimeError(f"incomplete timings: {times}")
    finally:
        await context.close()


async def _measure(runs: int) -> dict[float, list[dict[str, float]]]:
    from playwright.async_api import async_playwright

    results: dict[float, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "workshop.sqlite3")
        server = RoomServer(Room(store), "127.0.0.1", 0)
        await server.start()
        try:
            async with async_playwright() as pw:
                browser = await launch_chromium(pw)
                await _one_run(browser, server.join_url, 1)  # warm up the browser process
                for throttle in (1.0, 4.0):
                    results[throttle] = [
                        await _one_run(browser, server.join_url, throttle) for _ in range(runs)
                    ]
                await browser.close()
        finally:
            await server.stop()
            store.close()
    return results


def _page_bytes() -> str:
    files = static.load()
    sizes = {path: len(f.body) for path, f in files.items() if path != "/index.html"}
    total = sum(v for k, v in sizes.items() if k != "/i18n/en.json")
    return (
        f"page: {total:,} bytes uncompressed (html {sizes['/']:,}, js {sizes['/app.js']:,}, "
        f"css {sizes['/style.css']:,}, sv catalogue {sizes['/i18n/sv.json']:,}, "
        f"favicon {sizes['/favicon.svg']:,}); 4 requests + 1 WebSocket"
    )


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table of medians (and the slowest run) in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per CPU setting")
    parser.add_argument("--json", action="store_true", help="also print every run as JSON")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("chromium not found (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    results = asyncio.run(_measure(args.runs))
    print(_page_bytes())
    print(f"Chromium headless, 390x844, loopback; median of {args.runs} runs (slowest), ms")
    header = f"{'from navigation start to':<26}" + "".join(f"{f'CPU {t:g}x':>20}" for t in results)
    print(header)
    print("-" * len(header))
    for key, label in METRICS:
        cells = []
        for runs in results.values():
            values = [r[key] for r in runs]
            cells.append(f"{statistics.median(values):>11.0f} ({max(values):>5.0f})")
        print(f"{label:<26}" + "".join(f"{c:>20}" for c in cells))
    if args.json:
        print(json.dumps({str(k): v for k, v in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
