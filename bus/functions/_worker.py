"""One execution environment: a Python process running ``_bootstrap.py`` for one function.

The process is its own session (process group), so a timeout kills the handler and anything it
started. Its stdout and stderr are read line by line into the function's log by a thread; requests
and replies travel on two private pipes, so nothing a handler prints can be mistaken for a reply.
A worker that timed out, crashed or grew past its memory is discarded; the pool starts a new one.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_hex
from typing import IO, Any

from bus.functions._logs import FunctionLog
from bus.functions._spec import VERSION

__all__ = ["Reply", "Request", "Worker", "WorkerExit"]

BOOTSTRAP = Path(__file__).with_name("_bootstrap.py")


@dataclass(frozen=True, slots=True)
class Request:
    id: str
    payload: str
    trace: str | None
    timeout: float


class WorkerExit(enum.Enum):
    """Why a worker's reply is not the handler's: Lambda's error types for each case."""

    TIMEOUT = "Sandbox.Timedout"
    CRASH = "Runtime.ExitError"


@dataclass(frozen=True, slots=True)
class Reply:
    ok: bool
    result: str | None = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    init_ms: float | None = None
    max_rss_kb: int = 0
    exit: WorkerExit | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def log_stream_name(now: float) -> str:
    day = datetime.fromtimestamp(now, UTC).strftime("%Y/%m/%d")
    return f"{day}/[{VERSION}]{token_hex(16)}"


class Worker:
    """Started by ``start``; ``invoke`` runs one request at a time (the pool owns the worker)."""

    def __init__(self, environment: Callable[[str], dict[str, str]], log: FunctionLog, cwd: str) -> None:
        self.stream = log_stream_name(time.time())
        self._environment = environment
        self._log = log
        self._cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: IO[str] | None = None
        self._replies_fd = -1
        self._buffer = b""
        self._reader: threading.Thread | None = None
        self._reported = threading.Condition()
        self._last_report = ""

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, str(BOOTSTRAP), str(request_read), str(reply_write)],
                env=self._environment(self.stream),
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(request_read, reply_write),
                start_new_session=True,
            )
        finally:
            os.close(request_read)
            os.close(reply_write)
        self._requests = os.fdopen(request_write, "w", encoding="utf-8")
        self._replies_fd = reply_read
        assert self._process.stdout is not None
        self._reader = threading.Thread(
            target=self._copy_output, args=(self._process.stdout,), name="choreo-lambda-log", daemon=True
        )
        self._reader.start()

    def _copy_output(self, stdout: IO[bytes]) -> None:
        for raw in stdout:
            line = raw.decode("utf-8", "replace")
            self._log.write(self.stream, line)
            if line.startswith("REPORT RequestId: "):
                with self._reported:
                    self._last_report = line[len("REPORT RequestId: ") :].split("\t", 1)[0]
                    self._reported.notify_all()

    def _await_report(self, request_id: str) -> None:
        """Return only once the invocation's log is written through its REPORT line, so whoever
        reads the reply can read the whole log."""
        with self._reported:
            self._reported.wait_for(lambda: self._last_report == request_id, timeout=2.0)

    def invoke(self, request: Request) -> Reply:
        """Run one request; never raises for what the handler or its process does."""
        if not self.alive:
            self.start()
        assert self._requests is not None
        line = json.dumps(
            {
                "id": request.id,
                "payload": request.payload,
                "trace": request.trace,
                "deadline_ms": int((time.time() + request.timeout) * 1000),
            }
        )
        started = time.monotonic()
        try:
            self._requests.write(line + "\n")
            self._requests.flush()
        except OSError:
            return self._crashed(request, started)
        deadline = started + request.timeout
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                text, self._buffer = self._buffer[:newline], self._buffer[newline + 1 :]
                data = json.loads(text)
                self._await_report(request.id)
                return Reply(
                    ok=bool(data["ok"]),
                    result=data.get("result"),
                    error=data.get("error"),
                    duration_ms=float(data.get("duration_ms", 0.0)),
                    init_ms=data.get("init_ms"),
                    max_rss_kb=int(data.get("max_rss_kb", 0)),
                )
            left = deadline - time.monotonic()
            if left <= 0:
                return self._timed_out(request, started)
            readable, _, _ = select.select([self._replies_fd], [], [], left)
            if readable:
                chunk = os.read(self._replies_fd, 65536)
                if not chunk:
                    return self._crashed(request, started)
                self._buffer += chunk

    def _timed_out(self, request: Request, started: float) -> Reply:
        self.stop()
        duration = (time.monotonic() - started) * 1000
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        message = f"Task timed out after {request.timeout:.2f} seconds"
        self._log.write(self.stream, f"{stamp} {request.id} {message}")
        self._end_lines(request, duration)
        error = {
            "errorMessage": f"RequestId: {request.id} Error: {message}",
            "errorType": WorkerExit.TIMEOUT.value,
        }
        return Reply(ok=False, error=error, duration_ms=duration, exit=WorkerExit.TIMEOUT)

    def _crashed(self, request: Request, started: float) -> Reply:
        code = self.stop()
        duration = (time.monotonic() - started) * 1000
        why = (
            f"signal: {signal.Signals(-code).name}"
            if code is not None and code < 0
            else f"exit status {code}"
        )
        message = f"RequestId: {request.id} Error: Runtime exited with error: {why}"
        self._log.write(self.stream, message)
        self._end_lines(request, duration)
        error = {"errorMessage": message, "errorType": WorkerExit.CRASH.value}
        return Reply(ok=False, error=error, duration_ms=duration, exit=WorkerExit.CRASH)

    def _end_lines(self, request: Request, duration: float) -> None:
        self._log.write(self.stream, f"END RequestId: {request.id}")
        self._log.write(
            self.stream, f"REPORT RequestId: {request.id}\tDuration: {duration:.2f} ms\tStatus: error"
        )

    def stop(self) -> int | None:
        """Kill the process group (the handler and whatever it started); returns the exit code."""
        process = self._process
        if process is None:
            return None
        # before wait(): the unreaped leader keeps its pid, so the group cannot be another's
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        code = process.wait()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
        for closing in (self._requests, process.stdout):
            try:
                if closing is not None:
                    closing.close()
            except OSError:
                pass
        if self._replies_fd >= 0:
            os.close(self._replies_fd)
        self._process, self._requests, self._replies_fd, self._buffer = None, None, -1, b""
        return code
