"""Wire benchmark: the bus behind `choreo serve`, driven by unchanged boto3 code.

    python benchmarks/bench_wire.py [--json PATH] [--quick]

A LocalBus on a temporary directory and its AWS-compatible endpoint (ServerThread, uvicorn) run in
this process; the clients are real boto3 clients over HTTP on 127.0.0.1. The workload is the one
../shared/bench/localstack/bench.py drives LocalStack with, so the figures compare like for like:
a custom bus, a content-filter rule (prefix + numeric) whose target is an SQS queue created through
boto3, and a second rule that never matches.

1. Throughput: one client, sequential PutEvents of 10 entries, every event matching the rule;
   ~20,000 events (--quick: 2,000). Every accepted event is committed before PutEvents returns (by
   design), so the PutEvents rate is a durable-ingest rate. Also measured, as LocalStack's figure
   is: the rate at which the events become visible in the SQS queue (ApproximateNumberOfMessages
   reaching N, counted from the first call).
2. Publish-to-receive latency: one thread publishes single events at a fixed pace of 100 events/s
   (absolute schedule) and records the time just before each PutEvents call by EventId; another
   long-polls the queue (WaitTimeSeconds=1, MaxNumberOfMessages=10), deletes what it received and
   records the receive time. Latency = receive time - publish time; p50 / p95 / p99.
3. LocalStack's figures, QUOTED from ../shared/bench/localstack/README.md (not measured here).

Client and server share this process (and its GIL), which costs the server CPU time; the
LocalStack figures were taken with the server in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from bus.engine.runtime import LocalBus  # noqa: E402
from bus.wire.server import ServerThread  # noqa: E402

# QUOTED, not measured: ../shared/bench/localstack/README.md, quiet run on this 2-core machine (2026-11-23)
LOCALSTACK = {
    "source": "../shared/bench/localstack/README.md (quoted, not measured in this run)",
    "version": "LocalStack 2026.3.0 community",
    "delivered_events_per_s": 374.0,
    "latency_ms_p50": 5.6,
    "latency_ms_p95": 9.1,
    "latency_ms_p99": 17.6,
}
TARGET_EVENTS_PER_S = 3_700.0
TARGET_P99_MS = 5.0

DETAIL = json.dumps({"kind": "order", "amount": 42, "pad": "x" * 64})
PATTERN = {
    "source": ["SOURCE"],
    "detail-type": ["bench"],
    "detail": {"kind": [{"prefix": "ord"}], "amount": [{"numeric": [">", 0]}]},
}


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _queue_with_rule(events: Any, sqs: Any, bus: str, tag: str, source: str) -> str:
    url: str = sqs.create_queue(QueueName=f"bench-{tag}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps({**PATTERN, "source": [source]})
    events.put_rule(Name=f"r-{tag}", EventBusName=bus, EventPattern=pattern)
    result = events.put_targets(Rule=f"r-{tag}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    assert result["FailedEntryCount"] == 0, result
    return url


def throughput(events: Any, sqs: Any, bus: str, url: str, total: int) -> dict[str, Any]:
    batch = [{"EventBusName": bus, "Source": "bench.tp", "DetailType": "bench", "Detail": DETAIL}] * 10
    warm = [{"EventBusName": bus, "Source": "warm", "DetailType": "bench", "Detail": DETAIL}] * 10
    for _ in range(20):  # not counted, matches no rule
        events.put_events(Entries=warm)
    calls = total // 10
    call_s: list[float] = []
    failed = 0
    t0 = time.perf_counter()
    for _ in range(calls):
        c0 = time.perf_counter()
        failed += events.put_events(Entries=batch)["FailedEntryCount"]
        call_s.append(time.perf_counter() - c0)
    put_s = time.perf_counter() - t0
    visible = 0
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        visible = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        if visible >= calls * 10:
            break
        time.sleep(0.05)
    delivered_s = time.perf_counter() - t0
    return {
        "events": calls * 10,
        "put_calls": calls,
        "failed_entries": failed,
        "put_seconds": round(put_s, 3),
        "put_events_per_s": round(calls * 10 / put_s, 1),
        "put_call_ms_p50": round(_pct(call_s, 50) * 1000, 2),
        "put_call_ms_p99": round(_pct(call_s, 99) * 1000, 2),
        # does ingest slow down as the store and the delivery backlog grow?
        "put_call_ms_p50_first_10pct": round(_pct(call_s[: calls // 10], 50) * 1000, 2),
        "put_call_ms_p50_last_10pct": round(_pct(call_s[-(calls // 10) :], 50) * 1000, 2),
        "delivered_to_sqs": visible,
        "all_delivered_seconds": round(delivered_s, 3) if visible >= calls * 10 else None,
        "delivered_events_per_s": round(visible / delivered_s, 1),
    }


def latency(endpoint: str, bus: str, url: str, count: int, rate: float) -> dict[str, Any]:
    publisher = _client("events", endpoint)
    receiver = _client("sqs", endpoint)
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()
    failures: list[str] = []
    entry = [{"EventBusName": bus, "Source": "bench.lat", "DetailType": "bench", "Detail": DETAIL}]
    # warm both connections before the clock starts
    publisher.put_events(Entries=[{**entry[0], "Source": "warm"}])
    receiver.receive_message(QueueUrl=url, WaitTimeSeconds=0)

    def publish() -> None:
        start = time.perf_counter() + 0.1
        for i in range(count):
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            t = time.perf_counter()
            result = publisher.put_events(Entries=entry)
            if result["FailedEntryCount"]:
                failures.append(str(result["Entries"]))
                continue
            with lock:
                sent[result["Entries"][0]["EventId"]] = t

    def receive() -> None:
        while not done.is_set():
            messages = receiver.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            )
            t = time.perf_counter()
            if not messages:
                continue
            with lock:
                for m in messages:
                    received.setdefault(json.loads(m["Body"])["id"], t)
            entries = [{"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(messages)]
            receiver.delete_message_batch(QueueUrl=url, Entries=entries)

    receiving = threading.Thread(target=receive, name="bench-receiver")
    receiving.start()
    t0 = time.perf_counter()
    publish()
    send_span = time.perf_counter() - t0
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        with lock:
            if sent.keys() <= received.keys():
                break
        time.sleep(0.01)
    done.set()
    receiving.join(5)
    with lock:
        ms = [(received[e] - t) * 1000 for e, t in sent.items() if e in received]
        missing = len(sent.keys() - received.keys())
    return {
        "events": count,
        "target_rate": rate,
        "achieved_send_rate": round(count / send_span, 1),
        "received": len(ms),
        "missing": missing,
        "failed_entries": len(failures),
        "latency_ms_p50": round(_pct(ms, 50), 2),
        "latency_ms_p95": round(_pct(ms, 95), 2),
        "latency_ms_p99": round(_pct(ms, 99), 2),
        "latency_ms_max": round(max(ms), 2) if ms else None,
        "latency_ms_mean": round(statistics.fmean(ms), 2) if ms else None,
    }


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results as JSON to this path")
    parser.add_argument("--quick", action="store_true", help="2,000 events for throughput, 300 for latency")
    args = parser.parse_args()
    total = 2_000 if args.quick else 20_000
    lat_events = 300 if args.quick else 1_000
    rate = 100.0

    out: dict[str, Any] = {
        "benchmark": "bench_wire",
        "mode": "quick" if args.quick else "full",
        "host_cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }
    with tempfile.TemporaryDirectory() as tmp, LocalBus(tmp) as local:
        server = ServerThread(local).start()
        try:
            events = _client("events", server.url)
            sqs = _client("sqs", server.url)
            bus = "bench-bus"
            events.create_event_bus(Name=bus)
            events.put_rule(Name="r-other", EventBusName=bus, EventPattern=json.dumps({"source": ["nobody"]}))
            tp_url = _queue_with_rule(events, sqs, bus, "tp", "bench.tp")
            lat_url = _queue_with_rule(events, sqs, bus, "lat", "bench.lat")
            print(f"server {server.url}; throughput over {total:,} events ...", flush=True)
            out["throughput"] = throughput(events, sqs, bus, tp_url, total)
            sqs.purge_queue(QueueUrl=tp_url)
            print(f"latency over {lat_events:,} events at {rate:.0f}/s ...", flush=True)
            out["latency"] = latency(server.url, bus, lat_url, lat_events, rate)
        finally:
            server.stop()
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]

    tp, lat, ls = out["throughput"], out["latency"], LOCALSTACK
    out["localstack_quoted"] = ls
    out["ratios_vs_localstack_374"] = {
        "put_events_per_s": round(tp["put_events_per_s"] / ls["delivered_events_per_s"], 1),
        "delivered_events_per_s": round(tp["delivered_events_per_s"] / ls["delivered_events_per_s"], 1),
    }
    out["targets"] = {
        "events_per_s": TARGET_EVENTS_PER_S,
        "p99_ms": TARGET_P99_MS,
        "put_events_per_s_met": tp["put_events_per_s"] >= TARGET_EVENTS_PER_S,
        "delivered_events_per_s_met": tp["delivered_events_per_s"] >= TARGET_EVENTS_PER_S,
        "p99_met": lat["latency_ms_p99"] <= TARGET_P99_MS,
    }

    def yes(ok: bool) -> str:
        return "met" if ok else "NOT met"

    rows = [
        ("metric", "choreo (measured)", "LocalStack (QUOTED)", "target"),
        (
            f"PutEvents, batches of 10 ({tp['events']:,} events)",
            f"{tp['put_events_per_s']:,.0f} ev/s",
            "-",
            f">= {TARGET_EVENTS_PER_S:,.0f} ev/s: {yes(out['targets']['put_events_per_s_met'])}",
        ),
        (
            "delivered to SQS (visible in queue)",
            f"{tp['delivered_events_per_s']:,.0f} ev/s",
            f"{ls['delivered_events_per_s']:,.0f} ev/s",
            f">= {TARGET_EVENTS_PER_S:,.0f} ev/s: {yes(out['targets']['delivered_events_per_s_met'])}",
        ),
        ("PutEvents call p50 / p99", f"{tp['put_call_ms_p50']} / {tp['put_call_ms_p99']} ms", "-", "-"),
        (
            "PutEvents call p50, first / last 10%",
            f"{tp['put_call_ms_p50_first_10pct']} / {tp['put_call_ms_p50_last_10pct']} ms",
            "-",
            "-",
        ),
        (
            f"publish->receive p50 ({lat['received']:,} ev at {rate:.0f}/s)",
            f"{lat['latency_ms_p50']} ms",
            f"{ls['latency_ms_p50']} ms",
            "-",
        ),
        ("publish->receive p95", f"{lat['latency_ms_p95']} ms", f"{ls['latency_ms_p95']} ms", "-"),
        (
            "publish->receive p99",
            f"{lat['latency_ms_p99']} ms",
            f"{ls['latency_ms_p99']} ms",
            f"<= {TARGET_P99_MS} ms: {yes(out['targets']['p99_met'])}",
        ),
        ("publish->receive max", f"{lat['latency_ms_max']} ms", "-", "-"),
    ]
    print()
    print(_table(rows))
    ratios = out["ratios_vs_localstack_374"]
    print(
        f"\nratio vs LocalStack's 374 ev/s (quoted): PutEvents x{ratios['put_events_per_s']}, "
        f"delivered x{ratios['delivered_events_per_s']}"
    )
    print(
        f"checks: failed entries {tp['failed_entries']}+{lat['failed_entries']}, delivered "
        f"{tp['delivered_to_sqs']:,}/{tp['events']:,}, latency events missing {lat['missing']}, "
        f"send rate achieved {lat['achieved_send_rate']}/s; loadavg {out['loadavg_at_start']} -> "
        f"{out['loadavg_at_end']}"
    )
    print(f"LocalStack figures are QUOTED from {ls['source']}; client and server share this process here.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
