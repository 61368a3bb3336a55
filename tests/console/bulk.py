"""A store with 100,000 events, for the query-plan test and ``benchmarks/bench_console.py``.

Events go in through ``Store.append`` in large batches (what PutEvents commits, minus routing),
spread over three buses and a few sources, every one archived in ``shop-everything``; a dead-letter
queue gets messages, each hundredth event a delivery attempt, and the trace store 10,000 traces.
``ANALYZE`` runs at the end so the planner sees the sizes a long-running bus would have.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

from bus.engine.runtime import LocalBus
from bus.model import Attempt, DeliveryJob, Event, Outcome, QueueMessage, Settlement
from bus.registry import seed_registry
from bus.store import Store
from bus.template import load_template

HERE = Path(__file__).parent
REPO = HERE.parents[1]
BUSES = ("shop", "default", "audit")
SOURCES = ("shop.orders", "shop.payments", "shop.shipping", "shop.rare")
DLQ = "audit-dead-letters"
T0 = 1_764_000_000.0


def bulk_bus(data_dir: Path, events: int = 100_000, messages: int = 2_000, traces: int = 10_000) -> LocalBus:
    """A ``LocalBus`` (not started) over ``data_dir`` holding ``choreography.yaml`` and the data."""
    bus = LocalBus(data_dir)
    bus.apply(load_template(HERE / "choreography.yaml"))
    seed_registry(bus, REPO / "events" / "schemas")
    store = bus.store
    batch: list[Event] = []
    for i in range(events):
        source = SOURCES[3] if i % 5000 == 0 else SOURCES[i % 3]
        batch.append(
            Event(
                id=str(uuid.UUID(int=i + 1)),
                bus=BUSES[i % 3],
                source=source,
                detail_type="OrderPlaced" if source == "shop.orders" else "Other",
                detail=json.dumps({"orderId": f"o-{i}", "total": i % 400}),
                resources=(),
                time="2025-11-24T16:00:00Z",
                account="123456789012",
                region="us-east-1",
                ingested_at=T0 + i * 0.01,
            )
        )
        if len(batch) == 5000:
            _commit(store, batch)
            batch = []
    if batch:
        _commit(store, batch)
    for i in range(messages):
        store.send_message(
            QueueMessage(
                id=str(uuid.UUID(int=10**9 + i)),
                queue=DLQ,
                body=json.dumps(
                    {
                        "id": str(uuid.UUID(int=i + 1)),
                        "source": "shop.orders",
                        "detail-type": "OrderPlaced",
                        "detail": {},
                    }
                ),
                sent_at=T0 + i,
                attributes={
                    "RULE_ARN": {
                        "DataType": "String",
                        "StringValue": "arn:aws:events:us-east-1:123456789012:rule/shop/big-orders-to-audit",
                    }
                },
                visible_at=T0 + i,
                system_attributes={"AWSTraceHeader": f"Root={_trace_id(i)};Parent={i:016x};Sampled=1"},
            )
        )
    bus.tracing.store.put([_segment(i) for i in range(traces)])
    for name in ("bus.db", "traces.db"):
        with sqlite3.connect(Path(data_dir) / name) as conn:
            conn.execute("ANALYZE")
    return bus


def _trace_id(i: int) -> str:
    return f"1-{int(T0) + i:08x}-{i:024x}"


def _segment(i: int) -> dict[str, object]:
    """A finished producer segment, one trace each (what the daemon stores from an SDK)."""
    start = T0 + i
    return {
        "trace_id": _trace_id(i),
        "id": f"{i:016x}",
        "name": "orders",
        "start_time": start,
        "end_time": start + 0.02,
    }


def _commit(store: Store, events: list[Event]) -> None:
    jobs = [
        DeliveryJob(
            f"j-{e.id}", e.id, e.bus, "orders-to-fulfilment", "fulfilment", 0, e.ingested_at, e.ingested_at
        )
        for e in events[::100]
    ]
    store.append(events, jobs, archived=[("shop-everything", e.id) for e in events])
    store.settle_many(
        [
            Settlement(
                job,
                Attempt(
                    job.id, job.event_id, job.bus, job.rule, job.target_id, 0, Outcome.DELIVERED, job.due_at
                ),
            )
            for job in jobs
        ]
    )
