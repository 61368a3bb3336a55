"""What the benchmarks read about a server process from /proc: CPU, memory, threads, listening sockets.

Both servers (ours and LocalStack) are measured the same way, from outside, so neither needs psutil.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any


def _tree(pid: int) -> list[int]:
    """pid and its live descendants (Linux /proc/<pid>/task/<tid>/children)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
    return found


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of pid and its live descendants so far."""
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _rss_threads(pid: int) -> tuple[int, int]:
    """RSS in KiB and thread count of pid and its live descendants."""
    rss = threads = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads += int(line.split()[1])
    return rss, threads


def _address(hex_address: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return ipaddress.IPv4Address(raw[::-1]), int(port, 16)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return ipaddress.IPv6Address(words), int(port, 16)


def _listening(pid: int) -> list[tuple[str, str, bool]]:
    """(protocol, address, is loopback) of every TCP listener and bound UDP socket of the process tree."""
    found = []
    for p in _tree(pid):
        inodes = set()
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{p}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{p}/fd/{fd}")
                    if link.startswith("socket:["):
                        inodes.add(link[8:-1])
        for proto in ("tcp", "tcp6", "udp", "udp6"):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{p}/net/{proto}").read_text().splitlines()[1:]:
                    fields = line.split()
                    if fields[9] not in inodes:
                        continue
                    address, port = _address(fields[1])
                    # TCP: LISTEN (0A); UDP: unconnected (07) with a bound port
                    if (proto.startswith("tcp") and fields[3] == "0A") or (
                        proto.startswith("udp") and fields[3] == "07" and port
                    ):
                        mapped = getattr(address, "ipv4_mapped", None)
                        loopback = address.is_loopback or bool(mapped and mapped.is_loopback)
                        found.append((proto, f"{address}:{port}", loopback))
    return found


class _ProcSampler(threading.Thread):
    """Samples CPU, RSS and threads of the server processes every period, labelled by phase."""

    def __init__(self, period: float = 0.25) -> None:
        super().__init__(name="bench-proc-sampler", daemon=True)
        self.period = period
        self.pids: dict[str, int] = {}
        self.phase = "setup"
        self.samples: list[tuple[float, str, str, float, int, int]] = []
        self.stop = threading.Event()

    def sample(self) -> None:
        now = time.monotonic()
        for name, pid in list(self.pids.items()):
            if not Path(f"/proc/{pid}").exists():
                continue
            rss, threads = _rss_threads(pid)
            self.samples.append((now, self.phase, name, _cpu_seconds(pid), rss, threads))

    def run(self) -> None:
        while not self.stop.wait(self.period):
            self.sample()

    def summary(self, name: str, phase: str | None = None) -> dict[str, Any] | None:
        rows = [s for s in self.samples if s[2] == name and (phase is None or s[1] == phase)]
        if not rows:
            return None
        span = rows[-1][0] - rows[0][0]
        return {
            "samples": len(rows),
            "cpu_pct": round(100 * (rows[-1][3] - rows[0][3]) / span, 1) if span > 0 else None,
            "rss_mib_first": round(rows[0][4] / 1024, 1),
            "rss_mib_peak": round(max(r[4] for r in rows) / 1024, 1),
            "rss_mib_last": round(rows[-1][4] / 1024, 1),
            "threads_peak": max(r[5] for r in rows),
        }


# ---------------------------------------------------------------------------------- server process


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as LocalStack's listener: TIME_WAIT is fine
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# ---------------------------------------------------------------------------------- phases
