"""Find the address participants' devices can reach this machine on.

We only *list* the machine's interfaces (psutil): nothing is sent anywhere. The usual trick of
"connecting" a UDP socket toward a public address is avoided on purpose: it touches the outside
network, and on a closed or isolated network it picks nothing useful anyway.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import psutil

# Interfaces that are almost never what a phone in the room can reach.
_VIRTUAL_PREFIXES = ("docker", "br-", "veth", "virbr", "vmnet", "vbox", "tun", "tap", "zt", "ifb")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One IPv4 address of an interface that is up."""

    interface: str
    address: str

    @property
    def is_loopback(self) -> bool:
        """True for 127.0.0.0/8."""
        return ipaddress.IPv4Address(self.address).is_loopback

    def rank(self) -> int:
        """Lower is better: a private LAN address on a physical interface first."""
        ip = ipaddress.IPv4Address(self.address)
        if ip.is_loopback:
            return 9
        if ip.is_link_local:
            return 8
        virtual = self.interface.lower().startswith(_VIRTUAL_PREFIXES)
        lan = any(ip in net for net in _LAN_NETS)
        return (0 if lan else 2) + (4 if virtual else 0)


_LAN_NETS = tuple(
    ipaddress.IPv4Network(n) for n in ("192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12")
)


def candidates() -> list[Candidate]:
    """Return the IPv4 addresses of interfaces that are up, best first."""
    try:
        stats = psutil.net_if_stats()
        addrs = psutil.net_if_addrs()
    except (OSError, RuntimeError):  # pragma: no cover - sandboxed or exotic platforms
        return [Candidate("lo", "127.0.0.1")]
    found: list[Candidate] = []
    for name, entries in addrs.items():
        if name in stats and not stats[name].isup:
            continue
        for entry in entries:
            if entry.family == socket.AF_INET and entry.address:
                found.append(Candidate(name, entry.address))
    if not found:
        found.append(Candidate("lo", "127.0.0.1"))
    return sorted(found, key=lambda c: (c.rank(), c.interface, c.address))


def lan_address() -> tuple[str, bool]:
    """Return (best address to advertise, whether it is only loopback)."""
    best = candidates()[0]
    return best.address, best.is_loopback
