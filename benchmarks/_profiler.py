"""A sampling profiler of every thread of the process it runs in (``bench_wire.py --profile``).

Samples ``sys._current_frames()`` every millisecond: where a server's time goes, without py-spy and
without cProfile's per-call overhead.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

_IDLE = {"wait", "select", "get", "_wait_for_tstate_lock", "_worker"}


class _Sampler(threading.Thread):
    """A sampling profiler of every other thread of this process."""

    def __init__(self, period: float = 0.001) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self.period = period
        self.stop = threading.Event()
        self.self_counts: collections.Counter[str] = collections.Counter()
        self.incl_counts: collections.Counter[str] = collections.Counter()
        self.samples = 0

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stop.wait(self.period):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                code = frame.f_code
                if code.co_name in _IDLE and code.co_filename.endswith(
                    ("threading.py", "selectors.py", "queue.py", "futures/thread.py")
                ):
                    continue  # an idle thread: waiting for work or for the network
                top = _where(frame)
                self.samples += 1
                self.self_counts[top] += 1
                seen: set[str] = set()
                f: Any = frame
                while f is not None:
                    seen.add(_where(f))
                    f = f.f_back
                self.incl_counts.update(seen)

    def report(self, top: int = 60) -> str:
        lines = [f"{self.samples} thread samples (idle threads left out)", "", "CPU SECONDS BY THREAD NAME"]
        cpu: collections.Counter[str] = collections.Counter()
        tick = os.sysconf("SC_CLK_TCK")
        for t in threading.enumerate():
            try:
                stat = Path(f"/proc/self/task/{t.native_id}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            cpu[t.name.rstrip("0123456789_-")] += (int(stat[11]) + int(stat[12])) / tick
        lines += [f"{v:8.2f}  {k}" for k, v in cpu.most_common()] + ["", "SELF"]
        lines += [
            f"{n:8d} {100 * n / max(1, self.samples):5.1f}%  {w}"
            for w, n in self.self_counts.most_common(top)
        ]
        lines += ["", "INCLUSIVE"]
        lines += [
            f"{n:8d} {100 * n / max(1, self.samples):5.1f}%  {w}"
            for w, n in self.incl_counts.most_common(top)
        ]
        return "\n".join(lines) + "\n"


def _where(frame: Any) -> str:
    code = frame.f_code
    return f"{code.co_filename.replace(str(REPO) + '/', '')}:{code.co_firstlineno}:{code.co_name}"
