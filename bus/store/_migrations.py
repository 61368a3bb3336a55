"""The SQLite store's schema: its migration steps, and how records map to its tables.

``PRAGMA user_version`` holds how many steps a database has applied. Opening a database applies
the missing ones in a single transaction, so a crash mid-upgrade leaves the old version intact.
A database written by a newer choreo (a version above ``len(MIGRATIONS)``) is refused rather
than guessed at.

To change the schema, append a step; never edit one that has shipped. Columns are named after
the fields of the ``bus.model`` records (``Table``), and ``check_columns`` refuses to open a
database where a field has no column: a new field needs a step such as
``ALTER TABLE jobs ADD COLUMN ...``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, Generic, TypeVar

from bus.errors import StoreError
from bus.model import Attempt, DeliveryJob, Drop, Event, Outcome, QueueMessage

__all__ = [
    "ATTEMPTS",
    "DROPS",
    "EVENTS",
    "JOBS",
    "MESSAGES",
    "MIGRATIONS",
    "Migration",
    "Table",
    "check_columns",
    "dumps",
    "migrate",
    "schema_version",
]

R = TypeVar("R")
# ASCII output: a lone surrogate (JSON allows "\ud800") survives, where UTF-8 text could not hold it
dumps = json.JSONEncoder(separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class Migration:
    description: str
    statements: tuple[str, ...]


MIGRATIONS: list[Migration] = [
    Migration(
        "resources, events, delivery jobs, attempts, drops, archive entries, queue messages",
        (
            """CREATE TABLE resources (
                kind TEXT NOT NULL,
                key TEXT NOT NULL,
                doc TEXT NOT NULL,  -- JSON
                PRIMARY KEY (kind, key)
            ) WITHOUT ROWID""",
            # Stored once; archive entries and jobs refer to them by id.
            """CREATE TABLE events (
                id TEXT PRIMARY KEY,
                bus TEXT NOT NULL,
                source TEXT NOT NULL,
                detail_type TEXT NOT NULL,
                detail TEXT NOT NULL,
                resources TEXT NOT NULL,  -- JSON array
                time TEXT NOT NULL,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                ingested_at REAL NOT NULL,
                trace_header TEXT,
                replay_name TEXT,
                source_bus TEXT,
                detail_bytes INTEGER NOT NULL  -- UTF-8 length of detail, for archive sizes
            )""",
            # Keyed by due time: new jobs land at the end of the tree and due_jobs reads its start,
            # so appends touch a few pages however many jobs wait (random ids would touch one each).
            """CREATE TABLE jobs (
                id TEXT NOT NULL,
                event_id TEXT NOT NULL,
                bus TEXT NOT NULL,
                rule TEXT NOT NULL,
                target_id TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                due_at REAL NOT NULL,
                event_time REAL NOT NULL,
                replay_name TEXT,
                PRIMARY KEY (due_at, id)
            ) WITHOUT ROWID""",
            # seq: the order attempts happened in
            """CREATE TABLE attempts (
                seq INTEGER PRIMARY KEY,
                job_id TEXT NOT NULL,
                event_id TEXT NOT NULL,
                bus TEXT NOT NULL,
                rule TEXT NOT NULL,
                target_id TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                outcome TEXT NOT NULL,
                at REAL NOT NULL,
                error_code TEXT,
                error_message TEXT
            )""",
            "CREATE INDEX attempts_by_event ON attempts (event_id, seq)",
            """CREATE TABLE drops (
                seq INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL,
                reason TEXT NOT NULL,
                at REAL NOT NULL,
                bus TEXT,
                rule TEXT,
                target_id TEXT
            )""",
            "CREATE INDEX drops_by_time ON drops (at, seq)",
            # Keyed by time within an archive: range scans and expiry read one stretch of the
            # tree, and appends write at its end. ingested_at and detail_bytes are the event's.
            """CREATE TABLE archive_entries (
                archive TEXT NOT NULL,
                ingested_at REAL NOT NULL,
                event_id TEXT NOT NULL REFERENCES events (id),
                detail_bytes INTEGER NOT NULL,
                PRIMARY KEY (archive, ingested_at, event_id)
            ) WITHOUT ROWID""",
            """CREATE TABLE messages (
                queue TEXT NOT NULL,
                id TEXT NOT NULL,
                body TEXT NOT NULL,
                sent_at REAL NOT NULL,
                attributes TEXT NOT NULL,  -- JSON object
                system_attributes TEXT NOT NULL,  -- JSON object
                receive_count INTEGER NOT NULL,
                visible_at REAL NOT NULL,
                receipt_handle TEXT,
                PRIMARY KEY (queue, id)
            )""",
            # receive walks a queue oldest first, skips in-flight entries inside the index and stops
            # at LIMIT; an index led by visible_at would sort every visible message of a backlog
            "CREATE INDEX messages_by_age ON messages (queue, sent_at, id, visible_at)",
            "CREATE INDEX messages_by_receipt ON messages (queue, receipt_handle)",
        ),
    ),
    Migration(
        "events by time, overall and per bus: pages of recent events without a scan",
        (
            "CREATE INDEX events_by_time ON events (ingested_at, id)",
            "CREATE INDEX events_by_bus_time ON events (bus, ingested_at, id)",
        ),
    ),
]


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchall()[0][0]
    return version


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] | None = None) -> int:
    """Bring the database up to date; returns how many steps were applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``). sqlite3 errors propagate.
    """
    steps = MIGRATIONS if migrations is None else migrations
    if _check(conn, steps) == len(steps):
        return 0
    conn.execute("BEGIN IMMEDIATE")  # one migrator at a time, across processes too
    try:
        current = _check(conn, steps)  # another process may have migrated meanwhile
        for step in steps[current:]:
            for statement in step.statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {len(steps):d}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(steps) - current


def _check(conn: sqlite3.Connection, steps: Sequence[Migration]) -> int:
    current = schema_version(conn)
    if current > len(steps):
        raise StoreError(
            f"database schema version {current} is newer than this choreo supports ({len(steps)}): "
            "it was written by a newer choreo; upgrade choreo to open it"
        )
    return current


# ----------------------------------------------------------------------------------------------
# Records <-> rows
# ----------------------------------------------------------------------------------------------
class Table(Generic[R]):
    """One column per field of ``cls`` (same name, same order), plus computed ``extra`` columns."""

    def __init__(
        self,
        cls: type[R],
        name: str,
        *,
        encode: dict[str, Callable[[Any], Any]] | None = None,
        decode: dict[str, Callable[[Any], Any]] | None = None,
        extra: dict[str, Callable[[R], Any]] | None = None,
        conflict: str = "OR REPLACE",
    ) -> None:
        self.cls, self.name = cls, name
        self.fields = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
        self.columns = (*self.fields, *(extra or {}))
        self.select = ", ".join(self.fields)
        self._get = attrgetter(*self.fields)
        self._encode = [(i, fn) for i, n in enumerate(self.fields) if (fn := (encode or {}).get(n))]
        self._decode = [(i, fn) for i, n in enumerate(self.fields) if (fn := (decode or {}).get(n))]
        self._extra = list((extra or {}).values())
        verb = f"INSERT {conflict}" if conflict else "INSERT"
        marks = ", ".join("?" * len(self.columns))
        self.insert = f"{verb} INTO {name} ({', '.join(self.columns)}) VALUES ({marks})"

    def row(self, record: R) -> Sequence[Any]:
        values: tuple[Any, ...] = self._get(record)
        if not (self._encode or self._extra):
            return values
        out = list(values)
        for i, fn in self._encode:
            out[i] = fn(out[i])
        out.extend(fn(record) for fn in self._extra)
        return out

    def record(self, row: Sequence[Any]) -> R:
        if self._decode:
            row = list(row)
            for i, fn in self._decode:
                row[i] = fn(row[i])
        return self.cls(*row)


EVENTS: Table[Event] = Table(
    Event,
    "events",
    encode={"resources": dumps},
    decode={"resources": lambda text: tuple(json.loads(text))},
    extra={"detail_bytes": lambda e: len(e.detail.encode())},
    conflict="",  # an upsert: see SqliteStore.append
)
JOBS: Table[DeliveryJob] = Table(DeliveryJob, "jobs")
ATTEMPTS: Table[Attempt] = Table(Attempt, "attempts", encode={"outcome": str}, decode={"outcome": Outcome})
DROPS: Table[Drop] = Table(Drop, "drops", conflict="")
MESSAGES: Table[QueueMessage] = Table(
    QueueMessage,
    "messages",
    encode={"attributes": dumps, "system_attributes": dumps},
    decode={"attributes": json.loads, "system_attributes": json.loads},
)


def check_columns(conn: sqlite3.Connection) -> None:
    for table in (EVENTS, JOBS, ATTEMPTS, DROPS, MESSAGES):
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table.name})").fetchall()}
        missing = [c for c in table.columns if c not in have]
        if missing:
            raise StoreError(
                f"table {table.name} has no column for {', '.join(missing)}: a field was added to "
                "bus.model without a migration step in bus/store/_migrations.py"
            )
