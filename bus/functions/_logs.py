"""Each function's log: what its handlers print, with Lambda's START / END / REPORT lines.

One file per function under ``DATA_DIR/functions/logs/NAME.jsonl``, one JSON object a line:
``{"t": 1767225600.123, "s": "2026/01/01/[$LATEST]0f3c...", "m": "START RequestId: ... Version: $LATEST"}``
(time received, log stream, the line). Like CloudWatch Logs, every line carries the time it arrived
and the stream of the execution environment (worker) that wrote it. ``choreo logs`` reads it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

__all__ = ["FunctionLog", "LogLine", "follow_log", "log_path", "read_log"]


def log_path(data_dir: str | Path, function: str) -> Path:
    return Path(data_dir) / "functions" / "logs" / f"{function}.jsonl"


@dataclass(frozen=True, slots=True)
class LogLine:
    time: float
    stream: str
    message: str


class FunctionLog:
    """Appends lines to one function's log; shared by the function's workers (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: TextIO | None = None  # opened on the first line: registering writes nothing

    def write(self, stream: str, message: str) -> None:
        record = json.dumps({"t": round(time.time(), 3), "s": stream, "m": message.rstrip("\n")})
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(record + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file; a later line opens it again (a worker still finishing after stop)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _parse(line: str) -> LogLine | None:
    try:
        record = json.loads(line)
        return LogLine(float(record["t"]), str(record["s"]), str(record["m"]))
    except (ValueError, KeyError, TypeError):
        return None  # a line cut short by a crash mid-write


def read_log(path: Path, *, since: float | None = None) -> list[LogLine]:
    """The lines written at or after ``since`` (epoch seconds), oldest first."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as file:
        lines = (_parse(line) for line in file)
        return [line for line in lines if line is not None and (since is None or line.time >= since)]


def follow_log(
    path: Path, *, since: float | None = None, poll: float = 0.25, stop: threading.Event | None = None
) -> Iterator[LogLine]:
    """Every line from ``since``, then new ones as they are written, until ``stop`` is set."""
    offset = 0
    pending = ""
    while stop is None or not stop.is_set():
        if path.is_file():
            with path.open(encoding="utf-8") as file:
                file.seek(offset)
                pending += file.read()
                offset = file.tell()
        *complete, pending = pending.split("\n")
        for text in complete:
            line = _parse(text)
            if line is not None and (since is None or line.time >= since):
                yield line
        if not complete:
            time.sleep(poll)
