"""Wire benchmark: the bus behind `choreo serve`, driven by unchanged boto3 code.

    python benchmarks/bench_wire.py [--json PATH] [--quick] [--senders N] [--profile PATH]

The server runs in its own process, as `choreo serve` does: a LocalBus on a temporary directory
and its AWS-compatible endpoint (uvicorn) on a free port of 127.0.0.1, no template; the bench
creates everything through boto3. Every boto3 client runs in other processes, so clients and
server never share an interpreter (or a GIL). The workload and the method are the ones
../shared/bench/localstack/bench.py drives LocalStack with, so the figures compare like for like:
a custom bus, a content-filter rule (prefix + numeric) whose target is an SQS queue, and a second
rule that never matches.

1. Throughput: sequential PutEvents of 10 entries per sender, every event matching the rule;
   ~20,000 events (--quick: 2,000) in total. Measured twice: with 1 sender process (LocalStack's
   phase 1 method: one client, sequential calls) and with N sender processes (--senders, default 6,
   LocalStack's --senders 6) that start together and share the events. Every accepted event is
   committed before PutEvents returns (by design), so the PutEvents rate is a durable-ingest rate.
   Also measured, as LocalStack's figure is: the rate at which the events become visible in the
   SQS queue (ApproximateNumberOfMessages reaching N, counted from the first call).
2. Publish-to-receive latency: N sender processes publish single events on one shared absolute
   schedule of 100 events/s (process k sends events k, k+N, ...; LocalStack's method) and record
   the time just before each PutEvents call by EventId; two receiver threads of this process
   long-poll the queue (WaitTimeSeconds=1, MaxNumberOfMessages=10), delete what they received and
   record the receive time. Latency = receive time - publish time (one host clock,
   CLOCK_MONOTONIC); p50 / p95 / p99.
3. LocalStack's figures, QUOTED from ../shared/bench/localstack/README.md (not measured here).

--profile PATH samples every thread of the server process (1 ms period, sys._current_frames) and
writes the functions with the most samples, self and inclusive, to PATH: where the server's time
goes, without py-spy and without cProfile's per-call overhead.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
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

# QUOTED, not measured: ../shared/bench/localstack/README.md, quiet run on this 2-core machine (2026-11-23)
LOCALSTACK = {
    "source": "../shared/bench/localstack/README.md (quoted, not measured in this run)",
    "version": "LocalStack 2026.3.0 community",
    "method": "../shared/bench/localstack/bench.py --senders 6, server in its own process",
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


# ---------------------------------------------------------------------------------- server process


def _serve(data_dir: str, port: int, ready: str, profile: str | None) -> None:
    """The server process: LocalBus + uvicorn on 127.0.0.1:port until SIGTERM."""
    from bus.engine.runtime import LocalBus
    from bus.wire.server import ServerThread

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sampler = _Sampler() if profile else None
    with LocalBus(data_dir, endpoint=f"http://127.0.0.1:{port}") as local:
        server = ServerThread(local, port=port).start()
        Path(ready).write_text(server.url)
        if sampler is not None:
            sampler.start()
        while not stop.wait(0.2):
            pass
        if sampler is not None:
            sampler.stop.set()
            sampler.join(5)
            Path(profile).write_text(sampler.report())  # threads still alive: their CPU time counts
        server.stop()


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


class Server:
    """The server process, started as `python bench_wire.py --serve DIR --port P --ready FILE`."""

    def __init__(self, data_dir: str, profile: Path | None) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        ready = Path(data_dir) / "ready.url"
        command = [sys.executable, __file__, "--serve", str(Path(data_dir) / "bus"), "--port", str(port)]
        command += ["--ready", str(ready)] + (["--profile", str(profile)] if profile else [])
        self.process = subprocess.Popen(command)
        deadline = time.monotonic() + 30
        while not ready.exists() or not ready.read_text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                raise RuntimeError("the server process did not start")
            time.sleep(0.05)
        self.url = ready.read_text()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


# ---------------------------------------------------------------------------------- phases


def _queue_with_rule(events: Any, sqs: Any, bus: str, tag: str, source: str) -> str:
    url: str = sqs.create_queue(QueueName=f"bench-{tag}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps({**PATTERN, "source": [source]})
    events.put_rule(Name=f"r-{tag}", EventBusName=bus, EventPattern=pattern)
    result = events.put_targets(Rule=f"r-{tag}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    assert result["FailedEntryCount"] == 0, result
    return url


def _tp_sender(endpoint: str, bus: str, calls: int, barrier: Any, results: Any) -> None:
    events = _client("events", endpoint)
    batch = [{"EventBusName": bus, "Source": "bench.tp", "DetailType": "bench", "Detail": DETAIL}] * 10
    warm = [{"EventBusName": bus, "Source": "warm", "DetailType": "bench", "Detail": DETAIL}] * 10
    for _ in range(20):  # not counted, matches no rule
        events.put_events(Entries=warm)
    call_s: list[float] = []
    failed = 0
    barrier.wait(60)
    t0 = time.perf_counter()
    for _ in range(calls):
        c0 = time.perf_counter()
        failed += events.put_events(Entries=batch)["FailedEntryCount"]
        call_s.append(time.perf_counter() - c0)
    results.put((t0, time.perf_counter(), failed, call_s))


def throughput(server: Server, bus: str, url: str, total: int, senders: int) -> dict[str, Any]:
    sqs = _client("sqs", server.url)
    sqs.purge_queue(QueueUrl=url)
    calls = total // 10 // senders
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(senders + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_tp_sender, args=(server.url, bus, calls, barrier, results), daemon=True)
        for _ in range(senders)
    ]
    for p in procs:
        p.start()
    barrier.wait(120)
    cpu0 = server.cpu_seconds()
    done = [results.get(timeout=600) for _ in procs]
    cpu1 = server.cpu_seconds()
    for p in procs:
        p.join(10)
    t0 = min(d[0] for d in done)
    put_s = max(d[1] for d in done) - t0
    failed = sum(d[2] for d in done)
    call_s = [c for d in done for c in d[3]]
    first = [c for d in done for c in d[3][: max(1, calls // 10)]]
    last = [c for d in done for c in d[3][-max(1, calls // 10) :]]
    n = calls * senders * 10
    visible = 0
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        visible = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        if visible >= n:
            break
        time.sleep(0.05)
    delivered_s = time.perf_counter() - t0
    return {
        "senders": senders,
        "events": n,
        "put_calls": calls * senders,
        "failed_entries": failed,
        "put_seconds": round(put_s, 3),
        "put_events_per_s": round(n / put_s, 1),
        "put_call_ms_p50": round(_pct(call_s, 50) * 1000, 2),
        "put_call_ms_p99": round(_pct(call_s, 99) * 1000, 2),
        # does ingest slow down as the store and the delivery backlog grow?
        "put_call_ms_p50_first_10pct": round(_pct(first, 50) * 1000, 2),
        "put_call_ms_p50_last_10pct": round(_pct(last, 50) * 1000, 2),
        "server_cpu_s_per_1000_events": round((cpu1 - cpu0) / n * 1000, 3),
        "delivered_to_sqs": visible,
        "all_delivered_seconds": round(delivered_s, 3) if visible >= n else None,
        "delivered_events_per_s": round(visible / delivered_s, 1),
    }


def _lat_sender(
    endpoint: str, bus: str, k: int, senders: int, count: int, rate: float, start: float, results: Any
) -> None:
    publisher = _client("events", endpoint)
    entry = [{"EventBusName": bus, "Source": "bench.lat", "DetailType": "bench", "Detail": DETAIL}]
    publisher.put_events(Entries=[{**entry[0], "Source": "warm"}])  # warm the connection
    sent: dict[str, float] = {}
    failures = 0
    for i in range(k, count, senders):
        pause = start + i / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        t = time.perf_counter()
        result = publisher.put_events(Entries=entry)
        if result["FailedEntryCount"]:
            failures += 1
            continue
        sent[result["Entries"][0]["EventId"]] = t
    results.put((sent, failures))


def latency(
    server: Server, bus: str, url: str, count: int, rate: float, senders: int, receivers: int = 2
) -> dict[str, Any]:
    received: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()
    clients = [_client("sqs", server.url) for _ in range(receivers)]
    for c in clients:  # warm the connections before the clock starts
        c.receive_message(QueueUrl=url, WaitTimeSeconds=0)

    def receive(receiver: Any) -> None:
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

    threads = [threading.Thread(target=receive, args=(c,), name="bench-receiver") for c in clients]
    for t in threads:
        t.start()
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    start = time.perf_counter() + 3.0  # leaves time to spawn the sender processes
    procs = [
        ctx.Process(
            target=_lat_sender, args=(server.url, bus, k, senders, count, rate, start, results), daemon=True
        )
        for k in range(senders)
    ]
    for p in procs:
        p.start()
    cpu0 = server.cpu_seconds()
    outcomes = [results.get(timeout=count / rate + 120) for _ in procs]
    for p in procs:
        p.join(10)
    sent = {e: t for s, _ in outcomes for e, t in s.items()}
    failures = sum(f for _, f in outcomes)
    send_span = max(sent.values()) - min(sent.values()) if sent else 0.0
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        with lock:
            if sent.keys() <= received.keys():
                break
        time.sleep(0.01)
    cpu1 = server.cpu_seconds()
    done.set()
    for t in threads:
        t.join(5)
    with lock:
        ms = [(received[e] - t) * 1000 for e, t in sent.items() if e in received]
        missing = len(sent.keys() - received.keys())
    return {
        "events": count,
        "target_rate": rate,
        "senders": senders,
        "receivers": receivers,
        "achieved_send_rate": round((len(sent) - 1) / send_span, 1) if send_span else None,
        "received": len(ms),
        "missing": missing,
        "failed_entries": failures,
        "latency_ms_p50": round(_pct(ms, 50), 2),
        "latency_ms_p95": round(_pct(ms, 95), 2),
        "latency_ms_p99": round(_pct(ms, 99), 2),
        "latency_ms_max": round(max(ms), 2) if ms else None,
        "latency_ms_mean": round(statistics.fmean(ms), 2) if ms else None,
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / max(1e-9, send_span), 1),
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
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results as JSON to this path")
    parser.add_argument("--quick", action="store_true", help="2,000 events for throughput, 300 for latency")
    parser.add_argument(
        "--senders", type=int, default=6, help="sender processes (default 6, as LocalStack's run)"
    )
    parser.add_argument("--profile", type=Path, help="sample the server process; write its profile here")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # internal: run the server process
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port, args.ready, str(args.profile) if args.profile else None)
        return
    total = 2_000 if args.quick else 20_000
    lat_events = 300 if args.quick else 1_000
    rate = 100.0

    out: dict[str, Any] = {
        "benchmark": "bench_wire",
        "mode": "quick" if args.quick else "full",
        "method": "server in its own process; boto3 senders in separate processes",
        "host_cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(tmp, args.profile.resolve() if args.profile else None)
        try:
            events = _client("events", server.url)
            sqs = _client("sqs", server.url)
            bus = "bench-bus"
            events.create_event_bus(Name=bus)
            events.put_rule(Name="r-other", EventBusName=bus, EventPattern=json.dumps({"source": ["nobody"]}))
            tp_url = _queue_with_rule(events, sqs, bus, "tp", "bench.tp")
            lat_url = _queue_with_rule(events, sqs, bus, "lat", "bench.lat")
            print(
                f"server {server.url} (pid {server.process.pid}); throughput over {total:,} events ...",
                flush=True,
            )
            out["throughput_1_sender"] = throughput(server, bus, tp_url, total, 1)
            print(f"  1 sender: {out['throughput_1_sender']['put_events_per_s']:,.0f} ev/s", flush=True)
            out["throughput"] = throughput(server, bus, tp_url, total, args.senders)
            print(f"  {args.senders} senders: {out['throughput']['put_events_per_s']:,.0f} ev/s", flush=True)
            sqs.purge_queue(QueueUrl=tp_url)
            print(f"latency over {lat_events:,} events at {rate:.0f}/s ...", flush=True)
            out["latency"] = latency(server, bus, lat_url, lat_events, rate, args.senders)
        finally:
            server.stop()
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]

    tp1, tp, lat, ls = out["throughput_1_sender"], out["throughput"], out["latency"], LOCALSTACK
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

    n = args.senders
    rows = [
        ("metric", "choreo (measured)", "LocalStack (QUOTED)", "target"),
        (
            f"PutEvents, batches of 10, 1 sender ({tp1['events']:,} events)",
            f"{tp1['put_events_per_s']:,.0f} ev/s",
            "-",
            "-",
        ),
        (
            f"PutEvents, batches of 10, {n} senders ({tp['events']:,} events)",
            f"{tp['put_events_per_s']:,.0f} ev/s",
            "-",
            f">= {TARGET_EVENTS_PER_S:,.0f} ev/s: {yes(out['targets']['put_events_per_s_met'])}",
        ),
        (
            f"delivered to SQS (visible in queue), {n} senders",
            f"{tp['delivered_events_per_s']:,.0f} ev/s",
            f"{ls['delivered_events_per_s']:,.0f} ev/s",
            f">= {TARGET_EVENTS_PER_S:,.0f} ev/s: {yes(out['targets']['delivered_events_per_s_met'])}",
        ),
        ("delivered to SQS, 1 sender", f"{tp1['delivered_events_per_s']:,.0f} ev/s", "-", "-"),
        (
            f"PutEvents call p50 / p99 (1 / {n} senders)",
            f"{tp1['put_call_ms_p50']} / {tp1['put_call_ms_p99']}, "
            f"{tp['put_call_ms_p50']} / {tp['put_call_ms_p99']} ms",
            "-",
            "-",
        ),
        (
            f"server CPU s per 1,000 events (1 / {n} senders)",
            f"{tp1['server_cpu_s_per_1000_events']} / {tp['server_cpu_s_per_1000_events']}",
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
        f"checks: failed entries {tp1['failed_entries']}+{tp['failed_entries']}+{lat['failed_entries']}, "
        f"delivered {tp1['delivered_to_sqs']:,}/{tp1['events']:,} and "
        f"{tp['delivered_to_sqs']:,}/{tp['events']:,}, "
        f"latency events missing {lat['missing']}, send rate achieved {lat['achieved_send_rate']}/s; "
        f"loadavg {out['loadavg_at_start']} -> {out['loadavg_at_end']}"
    )
    print(f"LocalStack figures are QUOTED from {ls['source']}; the server runs in its own process here.")
    if args.profile:
        print(f"server profile: {args.profile}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
