"""Startup benchmark: from launching the console to its window shown (first paint done).

Not a test: run it by hand, e.g. ``/work/venv/bin/python bench/startup.py``. Target: under 2 s.

Measures ``python -m tankesmedja`` (this interpreter's venv) and, if it has been built, the bundle
``dist/tankesmedja/tankesmedja``; each on Qt's offscreen platform and, when Xvfb is installed,
on a real X server with the xcb plugin (what a Linux desktop loads, so more realistic).

Every run starts the full console (``--data-dir`` in a temp folder, ``--host 127.0.0.1
--port 0``) with ``TANKESMEDJA_REPORT_SHOWN=1``, which makes the app print
``window shown <s>`` once the main window has painted (seconds since the OS created the
process, see ``tankesmedja.__main__._report_first_paint``), then stops it with SIGTERM.
The first run of each case creates the workshop database (a facilitator's very first start);
the median, min and max are of the next ``--runs`` runs, which open the existing database.
Two figures per case: ``app`` is the app's own (process creation to first paint, 10 ms
resolution); ``wall`` is this script's, from just before it spawns the process to reading
the line, so it also covers ``fork``/``exec`` and the pipe; ``cpu`` is the user+system CPU
time the app had used by then, which other load on the machine hardly changes (on a shared
2-core machine the wall figures move a lot, the CPU figure much less).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "tankesmedja" / "tankesmedja"
TARGET_S = 2.0
TIMEOUT_S = 30.0


def one_run(command: list[str], data_dir: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Start the console once; return app-reported, wall-clock and CPU seconds to window shown."""
    args = [*command, "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", "0"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=data_dir,
    )
    watchdog = threading.Timer(TIMEOUT_S, proc.kill)
    watchdog.start()
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("window shown "):
                wall = time.perf_counter() - started
                cpu = psutil.Process(proc.pid).cpu_times()
                return float(line.split()[2]), wall, cpu.user + cpu.system
            seen.append(line)
        raise RuntimeError(
            f"{args[0]} showed no window within {TIMEOUT_S:.0f} s (a bundle built before"
            f" TANKESMEDJA_REPORT_SHOWN existed never reports it: rebuild):\n{''.join(seen)}"
        )
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the console closes the normal way
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def xvfb() -> Iterator[str | None]:
    """Yield the DISPLAY of a private Xvfb server, or None if Xvfb is not installed."""
    binary = shutil.which("Xvfb")
    if binary is None:
        yield None
        return
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [binary, "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench_case(command: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """First run on a new data dir, then ``runs`` runs on the same one; return the figures."""
    with tempfile.TemporaryDirectory(prefix="tankesmedja-bench-") as tmp:
        first_app, first_wall, _ = one_run(command, Path(tmp), env)
        apps, walls, cpus = [], [], []
        for _ in range(runs):
            app_s, wall_s, cpu_s = one_run(command, Path(tmp), env)
            apps.append(app_s)
            walls.append(wall_s)
            cpus.append(cpu_s)
    return {
        "first_app": first_app,
        "first_wall": first_wall,
        "median_app": statistics.median(apps),
        "median_wall": statistics.median(walls),
        "min_wall": min(walls),
        "max_wall": max(walls),
        "median_cpu": statistics.median(cpus),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per case (default 5)")
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter for python -m tankesmedja"
    )
    parser.add_argument("--bundle", type=Path, default=BUNDLE, help="bundled executable")
    parser.add_argument("--no-xvfb", action="store_true", help="offscreen only")
    args = parser.parse_args()

    targets = [("python -m tankesmedja", [args.python, "-m", "tankesmedja"])]
    if args.bundle.exists():
        targets.append(("bundle", [str(args.bundle)]))
    else:
        print(f"(no bundle at {args.bundle}: scripts/build_bundle.sh builds it)")

    base = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    base["TANKESMEDJA_REPORT_SHOWN"] = "1"
    base["PYTHONPATH"] = str(ROOT)  # python -m tankesmedja from this checkout, whatever the cwd

    print(f"startup to window shown, {args.runs} runs per case, target < {TARGET_S:.1f} s")
    header = (
        f"{'target':<15} {'platform':<10} {'first run':>10} "
        f"{'median':>8} {'min':>7} {'max':>7} {'app median':>11} {'cpu median':>11}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    with xvfb() if not args.no_xvfb else _none() as display:
        platforms = [("offscreen", {"QT_QPA_PLATFORM": "offscreen"})]
        if display is not None:
            platforms.append(("xcb", {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display}))
        for name, command in targets:
            for platform, extra in platforms:
                result = bench_case(command, {**base, **extra}, args.runs)
                worst = max(worst, result["median_wall"])
                print(
                    f"{name:<15} {platform:<10} {result['first_wall']:>9.2f}s "
                    f"{result['median_wall']:>7.2f}s {result['min_wall']:>6.2f}s "
                    f"{result['max_wall']:>6.2f}s {result['median_app']:>10.2f}s"
                    f" {result['median_cpu']:>10.2f}s",
                    flush=True,
                )
    verdict = "meets" if worst < TARGET_S else "MISSES"
    print(f"slowest median {worst:.2f} s: {verdict} the {TARGET_S:.1f} s target")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


@contextmanager
def _none() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    raise SystemExit(main())
