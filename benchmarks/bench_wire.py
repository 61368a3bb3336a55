"""Wire benchmark: the bus behind `choreo serve` and LocalStack, side by side, driven by unchanged boto3 code.

    python benchmarks/bench_wire.py [--json PATH] [--quick] [--senders N] [--profile PATH]
                                    [--localstack auto|off|required] [--ls-venv PATH] [--ls-events N]
                                    [--ls-cold]

Two servers, each in its own process, measured in the same run with the same client code:

- choreo: a LocalBus on a temporary directory and its AWS-compatible endpoint (uvicorn) on a free
  port of 127.0.0.1, as `choreo serve` runs it, no template.
- LocalStack 2026.3.0 community (issue 4: "measure side by side with ../shared/bench/localstack/"),
  started with ../shared/bench/localstack/start_localstack.sh from the venv in --ls-venv (default
  $LS_VENV or /tmp/lsenv313; it is never a dependency of this project), with a fresh LS_ROOT in a
  temporary directory, on 127.0.0.1:4566 (another free port if 4566 is taken). The bench waits
  for /_localstack/health (with a deadline), checks that every socket the server listens on is a
  loopback one, and always stops it (SIGTERM to its process group, then SIGKILL), also on errors
  and Ctrl-C. A fresh LS_ROOT has no service-catalog cache, which LocalStack builds on its first
  requests (~4 s, and ~500 MiB RSS instead of ~150 afterwards), so a throwaway start builds it
  first, as any earlier run on the machine would have (--ls-cold skips it). --localstack auto
  (default) measures it when the venv exists and otherwise says clearly that it was not measured;
  off never starts it; required fails without it (or when it fails to start or to run).

The bench creates everything through boto3; every boto3 client runs in other processes than the
servers, so clients and server never share an interpreter (or a GIL). The workload and method are
those of ../shared/bench/localstack/bench.py: a custom bus, content-filter rules (prefix + numeric)
whose target is an SQS queue, and a rule that never matches. Each phase runs on choreo, then on
LocalStack, before the next phase starts (interleaved, so a change of machine load hits both).

1. Throughput: sequential PutEvents of 10 entries per sender, every event matching the rule.
   Measured with 1 sender process (LocalStack's phase 1 method: one client, sequential calls) and
   with N sender processes (--senders, default 6, LocalStack's --senders 6) that start together and
   share the events; each of the two phases has its own rule and queue. Events per phase: choreo
   20,000 (--quick 2,000); LocalStack, which runs hundreds of events/s, 4,000 (--quick 2,000;
   --ls-events overrides) to keep the run bounded in time. In choreo every accepted event is
   committed before PutEvents returns (by design), so its PutEvents rate is a durable-ingest rate.
   Also measured: the rate at which the events become visible in the SQS queue
   (ApproximateNumberOfMessages reaching N, counted from the first call). That "delivered" rate
   with 1 sender is the issue's throughput figure.
2. Publish-to-receive latency: N sender processes publish single events on one shared absolute
   schedule of 100 events/s (process k sends events k, k+N, ...; LocalStack's method) and record
   the time just before each PutEvents call by EventId; two receiver threads of this process
   long-poll the queue (WaitTimeSeconds=1, MaxNumberOfMessages=10), delete what they received and
   record the receive time. Latency = receive time - publish time (one host clock,
   CLOCK_MONOTONIC); p50 / p95 / p99. 2,000 events (--quick 300), as LocalStack's quoted run, on
   both servers, and between them on a stand-in that does nothing (benchmarks/_standin.py: the
   same uvicorn and Starlette, PutEvents handing the event to a waiting ReceiveMessage in memory):
   the floor this client and this machine put under any server, in the same run.
3. Server load: CPU, RSS and threads of each server process (and its children) sampled every
   0.25 s from /proc/<pid>/stat and /proc/<pid>/status, per phase.

Targets (issue 4), evaluated against LocalStack as measured in this run: delivered throughput from
one client >= 10x LocalStack's, and choreo's publish-to-receive p99 <= 5 ms. LocalStack's figures
QUOTED from ../shared/bench/localstack/README.md (a quiet run, 2026-11-23) stay as a reference
column; they are the basis of the targets only when LocalStack was not measured (said so).

--profile PATH samples every thread of the choreo server process (1 ms period,
sys._current_frames) and writes the functions with the most samples, self and inclusive, to PATH:
where the server's time goes, without py-spy and without cProfile's per-call overhead.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _aws import client  # noqa: E402
from _localstack import LS_DEFAULT_VENV, LocalStack  # noqa: E402
from _proc import _cpu_seconds, _ProcSampler  # noqa: E402
from _profiler import _Sampler  # noqa: E402
from _standin import StandIn  # noqa: E402

# QUOTED, not measured: ../shared/bench/localstack/README.md, quiet run on this 2-core machine (2026-11-23)
LOCALSTACK_QUOTED: dict[str, Any] = {
    "source": "../shared/bench/localstack/README.md (quoted, not measured in this run)",
    "version": "LocalStack 2026.3.0 community",
    "method": "../shared/bench/localstack/bench.py --senders 6, 20,000 events then 2,000 at 100/s",
    "delivered_events_per_s": 374.0,
    "latency_ms_p50": 5.6,
    "latency_ms_p95": 9.1,
    "latency_ms_p99": 17.6,
    "rss_mib": 145.0,
}
TARGET_DELIVERED_RATIO = 10.0  # delivered throughput from one client >= 10x LocalStack's
TARGET_P99_MS = 5.0

DETAIL = json.dumps({"kind": "order", "amount": 42, "pad": "x" * 64})
PATTERN = {
    "source": ["SOURCE"],
    "detail-type": ["bench"],
    "detail": {"kind": [{"prefix": "ord"}], "amount": [{"numeric": [">", 0]}]},
}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# ---------------------------------------------------------------------------------- /proc


def _serve(data_dir: str, port: int, ready: str, profile: str | None) -> None:
    """The server process: LocalBus + uvicorn on 127.0.0.1:port until SIGTERM."""
    from bus.engine.runtime import LocalBus
    from bus.wire.server import ServerThread, settle_heap

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sampler = _Sampler() if profile else None
    with LocalBus(data_dir, endpoint=f"http://127.0.0.1:{port}") as local:
        server = ServerThread(local, port=port).start()
        settle_heap()  # as `choreo serve` does
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


class Server:
    """The choreo server process, started as `python bench_wire.py --serve DIR --port P --ready FILE`."""

    name = "choreo"

    def __init__(self, data_dir: str, profile: Path | None) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        ready = Path(data_dir) / "ready.url"
        command = [sys.executable, __file__, "--serve", str(Path(data_dir) / "bus"), "--port", str(port)]
        command += ["--ready", str(ready)] + (["--profile", str(profile)] if profile else [])
        self.process = subprocess.Popen(command)
        self.pid = self.process.pid
        deadline = time.monotonic() + 30
        while not ready.exists() or not ready.read_text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                raise RuntimeError("the server process did not start")
            time.sleep(0.05)
        self.url = ready.read_text()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        return _cpu_seconds(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _queue_with_rule(events: Any, sqs: Any, bus: str, tag: str, source: str) -> str:
    url: str = sqs.create_queue(QueueName=f"bench-{tag}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps({**PATTERN, "source": [source]})
    events.put_rule(Name=f"r-{tag}", EventBusName=bus, EventPattern=pattern)
    result = events.put_targets(Rule=f"r-{tag}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    assert result["FailedEntryCount"] == 0, result
    return url


def setup(endpoint: str, bus: str) -> dict[str, str]:
    """The bus, a rule that never matches, and one rule + queue per phase."""
    events, sqs = client("events", endpoint), client("sqs", endpoint)
    events.create_event_bus(Name=bus)
    events.put_rule(Name="r-other", EventBusName=bus, EventPattern=json.dumps({"source": ["nobody"]}))
    return {
        "tp1": _queue_with_rule(events, sqs, bus, "tp1", "bench.tp1"),
        "tpn": _queue_with_rule(events, sqs, bus, "tpn", "bench.tpn"),
        "lat": _queue_with_rule(events, sqs, bus, "lat", "bench.lat"),
    }


def _gather(results: Any, procs: list[Any], timeout: float) -> list[Any]:
    """One result per sender process; fails fast when a sender reports an error or dies."""
    done: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(done) < len(procs):
        try:
            item = results.get(timeout=1)
        except queue.Empty:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(procs) - len(done)} sender(s) gave no result in {timeout:.0f} s"
                ) from None
            if any(p.exitcode not in (None, 0) for p in procs):
                raise RuntimeError("a sender process died") from None
            continue
        if item[0] == "error":
            raise RuntimeError(f"a sender failed: {item[1]}")
        done.append(item)
    return done


def _tp_sender(endpoint: str, bus: str, source: str, calls: int, barrier: Any, results: Any) -> None:
    try:
        _tp_send(endpoint, bus, source, calls, barrier, results)
    except Exception as error:
        barrier.abort()  # the bench stops waiting at the barrier
        results.put(("error", f"{type(error).__name__}: {error}"))


def _tp_send(endpoint: str, bus: str, source: str, calls: int, barrier: Any, results: Any) -> None:
    events = client("events", endpoint)
    batch = [{"EventBusName": bus, "Source": source, "DetailType": "bench", "Detail": DETAIL}] * 10
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


def throughput(server: Any, bus: str, url: str, source: str, total: int, senders: int) -> dict[str, Any]:
    sqs = client("sqs", server.url)
    calls = total // 10 // senders
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(senders + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_tp_sender, args=(server.url, bus, source, calls, barrier, results), daemon=True)
        for _ in range(senders)
    ]
    for p in procs:
        p.start()
    barrier.wait(120)
    cpu0 = server.cpu_seconds()
    done = _gather(results, procs, 600)
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
    try:
        _lat_send(endpoint, bus, k, senders, count, rate, start, results)
    except Exception as error:
        results.put(("error", f"{type(error).__name__}: {error}"))


def _lat_send(
    endpoint: str, bus: str, k: int, senders: int, count: int, rate: float, start: float, results: Any
) -> None:
    publisher = client("events", endpoint)
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
    server: Any, bus: str, url: str, count: int, rate: float, senders: int, receivers: int = 2
) -> dict[str, Any]:
    received: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()
    clients = [client("sqs", server.url) for _ in range(receivers)]
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
    try:
        ctx = mp.get_context("spawn")
        results = ctx.Queue()
        start = time.perf_counter() + 3.0  # leaves time to spawn the sender processes
        procs = [
            ctx.Process(
                target=_lat_sender,
                args=(server.url, bus, k, senders, count, rate, start, results),
                daemon=True,
            )
            for k in range(senders)
        ]
        for p in procs:
            p.start()
        cpu0 = server.cpu_seconds()
        outcomes = _gather(results, procs, count / rate + 120)
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
    finally:
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


# ---------------------------------------------------------------------------------- report


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs != theirs or ours != ours or theirs <= 0:
        return None
    return round(ours / theirs, 2 if ours / theirs < 10 else 1)


def _ls_venv(args: argparse.Namespace) -> Path:
    return Path(args.ls_venv or os.environ.get("LS_VENV") or LS_DEFAULT_VENV)


def _on_signal(signum: int, _frame: Any) -> None:
    print(f"signal {signum}: stopping the servers", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the servers


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results as JSON to this path")
    parser.add_argument(
        "--quick", action="store_true", help="2,000 events per throughput phase (both), 300 for latency"
    )
    parser.add_argument(
        "--senders", type=int, default=6, help="sender processes (default 6, as LocalStack's run)"
    )
    parser.add_argument("--profile", type=Path, help="sample the choreo server; write its profile here")
    parser.add_argument(
        "--localstack",
        choices=("auto", "off", "required"),
        default="auto",
        help="measure LocalStack in the same run: auto (default) when its venv exists, off, or required",
    )
    parser.add_argument(
        "--ls-venv", help=f"LocalStack's Python >= 3.12 venv (default $LS_VENV or {LS_DEFAULT_VENV})"
    )
    parser.add_argument(
        "--ls-events",
        type=int,
        help="events per LocalStack throughput phase (default 4,000; --quick 2,000)",
    )
    parser.add_argument(
        "--ls-cold",
        action="store_true",
        help="no throwaway start to build LocalStack's service-catalog cache (RSS ~500 MiB, not ~150)",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # internal: run the server process
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port, args.ready, str(args.profile) if args.profile else None)
        return
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    total = 2_000 if args.quick else 20_000
    ls_total = args.ls_events or (2_000 if args.quick else 4_000)
    lat_events = 300 if args.quick else 2_000  # as LocalStack's quoted run
    rate = 100.0
    n = args.senders
    ls_venv = _ls_venv(args)

    out: dict[str, Any] = {
        "benchmark": "bench_wire",
        "mode": "quick" if args.quick else "full",
        "method": "each server in its own process; boto3 senders in separate processes; phases interleaved",
        "host_cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }
    ls_block: dict[str, Any] = {"measured": False, "mode": args.localstack, "venv": str(ls_venv)}
    want_ls = args.localstack != "off"
    if want_ls and not (ls_venv / "bin" / "python").exists():
        ls_block["reason"] = f"no LocalStack venv at {ls_venv} (see ../shared/bench/localstack/README.md)"
        if args.localstack == "required":
            sys.exit(f"--localstack required: {ls_block['reason']}")
        want_ls = False
    elif not want_ls:
        ls_block["reason"] = "--localstack off"

    results: dict[str, dict[str, Any]] = {"choreo": {}, "localstack": {}, "floor": {}}
    sampler = _ProcSampler()
    ls: LocalStack | None = None
    server: Server | None = None
    ls_error: str | None = None

    def ls_failed(what: str, error: BaseException) -> None:
        nonlocal ls, ls_error
        ls_error = f"{what}: {type(error).__name__}: {error}"
        print(f"LocalStack NOT measured further ({ls_error})", file=sys.stderr, flush=True)
        if args.localstack == "required":
            raise error
        if ls is not None:
            ls.stop()
            sampler.pids.pop("localstack", None)
            ls = None

    with tempfile.TemporaryDirectory() as tmp:
        try:
            if want_ls:
                print(f"starting LocalStack from {ls_venv} ...", flush=True)
                try:
                    ls = LocalStack(ls_venv, warm=not args.ls_cold)
                except Exception as error:  # e.g. not ready before the deadline (it was stopped)
                    ls_failed("start", error)
                if ls is not None:
                    ls_block.update(
                        endpoint=ls.url,
                        pid=ls.pid,
                        version=ls.health.get("version"),
                        startup_seconds=ls.startup_s,
                        service_catalog_cache=(
                            "cold (--ls-cold)"
                            if ls.warmup_s is None
                            else f"built by a throwaway start first ({ls.warmup_s} s)"
                        ),
                        listening=[f"{proto} {address}" for proto, address, _ in ls.sockets],
                        ls_root=str(ls.root),
                    )
                    sampler.pids["localstack"] = ls.pid
                    print(
                        f"LocalStack {ls_block['version']} {ls.url} (pid {ls.pid}), ready in "
                        f"{ls.startup_s} s, listening on {', '.join(ls_block['listening'])}; "
                        f"service-catalog cache {ls_block['service_catalog_cache']}",
                        flush=True,
                    )
            server = Server(tmp, args.profile.resolve() if args.profile else None)
            sampler.pids["choreo"] = server.pid
            sampler.start()
            bus = "bench-bus"
            urls = {"choreo": setup(server.url, bus)}
            if ls is not None:
                try:
                    urls["localstack"] = setup(ls.url, bus)
                except Exception as error:
                    ls_failed("setup", error)
            print(f"choreo {server.url} (pid {server.pid})", flush=True)
            sampler.phase = "idle"
            time.sleep(1.0)

            def phase(
                key: str, label: str, run: Callable[[Any, dict[str, str]], dict[str, Any]], *extra: Any
            ) -> None:
                for target in [server, *extra, ls]:
                    if target is None:
                        continue
                    sampler.phase = f"{key}:{target.name}"
                    sampler.sample()
                    try:
                        results[target.name][key] = r = run(target, urls[target.name])
                    except Exception as error:
                        if target is not ls:
                            raise
                        ls_failed(key, error)
                        continue
                    finally:
                        sampler.sample()
                    shown = (
                        f"{r['put_events_per_s']:,.0f} ev/s put, {r['delivered_events_per_s']:,.0f} delivered"
                        if "put_events_per_s" in r
                        else f"p50/p99 {r['latency_ms_p50']}/{r['latency_ms_p99']} ms"
                    )
                    print(f"  {label} {target.name}: {shown}", flush=True)

            print(
                f"throughput: choreo {total:,} events per phase, LocalStack {ls_total:,}; "
                f"latency: {lat_events:,} events at {rate:.0f}/s on each",
                flush=True,
            )
            phase(
                "throughput_1_sender",
                "1 sender",
                lambda t, u: throughput(t, bus, u["tp1"], "bench.tp1", total if t is server else ls_total, 1),
            )
            phase(
                "throughput",
                f"{n} senders",
                lambda t, u: throughput(t, bus, u["tpn"], "bench.tpn", total if t is server else ls_total, n),
            )
            floor = StandIn()  # the same measurement against a server that does nothing
            urls["floor"] = {"lat": floor.queue_url}
            try:
                phase(
                    "latency",
                    f"latency at {rate:.0f}/s",
                    lambda t, u: latency(t, bus, u["lat"], lat_events, rate, n),
                    floor,
                )
            finally:
                floor.stop()
            sampler.phase = "end"
            sampler.sample()
        finally:
            sampler.stop.set()
            if ls is not None:
                ls.stop()
            if server is not None:
                server.stop()
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]

    def load(name: str) -> dict[str, Any]:
        phases = ["idle", "throughput_1_sender", "throughput", "latency"]
        block: dict[str, Any] = {}
        for p in phases:
            own = sampler.summary(name, p if p == "idle" else f"{p}:{name}")
            if own:
                block[p] = own
        others = [s for s in sampler.samples if s[2] == name and not s[1].endswith(f":{name}")]
        if others:  # while the other server was measured: should be idle
            block["while_other_measured_cpu_s"] = round(
                sum(b[3] - a[3] for a, b in itertools.pairwise(others) if a[1] == b[1] and ":" in a[1]),
                2,
            )
        rows = [s for s in sampler.samples if s[2] == name]
        if rows:
            block["rss_mib_peak"] = round(max(r[4] for r in rows) / 1024, 1)
            block["threads_peak"] = max(r[5] for r in rows)
        return block

    ours = results["choreo"]
    tp1, tp, lat = ours["throughput_1_sender"], ours["throughput"], ours["latency"]
    out.update(throughput_1_sender=tp1, throughput=tp, latency=lat, server=load("choreo"))
    floor = out["floor_latency"] = results["floor"]["latency"]
    theirs = results["localstack"]
    measured = all(k in theirs for k in ("throughput_1_sender", "throughput", "latency"))
    ls_block["measured"] = measured
    if ls_error:
        ls_block["reason"] = ls_error
        ls_block["partial"] = theirs
    if measured:
        ls_block.update(
            counts={"throughput_events_per_phase": ls_total, "latency_events": lat_events},
            throughput_1_sender=theirs["throughput_1_sender"],
            throughput=theirs["throughput"],
            latency=theirs["latency"],
            server=load("localstack"),
        )
    out["localstack_measured"] = ls_block
    out["localstack_quoted"] = LOCALSTACK_QUOTED
    q = LOCALSTACK_QUOTED
    ls_tp1, ls_tp, ls_lat = (
        (theirs["throughput_1_sender"], theirs["throughput"], theirs["latency"]) if measured else ({}, {}, {})
    )
    ratios = {
        "put_events_per_s_1_sender": _ratio(tp1["put_events_per_s"], ls_tp1.get("put_events_per_s")),
        "put_events_per_s": _ratio(tp["put_events_per_s"], ls_tp.get("put_events_per_s")),
        "delivered_events_per_s_1_sender": _ratio(
            tp1["delivered_events_per_s"], ls_tp1.get("delivered_events_per_s")
        ),
        "delivered_events_per_s": _ratio(tp["delivered_events_per_s"], ls_tp.get("delivered_events_per_s")),
        "latency_ms_p50": _ratio(lat["latency_ms_p50"], ls_lat.get("latency_ms_p50")),
        "latency_ms_p95": _ratio(lat["latency_ms_p95"], ls_lat.get("latency_ms_p95")),
        "latency_ms_p99": _ratio(lat["latency_ms_p99"], ls_lat.get("latency_ms_p99")),
    }
    out["ratios_vs_localstack_measured"] = ratios if measured else None
    out["ratios_vs_localstack_quoted"] = {
        "delivered_events_per_s_1_sender": _ratio(tp1["delivered_events_per_s"], q["delivered_events_per_s"]),
        "latency_ms_p99": _ratio(lat["latency_ms_p99"], q["latency_ms_p99"]),
    }
    basis = ls_tp1["delivered_events_per_s"] if measured else q["delivered_events_per_s"]
    need = TARGET_DELIVERED_RATIO * basis
    out["targets"] = {
        "basis": "LocalStack measured in this run"
        if measured
        else "LocalStack QUOTED (not measured in this run)",
        "delivered_1_sender_ratio": TARGET_DELIVERED_RATIO,
        "delivered_1_sender_needed_events_per_s": round(need, 1),
        "delivered_1_sender_met": tp1["delivered_events_per_s"] >= need,
        "p99_ms": TARGET_P99_MS,
        "p99_met": lat["latency_ms_p99"] <= TARGET_P99_MS,
    }

    def yes(ok: bool) -> str:
        return "met" if ok else "NOT met"

    def x(key: str) -> str:
        r = ratios.get(key) if measured else None
        return "-" if r is None else f"x{r}"

    def mib(block: dict[str, Any], phase: str) -> str:
        s = block.get(phase)
        return f"{s['rss_mib_peak']:,.0f}" if s else "?"

    def cpu(block: dict[str, Any], phase: str) -> str:
        s = block.get(phase)
        return f"{s['cpu_pct']:.0f}%" if s and s["cpu_pct"] is not None else "?"

    na = "not measured"

    def lsv(figure: str) -> str:
        return figure if measured else na

    ls_srv = ls_block.get("server", {})
    our_srv = out["server"]
    rows: list[tuple[str, ...]] = [
        ("metric", "choreo", "LocalStack (measured)", "choreo/LS", "LS (quoted)", "issue 4 target"),
        (
            "PutEvents, batches of 10, 1 sender",
            f"{tp1['put_events_per_s']:,.0f} ev/s",
            lsv(f"{ls_tp1.get('put_events_per_s', 0):,.0f} ev/s"),
            x("put_events_per_s_1_sender"),
            "-",
            "",
        ),
        (
            "delivered to SQS, 1 sender",
            f"{tp1['delivered_events_per_s']:,.0f} ev/s",
            lsv(f"{ls_tp1.get('delivered_events_per_s', 0):,.0f} ev/s"),
            x("delivered_events_per_s_1_sender"),
            f"{q['delivered_events_per_s']:,.0f} ev/s",
            f">= x{TARGET_DELIVERED_RATIO:.0f} LS{'' if measured else ' quoted'} ({need:,.0f}): "
            f"{yes(out['targets']['delivered_1_sender_met'])}",
        ),
        (
            f"PutEvents, batches of 10, {n} senders",
            f"{tp['put_events_per_s']:,.0f} ev/s",
            lsv(f"{ls_tp.get('put_events_per_s', 0):,.0f} ev/s"),
            x("put_events_per_s"),
            "-",
            "",
        ),
        (
            f"delivered to SQS, {n} senders",
            f"{tp['delivered_events_per_s']:,.0f} ev/s",
            lsv(f"{ls_tp.get('delivered_events_per_s', 0):,.0f} ev/s"),
            x("delivered_events_per_s"),
            "-",
            "",
        ),
        (
            "PutEvents call p50/p99, 1 sender (ms)",
            f"{tp1['put_call_ms_p50']} / {tp1['put_call_ms_p99']}",
            lsv(f"{ls_tp1.get('put_call_ms_p50')} / {ls_tp1.get('put_call_ms_p99')}"),
            "",
            "-",
            "",
        ),
        (
            f"PutEvents call p50/p99, {n} senders (ms)",
            f"{tp['put_call_ms_p50']} / {tp['put_call_ms_p99']}",
            lsv(f"{ls_tp.get('put_call_ms_p50')} / {ls_tp.get('put_call_ms_p99')}"),
            "",
            "-",
            "",
        ),
        (
            f"server CPU s / 1,000 events, 1 / {n} senders",
            f"{tp1['server_cpu_s_per_1000_events']} / {tp['server_cpu_s_per_1000_events']}",
            lsv(
                f"{ls_tp1.get('server_cpu_s_per_1000_events')} / {ls_tp.get('server_cpu_s_per_1000_events')}"
            ),
            "",
            "-",
            "",
        ),
        (
            f"publish->receive p50 at {rate:.0f}/s",
            f"{lat['latency_ms_p50']} ms",
            lsv(f"{ls_lat.get('latency_ms_p50')} ms"),
            x("latency_ms_p50"),
            f"{q['latency_ms_p50']} ms",
            "",
        ),
        (
            "publish->receive p95",
            f"{lat['latency_ms_p95']} ms",
            lsv(f"{ls_lat.get('latency_ms_p95')} ms"),
            x("latency_ms_p95"),
            f"{q['latency_ms_p95']} ms",
            "",
        ),
        (
            "publish->receive p99",
            f"{lat['latency_ms_p99']} ms",
            lsv(f"{ls_lat.get('latency_ms_p99')} ms"),
            x("latency_ms_p99"),
            f"{q['latency_ms_p99']} ms",
            f"<= {TARGET_P99_MS} ms: {yes(out['targets']['p99_met'])}",
        ),
        (
            "publish->receive p50/p95/p99, do-nothing stand-in (floor)",
            f"{floor['latency_ms_p50']} / {floor['latency_ms_p95']} / {floor['latency_ms_p99']} ms",
            "",
            "",
            "",
            "",
        ),
        (
            "choreo above the floor, p50/p95/p99",
            " / ".join(
                f"{lat[k] - floor[k]:+.2f}" for k in ("latency_ms_p50", "latency_ms_p95", "latency_ms_p99")
            )
            + " ms",
            "",
            "",
            "",
            "",
        ),
        (
            "publish->receive max",
            f"{lat['latency_ms_max']} ms",
            lsv(f"{ls_lat.get('latency_ms_max')} ms"),
            "",
            "-",
            "",
        ),
        (
            f"server CPU, 1 sender / {n} senders / latency",
            " / ".join(cpu(our_srv, p) for p in ("throughput_1_sender", "throughput", "latency")),
            lsv(" / ".join(cpu(ls_srv, p) for p in ("throughput_1_sender", "throughput", "latency"))),
            "",
            "-",
            "",
        ),
        (
            "server RSS MiB, idle / peak",
            f"{mib(our_srv, 'idle')} / {our_srv.get('rss_mib_peak', '?')}",
            lsv(f"{mib(ls_srv, 'idle')} / {ls_srv.get('rss_mib_peak', '?')}"),
            "",
            f"{q['rss_mib']:.0f}",
            "",
        ),
        (
            "server threads, peak",
            f"{our_srv.get('threads_peak', '?')}",
            lsv(f"{ls_srv.get('threads_peak', '?')}"),
            "",
            "-",
            "",
        ),
    ]
    print()
    print(_table(rows))
    print(
        f"\nevents: choreo {tp1['events']:,} + {tp['events']:,} throughput, {lat['received']:,} latency; "
        + (
            f"LocalStack {ls_tp1['events']:,} + {ls_tp['events']:,} throughput, "
            f"{ls_lat['received']:,} latency"
            if measured
            else "LocalStack not measured"
        )
        + ". choreo/LS: higher is better for rates, lower for latencies."
    )
    if measured:
        print(
            f"LocalStack {ls_block.get('version')} MEASURED in this run "
            f"(pid {ls_block['pid']}, {ls_block['endpoint']}, "
            f"started in {ls_block['startup_seconds']} s); targets use its figures. "
            f"Quoted column: {q['source']}."
        )
    else:
        print(
            f"LocalStack was NOT measured in this run ({ls_block.get('reason')}); "
            f"targets use the QUOTED figures from {q['source']}."
        )
    checks = [
        f"failed entries {tp1['failed_entries']}+{tp['failed_entries']}+{lat['failed_entries']}",
        f"delivered {tp1['delivered_to_sqs']:,}/{tp1['events']:,} and "
        f"{tp['delivered_to_sqs']:,}/{tp['events']:,}",
        f"latency missing {lat['missing']}, send rate {lat['achieved_send_rate']}/s",
    ]
    print("checks, choreo: " + "; ".join(checks))
    if measured:
        checks = [
            f"failed entries {ls_tp1['failed_entries']}+{ls_tp['failed_entries']}+{ls_lat['failed_entries']}",
            f"delivered {ls_tp1['delivered_to_sqs']:,}/{ls_tp1['events']:,} and "
            f"{ls_tp['delivered_to_sqs']:,}/{ls_tp['events']:,}",
            f"latency missing {ls_lat['missing']}, send rate {ls_lat['achieved_send_rate']}/s",
        ]
        print("checks, LocalStack: " + "; ".join(checks))
        print(
            "CPU s used by the idle server while the other was measured: "
            f"choreo {our_srv.get('while_other_measured_cpu_s')}, "
            f"LocalStack {ls_srv.get('while_other_measured_cpu_s')}"
        )
    print(f"loadavg {out['loadavg_at_start']} -> {out['loadavg_at_end']} on {out['host_cpus']} CPUs")
    if args.profile:
        print(f"server profile: {args.profile}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.localstack == "required" and not measured:
        sys.exit(f"--localstack required, but LocalStack was not measured: {ls_block.get('reason')}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: both servers were stopped")
