"""Web console benchmark: API and page-load times with 100,000 events in the store.

    python benchmarks/bench_console.py [--json PATH] [--quick] [--no-browser]

The store is filled as the console's query-plan test fills it (tests/console/bulk.py: 100,000
events over three buses, every one archived, 2,000 dead letters, 10,000 traces), then
``choreo serve``'s endpoint runs on a free loopback port.

1. API: each ``/console/api/...`` request the pages make, repeated (first page, a deep page
   reached by cursor, filtered pages, one event, one DLQ message, one trace, schemas, the SVG
   map); p50 / p95 / max milliseconds, server and client in this process.
2. Pages: headless chromium (``/usr/bin/chromium`` through Playwright) opens each page and waits
   for its content; milliseconds from navigation to content, median of a few loads.
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

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bus.wire.server import ServerThread  # noqa: E402
from tests.console.bulk import DLQ, bulk_bus  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def _timed(client: httpx.Client, path: str, params: dict[str, str], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(f"/console/api{path}", params=params)
        samples.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
        "max_ms": round(ordered[-1], 2),
    }


def _api(client: httpx.Client, repeat: int) -> dict[str, dict[str, float]]:
    first = client.get("/console/api/events", params={"limit": "50"}).json()
    cursor = first["next"]
    for _ in range(20):  # 1,000 events deep
        cursor = client.get("/console/api/events", params={"limit": "50", "cursor": cursor}).json()["next"]
    event_id = first["items"][0]["id"]
    message_id = client.get(f"/console/api/queues/{DLQ}/messages").json()["items"][0]["id"]
    trace_id = client.get("/console/api/traces", params={"since": "0"}).json()["items"][0]["id"]
    calls: dict[str, tuple[str, dict[str, str]]] = {
        "events, first page": ("/events", {"limit": "50"}),
        "events, 1,000 deep": ("/events", {"limit": "50", "cursor": cursor}),
        "events of one bus": ("/events", {"bus": "audit", "limit": "50"}),
        "events by source (rare)": ("/events", {"source": "shop.rare", "limit": "50"}),
        "events by detail-type": ("/events", {"detailType": "OrderPlaced", "limit": "50"}),
        "one event, rules explained": (f"/events/{event_id}", {}),
        "rules": ("/rules", {}),
        "metrics": ("/metrics", {}),
        "archives (with counts)": ("/archives", {}),
        "replays": ("/replays", {}),
        "queues (with counts)": ("/queues", {}),
        "DLQ messages": (f"/queues/{DLQ}/messages", {}),
        "one DLQ message": (f"/queues/{DLQ}/messages/{message_id}", {}),
        "schemas": ("/schemas", {"registry": "choreo"}),
        "schema with diffs": ("/schemas/choreo/com.choreo.orders@OrderPlaced", {}),
        "connections": ("/connections", {}),
        "traces": ("/traces", {"since": "0"}),
        "one trace": (f"/traces/{trace_id}", {}),
        "service map (SVG)": ("/map.svg", {"since": "0"}),
    }
    return {name: _timed(client, path, params, repeat) for name, (path, params) in calls.items()}


def _pages(url: str, loads: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    pages = {
        "events": ("#/events", "[data-test=event-row]"),
        "rules": ("#/rules", "[data-test=rule-row]"),
        "metrics": ("#/metrics", "[data-test=metrics]"),
        "traces": ("#/traces?since=0", "[data-test=trace-row]"),
        "archives": ("#/archives", "[data-test=archive-row]"),
        "queues": ("#/queues", "[data-test=queue-row]"),
        "DLQ": (f"#/queue/{DLQ}", "[data-test=message-row]"),
        "schemas": ("#/schemas", "[data-test=schema-row]"),
        "connections": ("#/connections", "[data-test=connection-row]"),
    }
    out: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        for name, (fragment, ready) in pages.items():
            samples = []
            for _ in range(loads):
                page.goto("about:blank")
                began = time.perf_counter()
                page.goto(f"{url}/console{fragment}")
                page.locator(ready).first.wait_for(timeout=30_000)
                samples.append((time.perf_counter() - began) * 1000)
            out[name] = round(statistics.median(samples), 1)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--quick", action="store_true", help="10,000 events and fewer repeats")
    parser.add_argument("--no-browser", action="store_true", help="API timings only")
    args = parser.parse_args()
    events = 10_000 if args.quick else 100_000
    results: dict[str, Any] = {"events": events}
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        bus = bulk_bus(Path(tmp), events=events)
        results["fill_seconds"] = round(time.perf_counter() - began, 1)
        server = ServerThread(bus).start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                results["api"] = _api(client, 5 if args.quick else 30)
            if not args.no_browser and Path(CHROMIUM).exists():
                results["pages_ms"] = _pages(server.url, 2 if args.quick else 5)
        finally:
            server.stop()
            bus.stop()
    print(f"console with {events:,} events (filled in {results['fill_seconds']} s)")
    for name, timing in results["api"].items():
        print(f"  api  {name:<28} p50 {timing['p50_ms']:>7.2f} ms  p95 {timing['p95_ms']:>7.2f} ms")
    for name, millis in results.get("pages_ms", {}).items():
        print(f"  page {name:<28} {millis:>7.1f} ms to content")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
