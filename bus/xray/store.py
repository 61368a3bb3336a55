"""Durable traces: segment documents in SQLite (``traces.db``), one summary row per trace.

The daemon and the bus hand documents to ``submit`` (it never blocks: a datagram handler or a
delivery thread must stay quick); a writer thread stores them in batches, replacing an
in-progress document by its complete version, and recomputes the summary of each trace it
touched. Reads go through indexes only: a trace's segments by ``trace_id``, summaries by start
time (newest first, a cursor for pagination).

    store = TraceStore(Path(".choreo/traces.db"))
    store.put([doc])                         # synchronous, for scripts and tests
    page = store.summaries(time.time() - 900, time.time())
    trace = store.trace(page.summaries[0].trace_id)
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bus.xray._calls import Calls, Stats, node_key, parse_node_key
from bus.xray._spans import assemble
from bus.xray._summaries import (
    SummaryPage,
    Trace,
    TraceFilter,
    TraceSummary,
    from_row,
    page_cursor,
    page_token,
    summarize,
    summary_doc,
)
from bus.xray.errors import InvalidRequest

__all__ = ["SummaryPage", "Trace", "TraceFilter", "TraceStore", "TraceSummary"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    trace_id TEXT NOT NULL, id TEXT NOT NULL, parent_id TEXT, start REAL NOT NULL,
    in_progress INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS traces (
    trace_id TEXT PRIMARY KEY, start REAL NOT NULL, end REAL NOT NULL, summary TEXT NOT NULL,
    services TEXT NOT NULL, search TEXT NOT NULL, fault INTEGER NOT NULL, error INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_by_start ON traces (start, trace_id);
CREATE TABLE IF NOT EXISTS calls (
    trace_id TEXT NOT NULL, start REAL NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
    root INTEGER NOT NULL, ok INTEGER NOT NULL, errors INTEGER NOT NULL, faults INTEGER NOT NULL,
    throttles INTEGER NOT NULL, total_time REAL NOT NULL, PRIMARY KEY (trace_id, source, target)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS calls_by_start ON calls (start);
"""
_RETENTION_SECONDS = 30 * 86_400  # X-Ray keeps traces 30 days
_EXPIRE_EVERY = 3600.0
_BATCH = 500


