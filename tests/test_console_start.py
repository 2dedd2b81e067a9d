"""The real console process, as the README's first command starts it (Qt offscreen)."""

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

LINE = re.compile(r"Join address: http://127\.0\.0\.1:(\d+)/#t=(\S+) \(room code (\S+)\)")


def start_console(data_dir: Path) -> tuple[subprocess.Popen[str], re.Match[str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tankesmedja",
            "--data-dir",
            str(data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    lines = []
    for _ in range(20):
        line = proc.stderr.readline()
        lines.append(line)
        match = LINE.search(line)
        if match:
            return proc, match
        if not line:
            break
    proc.kill()
    raise AssertionError("no join address logged:\n" + "".join(lines))


async def join_and_wait_for_end(
    proc: subprocess.Popen[str], port: str, token: str, resume: str | None
) -> tuple[dict[str, object], dict[str, object]]:
    async with connect(
        f"ws://127.0.0.1:{port}/ws",
        proxy=None,
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
    ) as ws:
        hello: dict[str, object] = {"type": "hello", "room_token": token}
        if resume:
            hello["resume_token"] = resume
        await ws.send(json.dumps(hello))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert welcome["type"] == "welcome"
        if not resume:
            await ws.send(
                json.dumps(
                    {
                        "type": "join",
                        "name": "Karin <i>Lind</i>",
                        "organisation_id": welcome["organisations"][3]["id"],
                        "role": "elected",
                        "attendance": "in_room",
                    }
                )
            )
        joined = json.loads(await asyncio.wait_for(ws.recv(), 10))
        # Quitting the console tells connected participants it is away (not that it ended).
        proc.send_signal(signal.SIGTERM)
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if message["type"] in ("away", "ended"):
                return joined, message


def test_console_serves_quits_cleanly_and_restarts_with_everything(tmp_path: Path) -> None:
    proc, match = start_console(tmp_path)
    port, token, code = match.groups()
    try:
        joined, ended = asyncio.run(join_and_wait_for_end(proc, port, token, None))
        assert joined["type"] == "joined" and ended == {"type": "away"}
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()

    proc, match = start_console(tmp_path)
    try:
        assert match.group(2, 3) == (token, code)
        port = match.group(1)
        resumed, _ = asyncio.run(
            join_and_wait_for_end(proc, port, token, str(joined["resume_token"]))
        )
        assert resumed["resumed"] is True
        assert resumed["participant"] == joined["participant"]
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
