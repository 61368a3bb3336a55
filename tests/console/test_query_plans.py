"""With 100,000 events in the store, every console API pages its results and every SQL statement
it makes the store (or its own reader) run is served by an index.

The statements are not listed by hand: every SQLite connection opened during the crawl traces
what it runs, and each statement's ``EXPLAIN QUERY PLAN`` must search an index (or the rowid),
never scan a table or sort in a temporary b-tree. Timings are in ``benchmarks/bench_console.py``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import pytest

from bus.console import ACTION_HEADER
from bus.console._events import SCAN_BUDGET
from bus.wire.server import ServerThread
from tests.console.bulk import DLQ, bulk_bus

# count(*) reads the whole (small) jobs tree: the store's own test makes the same exception
ALLOWED_SCANS = ("SELECT count(*) FROM jobs",)
# one trace's segments, found by primary key, sorted by start time: the sort is as big as one trace,
# whatever the store holds (an index on segments (trace_id, start) in bus/xray would remove it)
ALLOWED_SORTS = ("SELECT doc FROM segments WHERE trace_id = ",)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, list[tuple[Path, str]]]]:
    data_dir = tmp_path_factory.mktemp("console-100k")
    bus = bulk_bus(data_dir)
    statements: list[tuple[Path, str]] = []
    real_connect = sqlite3.connect

    def traced(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(database, *args, **kwargs)
        path = Path(unquote(urlparse(str(database)).path) if str(database).startswith("file:") else database)
        conn.set_trace_callback(lambda sql: statements.append((path, sql)))
        return conn

    sqlite3.connect = traced  # type: ignore[assignment]
    try:
        server = ServerThread(bus).start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                yield client, statements
        finally:
            server.stop()
    finally:
        sqlite3.connect = real_connect
        bus.stop()


def get(client: httpx.Client, path: str, **params: str) -> Any:
    response = client.get(f"/console/api{path}", params=params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def walk(client: httpx.Client, path: str, pages: int = 2, **params: str) -> list[Any]:
    """The first ``pages`` pages of a list, following its cursor."""
    items: list[Any] = []
    cursor = ""
    for _ in range(pages):
        page = get(client, path, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            break
    return items


def test_every_console_query_uses_an_index(crawl: tuple[httpx.Client, list[tuple[Path, str]]]) -> None:
    client, statements = crawl
    statements.clear()
    for path in ("/overview", "/rules", "/metrics", "/archives", "/replays", "/queues", "/registries"):
        get(client, path)
    events = walk(client, "/events", pages=3, limit="100")
    assert len(events) == 300
    assert [e["ingestedAt"] for e in events] == sorted((e["ingestedAt"] for e in events), reverse=True)
    assert len(walk(client, "/events", pages=2, bus="audit", limit="50")) == 100
    rare = get(client, "/events", source="shop.rare", limit="5")
    assert rare["scanned"] <= SCAN_BUDGET
    get(client, "/events", bus="shop", detailType="OrderPlaced", cursor=rare["next"] or "")
    get(client, f"/events/{events[150]['id']}")
    messages = walk(client, f"/queues/{DLQ}/messages", pages=2, limit="20")
    assert len(messages) == 40
    get(client, f"/queues/{DLQ}/messages/{messages[0]['id']}")
    schemas = walk(client, "/schemas", registry="choreo")
    get(client, f"/schemas/choreo/{schemas[0]['name']}")
    walk(client, "/connections")
    walk(client, "/api-destinations")
    action = {ACTION_HEADER: "1"}
    started = client.post(
        "/console/api/replays",
        json={"archive": "shop-everything", "start": "1764000000", "end": "1764000900"},
        headers=action,
    )
    assert started.status_code == 200, started.text
    get(client, f"/replays/{started.json()['name']}")
    assert (
        client.post(f"/console/api/replays/{started.json()['name']}/cancel", headers=action).status_code
        == 200
    )
    redriven = client.post(
        f"/console/api/queues/{DLQ}/redrive", json={"messageId": messages[5]["id"]}, headers=action
    )
    assert redriven.status_code == 200, redriven.text
    assert len(redriven.json()["redriven"]) == 1

    traces = walk(client, "/traces", since="0", limit="20")
    assert len(traces) == 40
    get(client, f"/traces/{traces[0]['id']}")
    get(client, "/traces", since="0", service="orders", fault="1")
    assert client.get("/console/api/map.svg").headers["content-type"].startswith("image/svg+xml")

    checked = _plans(statements)
    assert {"events", "messages", "attempts", "archive_entries", "resources", "traces", "segments"} <= checked


def _plans(statements: list[tuple[Path, str]]) -> set[str]:
    """Assert every traced data statement searches an index; return the tables they read."""
    tables: set[str] = set()
    connections: dict[Path, sqlite3.Connection] = {}
    try:
        for db, sql in dict.fromkeys(statements):
            head = sql.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "INSERT", "UPDATE", "DELETE") or sql.startswith(ALLOWED_SCANS):
                continue
            if db not in connections:
                connections[db] = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
            literal = re.sub(r"\bInf\b", "1e999", sql)  # how trace output spells an infinite float
            try:
                plan = [row[3] for row in connections[db].execute(f"EXPLAIN QUERY PLAN {literal}")]
            except sqlite3.Error as exc:
                raise AssertionError(f"{sql}: {exc}") from exc
            for step in plan:
                if step.startswith(("SEARCH", "SCAN CONSTANT ROW", "USE TEMP B-TREE")) or "INDEX" in step:
                    assert "TEMP B-TREE" not in step or sql.startswith(ALLOWED_SORTS), (sql, plan)
                    words = step.split()
                    tables.add(words[1] if len(words) > 1 else "")
                    continue
                raise AssertionError(f"{sql}\n  is not served by an index: {plan}")
    finally:
        for conn in connections.values():
            conn.close()
    return tables
