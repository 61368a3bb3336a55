"""Nothing accepted is lost when the process dies.

A child process runs the bus on a data directory and publishes 10,000 events in batches of 10,
printing the EventIds of each batch once PutEvents has returned (accepted = committed). The test
kills it with SIGKILL mid-stream, starts a new bus on the same directory, lets delivery finish, and
checks that every accepted event reached the queue target exactly once: a local queue's message is
committed in the transaction that accepts its event (inline delivery), so there is no window in
which an event is delivered but its job not yet settled. (Targets delivered by the worker are
at-least-once: a kill between send and settle sends again.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bus.engine.runtime import LocalBus
from bus.model import Target

CHILD = r"""
import sys
from bus.engine.runtime import LocalBus
from bus.model import Target

bus = LocalBus(sys.argv[1]).start()
bus.create_queue("sink")
bus.engine.put_rule("all", event_pattern='{"source": ["crash.test"]}')
bus.engine.put_targets("all", [Target("sink", bus.queue_arn("sink"))])
print("READY", flush=True)
for batch in range(1000):
    entries = [
        {"Source": "crash.test", "DetailType": "Tick", "Detail": '{"n": %d}' % (batch * 10 + i)}
        for i in range(10)
    ]
    result = bus.engine.put_events(entries)
    print("ACK " + " ".join(e["EventId"] for e in result["Entries"]), flush=True)
print("DONE", flush=True)
"""

KILL_AFTER = 3_000  # accepted events before the kill: well inside the 10,000


def test_sigkill_mid_stream_loses_no_accepted_event(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    accepted: list[str] = []
    deadline = time.monotonic() + 120
    try:
        for line in child.stdout:
            if line.startswith("ACK "):
                accepted.extend(line.split()[1:])
            if len(accepted) >= KILL_AFTER or time.monotonic() > deadline:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert KILL_AFTER <= len(accepted) < 10_000, "the kill must land mid-stream"

    delivered: dict[str, int] = {}
    with LocalBus(tmp_path) as bus:
        deadline = time.monotonic() + 120
        while bus.store.pending_jobs() and time.monotonic() < deadline:
            for message in bus.store.receive_messages("sink", 10, 3600, time.time()):
                event_id = json.loads(message.body)["id"]
                delivered[event_id] = delivered.get(event_id, 0) + 1
            time.sleep(0.01)
        for _ in range(10_000):  # drain what is left after the last job settled
            batch = bus.store.receive_messages("sink", 10, 3600, time.time())
            if not batch:
                break
            for message in batch:
                event_id = json.loads(message.body)["id"]
                delivered[event_id] = delivered.get(event_id, 0) + 1
        assert bus.store.pending_jobs() == 0
        assert not bus.store.drops()

    missing = [e for e in accepted if e not in delivered]
    duplicates = sum(n - 1 for n in delivered.values())
    print(f"accepted before kill: {len(accepted)}, delivered: {len(delivered)}, duplicates: {duplicates}")
    assert missing == []
    assert duplicates == 0


def test_restart_keeps_rules_targets_and_queues(tmp_path: Path) -> None:
    with LocalBus(tmp_path) as bus:
        bus.create_queue("q")
        bus.engine.put_rule("r", event_pattern='{"source": ["s"]}')
        bus.engine.put_targets("r", [Target("q", bus.queue_arn("q"))])
    with LocalBus(tmp_path) as bus:
        bus.engine.put_events([{"Source": "s", "DetailType": "d", "Detail": "{}"}])
        deadline = time.monotonic() + 10
        while bus.store.queue_counts("q", time.time())[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert bus.store.queue_counts("q", time.time())[0] == 1
