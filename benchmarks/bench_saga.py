"""The order saga end to end: orders per second through the whole choreography, and the time from
OrderPlaced to OrderShipped.

    python benchmarks/bench_saga.py [--orders 300] [--rate 0] [--json PATH]

What runs is what ``make demo`` runs: template.yaml on the embedded engine behind the
AWS-compatible endpoint on a loopback port, the four consumers in the local Lambda runtime's
worker processes (Powertools, SQLite idempotency, boto3 publishing back through the endpoint),
the notifications API destination to a SaaS stand-in. Orders are published in this process with
the orders service's code (``place_orders``: OrderPlaced 1.1 and 2.0 per order).

- ``--rate 0`` (burst): every order published at once; throughput = orders that reached their end
  / (last end - first OrderPlaced), i.e. what the saga sustains when saturated.
- ``--rate R``: R orders per second, one PutEvents call per order (both versions); the latency
  figures then describe an unsaturated saga.

Latency per shipped order = ingestion time of its OrderShipped - ingestion time of its OrderPlaced
1.1, both from the engine's own event records (one clock): three Lambda invocations, four
PutEvents and four rule deliveries per hop chain.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402

from bus.cli._demo import API_KEY_VARIABLE, WEBHOOK_VARIABLE, SaasStandIn  # noqa: E402
from bus.engine.runtime import LocalBus  # noqa: E402
from bus.producer import Publisher  # noqa: E402
from bus.template import load_template  # noqa: E402
from bus.wire.server import ServerThread  # noqa: E402
from producers.orders import generate_orders, place_orders  # noqa: E402

ENDINGS = ("OrderShipped", "StockReleased", "StockUnavailable")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(orders: int, rate: float, seed: int, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-saga-") as scratch, SaasStandIn() as saas:
        os.environ.setdefault(API_KEY_VARIABLE, saas.api_key)
        saas.api_key = os.environ[API_KEY_VARIABLE]
        os.environ[WEBHOOK_VARIABLE] = saas.url
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        endpoint = f"http://127.0.0.1:{port}"
        config = load_template(REPO / "template.yaml", endpoint=endpoint)
        data_dir = Path(scratch)
        bus = LocalBus(data_dir, endpoint=endpoint)
        bus.apply(config)
        bus.start()
        server = ServerThread(bus, port=port).start()
        try:
            client = boto3.client(
                "events",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
            )
            publisher = Publisher(config.buses[0].name, client=client)
            checkouts = generate_orders(orders, seed=seed, prefix=f"bench-{int(time.time())}")
            # warm the worker processes (imports, first boto3 client) outside the measurement
            place_orders(publisher, generate_orders(4, seed=seed + 1, prefix="warmup"), debug_sample_rate=0)
            bus.functions.wait_idle(60)
            time.sleep(0.5)
            started = time.time()
            if rate <= 0:
                place_orders(publisher, checkouts, debug_sample_rate=0)
            else:
                for n, checkout in enumerate(checkouts):
                    due = started + n / rate
                    if (pause := due - time.time()) > 0:
                        time.sleep(pause)
                    place_orders(publisher, [checkout], debug_sample_rate=0)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                ended = _events(bus, config.buses[0].name, started)
                if sum(1 for e in ended if e[1] in ENDINGS) + _dead_lettered(bus) >= orders:
                    break
                time.sleep(0.25)
            events = _events(bus, config.buses[0].name, started)
        finally:
            server.stop()
            bus.stop()
    placed = {e[2]: e[0] for e in events if e[1] == "OrderPlaced" and e[3] == "1.1"}
    ends = [e for e in events if e[1] in ENDINGS and e[2] in placed]
    shipped = [e[0] - placed[e[2]] for e in ends if e[1] == "OrderShipped"]
    first, last = min(placed.values()), max(e[0] for e in ends)
    return {
        "orders": orders,
        "rate": rate,
        "ended": len(ends),
        "shipped": len(shipped),
        "orders_per_second": len(ends) / (last - first),
        "placed_to_shipped_ms": {
            "p50": _percentile(shipped, 0.50) * 1000,
            "p90": _percentile(shipped, 0.90) * 1000,
            "p99": _percentile(shipped, 0.99) * 1000,
            "max": max(shipped) * 1000,
            "mean": statistics.fmean(shipped) * 1000,
        },
        "loadavg": os.getloadavg(),
    }


def _dead_lettered(bus: LocalBus) -> int:
    return sum(bus.store.queue_counts("choreo-PaymentsDeadLetterQueue", time.time()))


def _events(bus: LocalBus, name: str, since: float) -> list[tuple[float, str, str, str]]:
    """(ingested_at, detail-type, order id, schema version) of every event since ``since``."""
    found: list[tuple[float, str, str, str]] = []
    before: tuple[float, str] | None = None
    while page := bus.store.events_page(bus=name, before=before, limit=1000):
        for event in page:
            if event.ingested_at < since:
                return found
            detail = json.loads(event.detail)
            found.append(
                (
                    event.ingested_at,
                    event.detail_type,
                    str(detail["data"].get("orderId")),
                    detail["metadata"]["schema-version"],
                )
            )
        before = (page[-1].ingested_at, page[-1].id)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rate", type=float, default=0.0, help="orders per second; 0 = all at once")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    result = run(args.orders, args.rate, args.seed, args.timeout)
    result["loadavg_before"] = load_before
    latency = result["placed_to_shipped_ms"]
    print(
        f"{result['ended']}/{args.orders} orders ended ({result['shipped']} shipped), "
        f"{result['orders_per_second']:.1f} orders/s; OrderPlaced -> OrderShipped "
        f"p50 {latency['p50']:.0f} ms, p90 {latency['p90']:.0f} ms, p99 {latency['p99']:.0f} ms, "
        f"max {latency['max']:.0f} ms; loadavg {load_before[0]:.2f} -> {result['loadavg'][0]:.2f}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
