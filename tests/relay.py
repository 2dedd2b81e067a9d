"""The relay (sshd + Caddy on loopback, see :mod:`scripts.relay`) for the tests: skip or fail."""

from __future__ import annotations

import os

import pytest

from scripts.relay import CADDY, HOST, SSHD, Relay

__all__ = ["HOST", "Relay", "need_relay_tools"]


def need_relay_tools() -> None:
    """Skip (fail in CI) when sshd, Caddy or root is missing."""
    missing = [p for p in (SSHD, CADDY) if not os.path.exists(p)]
    why = ""
    if missing:
        why = f"{', '.join(missing)} missing (apt-get install openssh-server caddy)"
    elif os.geteuid() != 0:
        why = "the relay tests start sshd, which needs root for /run/sshd"
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(why + ": .ci/run must install them")
        pytest.skip(why)