class TraceStore:
    """Thread-safe: one SQLite connection per thread, one writer thread for ``submit``."""

    def __init__(
        self, path: str | Path, *, retention_seconds: float = _RETENTION_SECONDS, max_segments: int = 5000
    ) -> None:
        self.path = Path(path)
        self.retention_seconds = retention_seconds
        # a trace whose root never changes (a worker that keeps one header) must not grow forever:
        # every write re-assembles its trace
        self.max_segments = max_segments
        self.dropped = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # owner-only before SQLite opens it: its -wal and -shm files take the database file's mode
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self.path.chmod(0o600)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        with self._connection() as db:
            db.executescript(_SCHEMA)

    # ------------------------------------------------------------------ connections
    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        yield db

    def close(self) -> None:
        self.stop()
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # ------------------------------------------------------------------ writing
    def submit(self, docs: Iterable[dict[str, Any]]) -> None:
        """Queue validated documents for the writer thread (started on first use)."""
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._write_loop, name="choreo-traces", daemon=True
                    )
                    self._writer.start()
        for doc in docs:
            self._queue.put(doc)

    def flush(self) -> None:
        """Wait until everything submitted so far is stored."""
        if self._writer is not None:
            self._queue.join()

    def stop(self) -> None:
        writer = self._writer
        if writer is not None:
            self._queue.put(None)
            writer.join(10.0)
            self._writer = None

    def _write_loop(self) -> None:
        expired_at = 0.0
        while True:
            first = self._queue.get()
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            docs = [d for d in batch if d is not None]
            try:
                if docs:
                    self.put(docs)
            except sqlite3.Error:  # a full disk must not stop tracing for good: this batch is lost
                log.exception("could not store %d trace segment(s)", len(docs))
            finally:
                for _ in batch:
                    self._queue.task_done()
            if any(d is None for d in batch):
                return
            now = time.time()
            if now - expired_at >= _EXPIRE_EVERY:  # retention, off the hot path of the daemon
                expired_at = now
                try:
                    self.expire(now - self.retention_seconds)
                except sqlite3.Error:
                    log.exception("could not expire old traces")

    def put(self, docs: Sequence[dict[str, Any]]) -> None:
        """Store documents (complete ones replace in-progress ones) and refresh their traces' summaries."""
        touched: set[str] = set()
        sizes: dict[str, int] = {}
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for doc in docs:
                    trace_id = doc["trace_id"]
                    if trace_id not in sizes:
                        sizes[trace_id] = db.execute(
                            "SELECT COUNT(*) FROM segments WHERE trace_id = ?", (trace_id,)
                        ).fetchone()[0]
                    if sizes[trace_id] >= self.max_segments:
                        self.dropped += 1  # X-Ray caps a trace too: the rest of a runaway trace is lost
                        continue
                    sizes[trace_id] += 1
                    self._put_one(db, doc)
                    touched.add(trace_id)
                for trace_id in touched:
                    self._refresh(db, trace_id)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @staticmethod
    def _put_one(db: sqlite3.Connection, doc: dict[str, Any]) -> None:
        in_progress = 1 if doc.get("end_time") is None else 0
        text = json.dumps(doc, separators=(",", ":"), default=str)
        db.execute(
            "INSERT INTO segments (trace_id, id, parent_id, start, in_progress, doc)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (trace_id, id) DO UPDATE SET parent_id = excluded.parent_id,"
            " start = excluded.start, in_progress = excluded.in_progress, doc = excluded.doc"
            " WHERE segments.in_progress = 1 OR excluded.in_progress = 0",
            (doc["trace_id"], doc["id"], doc.get("parent_id"), float(doc["start_time"]), in_progress, text),
        )

    def _refresh(self, db: sqlite3.Connection, trace_id: str) -> None:
        roots = assemble(self._documents(db, trace_id))
        summary = summarize(trace_id, roots)
        search = " ".join(
            [summary.root, *summary.services, *(str(v) for v in summary.annotations.values())]
        ).lower()
        db.execute(
            "INSERT OR REPLACE INTO traces (trace_id, start, end, summary, services, search, fault, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                trace_id,
                summary.start,
                summary.end,
                summary_doc(summary),
                "\x1f" + "\x1f".join(summary.services) + "\x1f",
                search,
                int(summary.has_fault),
                int(summary.has_error),
            ),
        )
        db.execute("DELETE FROM calls WHERE trace_id = ?", (trace_id,))
        calls = Calls.of(roots)
        rows = [("", node_key(k), int(k in calls.roots), s) for k, s in calls.nodes.items()]
        rows += [(node_key(a), node_key(b), 0, s) for (a, b), s in calls.edges.items()]
        db.executemany(
            "INSERT INTO calls (trace_id, start, source, target, root, ok, errors, faults, throttles,"
            " total_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (trace_id, summary.start, a, b, root, s.ok, s.errors, s.faults, s.throttles, s.total_time)
                for a, b, root, s in rows
            ],
        )

    @staticmethod
    def _documents(db: sqlite3.Connection, trace_id: str) -> list[dict[str, Any]]:
        rows = db.execute("SELECT doc FROM segments WHERE trace_id = ? ORDER BY start", (trace_id,))
        return [json.loads(row["doc"]) for row in rows]

    # ------------------------------------------------------------------ reading
    def summaries(
        self,
        start: float,
        end: float,
        *,
        limit: int = 50,
        next_token: str | None = None,
        filter: TraceFilter | None = None,
    ) -> SummaryPage:
        """Traces that started in ``[start, end]``, newest first, ``limit`` at a time."""
        if end < start:
            raise InvalidRequest("EndTime must be after StartTime.")
        where = ["start >= ?", "start <= ?"]
        args: list[Any] = [start, end]
        if next_token is not None:
            cursor_start, cursor_id = page_cursor(next_token)
            where.append("(start < ? OR (start = ? AND trace_id < ?))")
            args += [cursor_start, cursor_start, cursor_id]
        f = filter or TraceFilter()
        if f.service is not None:
            where.append("instr(services, ?) > 0")
            args.append(f"\x1f{f.service}\x1f")
        if f.fault is not None:
            where.append("fault = ?")
            args.append(int(f.fault))
        if f.error is not None:
            where.append("error = ?")
            args.append(int(f.error))
        if f.text:
            where.append("instr(search, ?) > 0")
            args.append(f.text.lower())
        sql = f"SELECT * FROM traces WHERE {' AND '.join(where)} ORDER BY start DESC, trace_id DESC LIMIT ?"
        with self._connection() as db:
            rows = db.execute(sql, (*args, limit + 1)).fetchall()
        found = [from_row(r) for r in rows[:limit]]
        token = page_token(found[-1].start, found[-1].trace_id) if len(rows) > limit else None
        return SummaryPage(found, token)

    def query_plans(self) -> dict[str, list[str]]:
        """SQLite's plan for each read the API and the console make (tests assert they use indexes)."""
        reads = {
            "summaries": "SELECT * FROM traces WHERE start >= 1 AND start <= 2"
            " AND (start < 2 OR (start = 2 AND trace_id < 'x')) ORDER BY start DESC, trace_id DESC LIMIT 51",
            "trace": "SELECT doc FROM segments WHERE trace_id = 'x' ORDER BY start",
            "calls": "SELECT source, target, SUM(ok) FROM calls WHERE start >= 1 AND start <= 2"
            " GROUP BY source, target",
            "expire": "SELECT trace_id FROM traces WHERE start < 1",
        }
        with self._connection() as db:
            return {
                name: [str(row["detail"]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
                for name, sql in reads.items()
            }

    def trace(self, trace_id: str) -> Trace | None:
        with self._connection() as db:
            docs = self._documents(db, trace_id)
        if not docs:
            return None
        roots = assemble(docs)
        summary = summarize(trace_id, roots)
        return Trace(trace_id, summary.start, summary.end, roots, tuple(docs))

    def traces(self, trace_ids: Iterable[str]) -> list[Trace]:
        return [t for t in (self.trace(i) for i in dict.fromkeys(trace_ids)) if t is not None]

    def calls(self, start: float, end: float) -> Calls:
        """The service graph's nodes and edges summed over traces that started in ``[start, end]``."""
        sql = (
            "SELECT source, target, MAX(root) AS root, SUM(ok) AS ok, SUM(errors) AS errors,"
            " SUM(faults) AS faults, SUM(throttles) AS throttles, SUM(total_time) AS total_time FROM calls"
            " WHERE start >= ? AND start <= ? GROUP BY source, target"
        )
        calls = Calls()
        with self._connection() as db:
            for row in db.execute(sql, (start, end)):
                stats = Stats(row["ok"], row["errors"], row["faults"], row["throttles"], row["total_time"])
                target = parse_node_key(row["target"])
                if row["source"] == "":
                    calls.nodes[target] = stats
                    if row["root"]:
                        calls.roots.add(target)
                else:
                    calls.edges[(parse_node_key(row["source"]), target)] = stats
        return calls

    def expire(self, before: float) -> int:
        """Forget traces that started before ``before``; returns how many."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                ids = [
                    r["trace_id"]
                    for r in db.execute("SELECT trace_id FROM traces WHERE start < ?", (before,))
                ]
                for trace_id in ids:
                    db.execute("DELETE FROM segments WHERE trace_id = ?", (trace_id,))
                    db.execute("DELETE FROM calls WHERE trace_id = ?", (trace_id,))
                    db.execute("DELETE FROM traces WHERE trace_id = ?", (trace_id,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return len(ids)

    def trace_ids(self, start: float, end: float, *, limit: int = 10_000) -> list[str]:
        """Ids of traces that started in ``[start, end]``, newest first (for the service graph)."""
        with self._connection() as db:
            rows = db.execute(
                "SELECT trace_id FROM traces WHERE start >= ? AND start <= ? ORDER BY start DESC LIMIT ?",
                (start, end, limit),
            )
            return [row["trace_id"] for row in rows]
