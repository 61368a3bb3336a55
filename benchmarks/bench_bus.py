"""Embedded bus benchmark: durable ingest, publish-to-target latency, memory.

    python benchmarks/bench_bus.py [--json PATH] [--quick]

1. Durable ingest: PutEvents through the Python API in batches of 10, SQLite store (WAL,
   synchronous=NORMAL), 10 rules on the bus of which 2 match every event, each with a queue target;
   the delivery worker is stopped so the figure is the ingest path alone (validate, route, commit).
   Baseline in the same run: the same calls on the in-memory store (the cost without durability).
2. Publish-to-target latency: single-event PutEvents paced at 100 and 1,000 events/s with the
   delivery worker running; latency = delivered attempt time - ingestion time, from the store's
   attempt records (p50 / p95 / p99).
3. Resident memory (RSS) of this process after 20,000 events published and delivered.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bus.engine.runtime import LocalBus  # noqa: E402
from bus.model import Outcome, Target  # noqa: E402
from bus.store import MemoryStore  # noqa: E402


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _setup(bus: LocalBus, rules: int = 10) -> None:
    bus.create_queue("sink")
    for i in range(rules):
        source = "bench.orders" if i < 2 else f"other.{i}"
        bus.engine.put_rule(
            f"r{i}", event_pattern=json.dumps({"source": [source], "detail": {"n": [{"exists": True}]}})
        )
        bus.engine.put_targets(f"r{i}", [Target("sink", bus.queue_arn("sink"))])


def _entry(n: int) -> dict[str, Any]:
    detail = {"n": n, "order": {"id": f"o-{n}", "total": n % 500, "items": [{"sku": "A", "qty": 1}]}}
    return {"Source": "bench.orders", "DetailType": "OrderPlaced", "Detail": json.dumps(detail)}


def ingest(events: int, *, durable: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        bus = LocalBus(tmp, store=None if durable else MemoryStore())
        _setup(bus)
        batches = [[_entry(b * 10 + i) for i in range(10)] for b in range(events // 10)]
        start = time.perf_counter()
        for batch in batches:
            bus.engine.put_events(batch)
        elapsed = time.perf_counter() - start
        bus.stop()
    return events / elapsed


def latency(rate: float, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, LocalBus(tmp) as bus:
        _setup(bus, rules=1)
        interval = 1.0 / rate
        ids: list[str] = []
        start = time.perf_counter()
        n = 0
        while (now := time.perf_counter()) - start < seconds:
            due = start + n * interval
            if now < due:
                time.sleep(due - now)
            ids.append(bus.engine.put_events([_entry(n)])["Entries"][0]["EventId"])
            n += 1
        deadline = time.monotonic() + 30
        while bus.store.pending_jobs() and time.monotonic() < deadline:
            time.sleep(0.01)
        samples = []
        for event_id in ids:
            event = bus.store.get_event(event_id)
            delivered = [a for a in bus.store.attempts(event_id) if a.outcome is Outcome.DELIVERED]
            if event is not None and delivered:
                samples.append((delivered[0].at - event.ingested_at) * 1000)
    samples.sort()
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"events": len(ids), "delivered": len(samples), "p50_ms": q[49], "p95_ms": q[94], "p99_ms": q[98]}


def memory(events: int) -> dict[str, float]:
    before = _rss_mib()
    with tempfile.TemporaryDirectory() as tmp, LocalBus(tmp) as bus:
        _setup(bus)
        for b in range(events // 10):
            bus.engine.put_events([_entry(b * 10 + i) for i in range(10)])
        deadline = time.monotonic() + 120
        while bus.store.pending_jobs() and time.monotonic() < deadline:
            time.sleep(0.05)
        after = _rss_mib()
    return {"events": events, "rss_before_mib": before, "rss_after_mib": after}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke test")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    n = int(20_000 * scale)
    results: dict[str, Any] = {}
    results["ingest_durable_eps"] = ingest(n, durable=True)
    results["ingest_memory_eps"] = ingest(n, durable=False)
    print(
        f"durable ingest, batches of 10: {results['ingest_durable_eps']:,.0f} events/s (SQLite, WAL, NORMAL)"
    )
    print(f"same calls on the in-memory store (baseline): {results['ingest_memory_eps']:,.0f} events/s")
    print(f"  durable / in-memory: {results['ingest_durable_eps'] / results['ingest_memory_eps']:.2f}")
    for rate, seconds in ((100, 10 * scale), (1000, 5 * scale)):
        stats = latency(rate, seconds)
        results[f"latency_{rate}"] = stats
        print(
            f"publish-to-target latency at {rate:,} events/s ({stats['events']:.0f} events, "
            f"{stats['delivered']:.0f} delivered): p50 {stats['p50_ms']:.2f} ms, "
            f"p95 {stats['p95_ms']:.2f} ms, p99 {stats['p99_ms']:.2f} ms"
        )
    results["memory"] = memory(n)
    print(f"RSS after {n:,} events published and delivered: {results['memory']['rss_after_mib']:.1f} MiB")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
