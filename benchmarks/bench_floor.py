"""The floor under every wire latency: boto3 against an endpoint that does nothing.

    python benchmarks/bench_floor.py [--calls 500] [--events 1000]

The same uvicorn (httptools, uvloop) and Starlette as `choreo serve`, in its own process, with
nothing behind them. Two measurements:

- one PutEvents call, answered with a fixed one-entry response: boto3's own work (serialise, sign,
  parse) plus HTTP on loopback;
- publish-to-receive, measured exactly as bench_wire.py measures choreo (its ``latency`` function:
  6 sender processes at 100 events/s, 2 receivers long-polling, DeleteMessageBatch after each
  receive), against a stand-in that keeps nothing: PutEvents hands the event to a waiting
  ReceiveMessage in memory. No bus can answer sooner on this machine with this client.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _aws import client
from _standin import StandIn
from bench_wire import latency


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--events", type=int, default=2000, help="publish-to-receive events at 100/s")
    args = parser.parse_args()
    stand_in = StandIn()
    try:
        events = client("events", stand_in.url)
        entry = [{"EventBusName": "b", "Source": "s", "DetailType": "d", "Detail": '{"a":1}'}]
        for _ in range(50):
            events.put_events(Entries=entry)
        calls: list[float] = []
        for _ in range(args.calls):  # paced like the latency phase: 100 calls per second
            started = time.perf_counter()
            events.put_events(Entries=entry)
            calls.append((time.perf_counter() - started) * 1000)
            time.sleep(max(0.0, 0.01 - (time.perf_counter() - started)))
        calls.sort()
        p50, p99 = calls[len(calls) // 2], calls[int(len(calls) * 0.99)]
        print(f"boto3 PutEvents against a do-nothing endpoint ({args.calls} calls at 100/s):")
        print(f"  p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        got = latency(stand_in, "floor", stand_in.queue_url, args.events, 100.0, 6)
        print(f"publish-to-receive through a stand-in that keeps nothing ({args.events} events at 100/s,")
        print("  6 senders, 2 receivers, as bench_wire.py measures choreo):")
        print(
            f"  p50 {got['latency_ms_p50']:.2f} ms, p95 {got['latency_ms_p95']:.2f} ms,"
            f" p99 {got['latency_ms_p99']:.2f} ms (missing {got['missing']})"
        )
    finally:
        stand_in.stop()


if __name__ == "__main__":
    main()
