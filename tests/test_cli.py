"""The ``tankesmedja`` command as a user runs it, in a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from websockets.asyncio.client import connect

from app import __version__

CMD = [sys.executable, "-m", "tankesmedja"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=60)


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"tankesmedja {__version__}"
    helptext = run("--help")
    assert helptext.returncode == 0
    for option in ("--data-dir", "--host", "--port", "--lang", "groups"):
        assert option in helptext.stdout


def test_bad_arguments_exit_2_with_a_message() -> None:
    result = run("--port", "99999")
    assert result.returncode == 2
    assert "port" in result.stderr and "Traceback" not in result.stderr
    assert run("--lang", "de").returncode == 2


def test_unusable_data_dir_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("--headless", "--data-dir", str(blocker / "sub"), "--host", "127.0.0.1")
    assert result.returncode == 2
    assert "--data-dir" in result.stderr and "Traceback" not in result.stderr


def start_headless(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*CMD, "--headless", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    for _ in range(20):
        line = proc.stderr.readline()
        if "Join address" in line or not line:
            return proc, line
    return proc, ""


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


async def join_once(url: str, token: str, resume: str | None = None) -> dict[str, object]:
    origin = url.replace("ws://", "http://").removesuffix("/ws")
    async with connect(url, proxy=None, origin=origin) as ws:  # type: ignore[arg-type]
        hello: dict[str, object] = {"type": "hello", "room_token": token}
        if resume:
            hello["resume_token"] = resume
        await ws.send(json.dumps(hello))
        welcome = json.loads(await ws.recv())
        if resume:
            return json.loads(await ws.recv())
        org = welcome["organisations"][0]["id"]
        await ws.send(
            json.dumps(
                {
                    "type": "join",
                    "name": "Bo",
                    "organisation_id": org,
                    "role": "official",
                    "attendance": "remote",
                }
            )
        )
        return json.loads(await ws.recv())


def test_headless_start_logs_the_join_address_and_restart_keeps_everything(
    tmp_path: Path,
) -> None:
    proc, line = start_headless(tmp_path)
    try:
        match = re.search(
            r"Join address: (http://127\.0\.0\.1:(\d+)/#t=(\S+)) \(room code (\S+)\)", line
        )
        assert match, line
        url, port, token, code = match.groups()
        joined = asyncio.run(join_once(f"ws://127.0.0.1:{port}/ws", token))
        assert joined["type"] == "joined"
    finally:
        stop(proc)
    assert (tmp_path / "tankesmedja.sqlite3").exists()

    proc, line = start_headless(tmp_path)
    try:
        again = re.search(r"/#t=(\S+) \(room code (\S+)\)", line)
        assert again and again.groups() == (token, code)
        port = re.search(r":(\d+)/#t=", line).group(1)  # type: ignore[union-attr]
        resumed = asyncio.run(
            join_once(f"ws://127.0.0.1:{port}/ws", token, str(joined["resume_token"]))
        )
        assert resumed["type"] == "joined" and resumed["resumed"] is True
        assert resumed["participant"] == joined["participant"]
    finally:
        stop(proc)


def test_self_test_checks_server_join_pdf_and_window() -> None:
    result = subprocess.run(
        [*CMD, "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("self-test:")]
    assert len(lines) == 4 and all(line.endswith(": ok") for line in lines), lines


def test_headless_behind_a_proxy_takes_a_public_url(tmp_path: Path) -> None:
    bad = run("--headless", "--data-dir", str(tmp_path), "--public-url", "ftp://x")
    assert bad.returncode == 2 and "https://" in bad.stderr and "Traceback" not in bad.stderr
    bad = run("--headless", "--data-dir", str(tmp_path), "--trusted-proxy", "the relay")
    assert bad.returncode == 2 and "not an IP address" in bad.stderr
    proc = subprocess.Popen(
        [
            *CMD,
            "--headless",
            "--data-dir",
            str(tmp_path),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--public-url",
            "https://Workshop.test:8443/",
            "--trusted-proxy",
            "127.0.0.4",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    try:
        lines = []
        for _ in range(20):
            lines.append(proc.stderr.readline())
            if "Join address" in lines[-1] or not lines[-1]:
                break
        output = "".join(lines)
        match = re.search(r"Join address: https://workshop\.test:8443/#t=(\S+) ", output)
        assert match, output
        token = match.group(1)
        # The server's own port, which the proxy forwards to, is in the log line before.
        port = re.search(r"listening on port (\d+)", output).group(1)  # type: ignore[union-attr]

        async def through_proxy() -> dict[str, object]:
            # A page loaded from the public address opens the socket (was 403 before).
            async with connect(
                f"ws://127.0.0.1:{port}/ws",
                proxy=None,
                origin="https://workshop.test:8443",  # type: ignore[arg-type]
                additional_headers={"X-Forwarded-For": "198.51.100.7"},
            ) as ws:
                await ws.send(json.dumps({"type": "hello", "room_token": token}))
                return json.loads(await ws.recv())

        assert asyncio.run(through_proxy())["type"] == "welcome"
    finally:
        stop(proc)
