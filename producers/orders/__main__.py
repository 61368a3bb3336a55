"""``python -m producers.orders --count 300``: place orders on the bus, one JSON line per order.

The orders service as a process of its own that reaches the bus only through the EventBridge API:
boto3 honours ``AWS_ENDPOINT_URL``, so the same command places orders on ``choreo serve`` and on
AWS. The demo, the end-to-end tests and the benchmark drive the saga with it from outside.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from bus.producer import Publisher
from producers.orders._checkout import generate_orders
from producers.orders._place import place_orders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m producers.orders", description=__doc__)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prefix", default=None, help="order id prefix (default ord-SEED)")
    parser.add_argument("--bus", default=os.environ.get("EVENT_BUS_NAME", "choreo-orders"))
    parser.add_argument("--debug-sample-rate", type=float, default=0.05)
    args = parser.parse_args(argv)
    placed = place_orders(
        Publisher(args.bus),
        generate_orders(args.count, seed=args.seed, prefix=args.prefix),
        debug_sample_rate=args.debug_sample_rate,
    )
    for p in placed:
        line = {"orderId": p.order_id, "correlationId": p.correlation_id, "eventIds": list(p.event_ids)}
        sys.stdout.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
