"""LocalStack as a side-by-side peer for the wire benchmark, started without Docker.

``../shared/bench/localstack/`` has the recipe (a python3.13 venv with localstack-core) and the start
script; this module runs it on loopback in its own process group and always stops it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _aws import client
from _proc import _cpu_seconds, _free_port, _listening, _port_free

REPO = Path(__file__).resolve().parents[1]
LS_DIR = REPO.parent / "shared" / "bench" / "localstack"
LS_START = LS_DIR / "start_localstack.sh"
LS_DEFAULT_VENV = "/tmp/lsenv313"
LS_PORT = 4566

_LIBC: Any = None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it if the bench process dies (even by SIGKILL)."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG; survives exec


class LocalStack:
    """LocalStack as its own process (start_localstack.sh execs its Python server: one pid, own session)."""

    name = "localstack"

    def __init__(self, venv: Path, deadline_s: float = 120.0, warm: bool = True) -> None:
        global _LIBC
        if _LIBC is None:
            with contextlib.suppress(OSError):
                _LIBC = ctypes.CDLL(None, use_errno=True)
        self.process: subprocess.Popen[bytes] | None = None
        try:
            self.root = Path(tempfile.mkdtemp(prefix="bench-wire-ls-"))
            self.own_root = True
        except OSError:
            self.root, self.own_root = Path("/tmp/lsrun"), False
            self.root.mkdir(parents=True, exist_ok=True)
        self.port = LS_PORT if _port_free(LS_PORT) else _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LS_VENV": str(venv), "LS_ROOT": str(self.root), "LS_PORT": str(self.port)}
        self.health: dict[str, Any] = {}
        self.warmup_s: float | None = None
        try:
            if warm:
                # A fresh LS_ROOT has no service-catalog cache (fs/var/lib/localstack/cache/*.dill): the first
                # requests then build it (about 4 s) and leave the server at ~500 MiB RSS instead of ~150.
                # A throwaway start builds it, as any earlier run of LocalStack on a machine would have.
                started = time.monotonic()
                self._launch("ls-warmup.log", started + deadline_s, deadline_s)
                client("sqs", self.url).list_queues()
                client("events", self.url).list_event_buses()
                self._terminate(grace_s=10.0)
                self.warmup_s = round(time.monotonic() - started, 2)
            started = time.monotonic()
            self._launch("ls.log", started + deadline_s, deadline_s)
            self.startup_s = round(time.monotonic() - started, 2)
        except BaseException:  # not ready, not loopback-only, or Ctrl-C while waiting: never leave it running
            self.stop(grace_s=5.0)  # while starting, it does not act on SIGTERM
            raise

    def _launch(self, log_name: str, deadline: float, deadline_s: float) -> None:
        self.log = self.root / log_name
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(LS_START)],
                env=self.env,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a group, no stray Ctrl-C
                preexec_fn=_die_with_parent,
            )
        self.pid = self.process.pid
        self._wait_ready(deadline, deadline_s)

    def _wait_ready(self, deadline: float, deadline_s: float) -> None:
        assert self.process is not None
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"LocalStack exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"LocalStack not ready within {deadline_s:.0f} s:\n{self.log_tail()}")
            with contextlib.suppress(OSError, ValueError):
                with urllib.request.urlopen(f"{self.url}/_localstack/health", timeout=2) as response:
                    health = json.loads(response.read())
                services = health.get("services", {})
                if all(services.get(s) in ("available", "running") for s in ("events", "sqs")):
                    self.health = health
                    break
            time.sleep(0.25)
        self.sockets = _listening(self.pid)
        public = [address for _, address, loopback in self.sockets if not loopback]
        if public or not self.sockets:
            raise RuntimeError(f"LocalStack listens beyond loopback (or not at all): {self.sockets}")

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.pid)

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, grace_s: float = 20.0) -> None:
        """Stops the server (see _terminate) and removes a temporary LS_ROOT."""
        self._terminate(grace_s)
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def _terminate(self, grace_s: float) -> None:
        """SIGTERM to its process group, then SIGKILL after grace_s."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # children of the group, if any
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None
