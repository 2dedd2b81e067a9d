"""A real relay on loopback for the online-session tests and the tunnel benchmark.

Debian's sshd and Caddy, started here.

sshd listens on a free 127.0.0.1 port with its own host key, config and pid file in a temp
folder, and lets one account (the user running the tests) do nothing but open the one
reverse-forwarded port, exactly as ``docs/online.md`` tells the organisers' IT. Caddy
terminates TLS for ``workshop.test`` with its internal CA (never installed into the system's
trust store) and forwards to that port. It needs root (sshd's privilege separation folder
``/run/sshd``); ``tests/relay.py`` decides whether the tests skip or fail without it.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import psutil

SSHD = "/usr/sbin/sshd"
CADDY = shutil.which("caddy") or "/usr/bin/caddy"
HOST = "workshop.test"


def free_port() -> int:
    """Return a port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float = 30.0) -> None:
    """Wait until something listens on 127.0.0.1:``port``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Relay:
    """sshd + Caddy on loopback, as the organisers' relay VM would run them."""

    root: Path
    ssh_port: int = field(default_factory=free_port)
    relay_port: int = field(default_factory=free_port)  # the tunnel's end on the relay
    https_port: int = field(default_factory=free_port)
    user: str = field(default_factory=getpass.getuser)
    sshd: subprocess.Popen[bytes] | None = None
    caddy: subprocess.Popen[bytes] | None = None

    @property
    def public_url(self) -> str:
        """The address participants open: https://workshop.test:PORT."""
        return f"https://{HOST}:{self.https_port}"

    @property
    def key_file(self) -> Path:
        """The laptop's private key, authorised for the tunnel account."""
        return self.root / "laptop_key"

    @property
    def ca_file(self) -> Path:
        """Caddy's internal root certificate (trusted only by the test clients)."""
        return self.root / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    def prepare(self) -> None:
        """Write host key, laptop key, sshd_config and Caddyfile into :attr:`root`."""
        self.root.mkdir(parents=True, exist_ok=True)
        os.makedirs("/run/sshd", exist_ok=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.root / "host_key")],
            check=True,
        )
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(self.key_file))
        self.key_file.chmod(0o600)
        self.authorize(key)
        self.write_sshd_config()
        (self.root / "Caddyfile").write_text(
            "{\n"
            "  admin off\n"
            "  skip_install_trust\n"
            f"  storage file_system {self.root / 'caddy'}\n"
            f"  http_port {free_port()}\n"
            f"  https_port {self.https_port}\n"
            "  auto_https disable_redirects\n"
            "}\n"
            f"{HOST}:{self.https_port} {{\n"
            "  bind 127.0.0.1\n"
            "  tls internal\n"
            f"  reverse_proxy 127.0.0.1:{self.relay_port}\n"
            "}\n"
        )

    def authorize(self, key: asyncssh.SSHKey) -> None:
        """Make ``key`` the one key the tunnel account accepts."""
        line = key.export_public_key().decode()
        (self.root / "authorized_keys").write_text(line)

    def write_sshd_config(self, permit_port: int | None = None) -> None:
        """Write and check the tunnel-only sshd_config (``PermitListen`` on the relay port)."""
        # The lines docs/online.md gives IT, with this test's paths and ports.
        permit = self.relay_port if permit_port is None else permit_port
        (self.root / "sshd_config").write_text(
            f"Port {self.ssh_port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {self.root / 'host_key'}\n"
            f"PidFile {self.root / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.root / 'authorized_keys'}\n"
            "StrictModes no\n"
            "UsePAM no\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n"
            f"AllowUsers {self.user}\n"
            "ClientAliveInterval 5\n"
            "ClientAliveCountMax 2\n"
            f"Match User {self.user}\n"
            "  AllowTcpForwarding remote\n"
            f"  PermitListen 127.0.0.1:{permit}\n"
            "  GatewayPorts no\n"
            "  X11Forwarding no\n"
            "  AllowAgentForwarding no\n"
            "  PermitTTY no\n"
            "  ForceCommand /bin/false\n"
        )
        subprocess.run([SSHD, "-t", "-f", str(self.root / "sshd_config")], check=True)

    def start_sshd(self) -> None:
        """Start sshd and wait until it listens."""
        self.sshd = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.root / "sshd_config")],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "sshd.log", "ab"),  # noqa: SIM115 - kept with the process
        )
        wait_port(self.ssh_port)

    def stop_sshd(self) -> None:
        """Stop sshd and every session it holds: the tunnel's link is cut."""
        if self.sshd is None:
            return
        try:
            children = psutil.Process(self.sshd.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        self.sshd.send_signal(signal.SIGTERM)
        self.sshd.wait(timeout=10)
        for child in children:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(children, timeout=10)
        self.sshd = None

    def start_caddy(self) -> None:
        """Start Caddy and wait until it listens and its CA exists."""
        self.caddy = subprocess.Popen(
            [CADDY, "run", "--config", str(self.root / "Caddyfile"), "--adapter", "caddyfile"],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "caddy.log", "ab"),  # noqa: SIM115
            env={**os.environ, "HOME": str(self.root), "XDG_DATA_HOME": str(self.root)},
        )
        wait_port(self.https_port)
        deadline = time.monotonic() + 30
        while not self.ca_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.ca_file.exists(), (self.root / "caddy.log").read_text()

    def stop(self) -> None:
        """Stop sshd (and its sessions) and Caddy."""
        self.stop_sshd()
        if self.caddy is not None:
            self.caddy.terminate()
            self.caddy.wait(timeout=10)
            self.caddy = None

    def ssl_context(self) -> ssl.SSLContext:
        """Return a client context trusting only Caddy's internal CA (as the test browser)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def log(self) -> str:
        """Return the end of sshd's and Caddy's logs (for a failing test's message)."""
        parts = []
        for name in ("sshd.log", "caddy.log"):
            path = self.root / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)
