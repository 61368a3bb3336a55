"""API destination benchmark: the invocation rate limit in real time, and delivery to a fast endpoint.

    python benchmarks/bench_apidest.py [--json PATH] [--quick]

A LocalBus (real delivery threads, SQLite store in a temporary directory) behind the AWS-compatible
endpoint; everything is created through boto3 as a user would: an API_KEY connection, API
destinations pointing at a loopback HTTP server of this process that records when each request
arrives, a rule per destination. Two phases:

1. Rate limit: N events (default 250, --quick 100) to a destination with
   InvocationRateLimitPerSecond = 50. Reported: the achieved rate over the run (first to last
   arrival), the most requests that arrived in any 1-second window (must not exceed 50), and
   whether every event arrived.
2. Throughput: N events (default 1,500, --quick 600) to a destination at AWS's default limit of
   300 per second; reported as for phase 1. The limit, not the engine, should be what binds.

Figures go to docs/benchmarks.md with the command; the virtual-clock tests in tests/apidest assert
the spacing itself, this measures what the wall clock sees.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from bus.engine.runtime import LocalBus  # noqa: E402
from bus.wire.server import ServerThread  # noqa: E402


class _Recorder:
    """A loopback HTTP endpoint that answers 200 and records each request's arrival time by path."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with recorder._lock:
                    recorder.arrivals.setdefault(self.path, []).append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def count(self, path: str) -> int:
        with self._lock:
            return len(self.arrivals.get(path, []))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _client(endpoint: str) -> Any:
    return boto3.client(
        "events",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}),
    )


def _phase(events: Any, recorder: _Recorder, connection: str, name: str, rate: int, n: int) -> dict[str, Any]:
    path = f"/{name}"
    arn = events.create_api_destination(
        Name=name,
        ConnectionArn=connection,
        InvocationEndpoint=recorder.url + path,
        HttpMethod="POST",
        InvocationRateLimitPerSecond=rate,
    )["ApiDestinationArn"]
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(
        Rule=name, Targets=[{"Id": "api", "Arn": arn, "RoleArn": "arn:aws:iam::123456789012:role/x"}]
    )
    detail = json.dumps({"n": 0, "pad": "x" * 64})
    t0 = time.monotonic()
    for start in range(0, n, 10):
        entries = [
            {"Source": name, "DetailType": "bench", "Detail": detail} for _ in range(min(10, n - start))
        ]
        assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
    put_s = time.monotonic() - t0
    deadline = time.monotonic() + n / rate * 3 + 30
    while recorder.count(path) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    times = sorted(recorder.arrivals.get(path, []))
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    window = 0
    lo = 0
    for hi, t in enumerate(times):  # the most arrivals within any 1-second window
        while t - times[lo] >= 1.0:
            lo += 1
        window = max(window, hi - lo + 1)
    return {
        "destination_rate_limit": rate,
        "events": n,
        "arrived": len(times),
        "all_arrived": len(times) == n,
        "put_seconds": round(put_s, 3),
        "achieved_per_s": round((len(times) - 1) / span, 1) if span else None,
        "max_in_any_1s_window": window,
        "within_limit": window <= rate,
        "first_arrival_after_first_put_ms": round((times[0] - t0) * 1000, 1) if times else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results as JSON to this path")
    parser.add_argument("--quick", action="store_true", help="100 and 600 events")
    args = parser.parse_args()
    limited, fast = (100, 600) if args.quick else (250, 1_500)
    recorder = _Recorder()
    out: dict[str, Any] = {"benchmark": "bench_apidest", "mode": "quick" if args.quick else "full"}
    try:
        with tempfile.TemporaryDirectory() as tmp, LocalBus(tmp) as bus:
            server = ServerThread(bus).start()
            try:
                events = _client(server.url)
                connection = events.create_connection(
                    Name="bench",
                    AuthorizationType="API_KEY",
                    AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}},
                )["ConnectionArn"]
                out["rate_limited"] = _phase(events, recorder, connection, "limited", 50, limited)
                out["default_limit"] = _phase(events, recorder, connection, "fast", 300, fast)
            finally:
                server.stop()
    finally:
        recorder.close()
    for key in ("rate_limited", "default_limit"):
        r = out[key]
        print(
            f"{key:>14}: limit {r['destination_rate_limit']}/s, {r['arrived']}/{r['events']} arrived, "
            f"achieved {r['achieved_per_s']}/s, max {r['max_in_any_1s_window']} in any 1 s "
            f"({'within' if r['within_limit'] else 'OVER'} the limit)"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
