"""``make demo`` in small: ``choreo demo`` runs the saga, explains it and leaves nothing behind.

Runs the command as a user does, in a child process of its own session: the demo starts worker
processes and servers, and a clean exit of that whole process group is part of what is tested.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def processes_in_group(group: int) -> list[int]:
    """Live processes whose process group is ``group`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp, ...
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def test_the_demo_runs_the_saga_explains_it_and_exits_cleanly() -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    demo = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("choreo")),
            "demo",
            "--orders",
            "24",
            "--seed",
            "14",
            "--timeout",
            "40",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output, _ = demo.communicate(timeout=90)
    assert demo.returncode == 0, output
    assert processes_in_group(demo.pid) == [], "the demo left processes behind"
    ended = dict(re.findall(r"│ (shipped|compensated|out of stock|dead-lettered)\s+│\s+(\d+) │", output))
    assert sum(int(n) for n in ended.values()) == 24 and set(ended) == {
        "shipped",
        "compensated",
        "out of stock",
        "dead-lettered",
    }, output
    assert int(ended["shipped"]) > 0
    assert "SaaS stand-in: " in output and "notifications accepted" in output
    assert re.search(r"PaymentsDeadLetterQueue\s+│\s+[1-9]", output), output
    assert "One order's journey" in output and "OrderShipped 1.0 from com.choreo.shipping" in output
    assert "λ choreo-ShipOrderFunction · Success" in output
    assert "ShipOrderFunction: level=INFO message=shipped" in output  # its log line, found by correlation id
    flat = " ".join(output.split())  # titles wrap
    assert re.search(r"Replay \S+ of choreo-OrdersArchive into rule choreo-debug-replay: COMPLETED", flat), (
        output
    )
    assert "deliveries of replayed events to the saga's own rules: 0" in flat
