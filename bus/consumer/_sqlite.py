"""Powertools Idempotency records in SQLite, for running consumers off AWS.

The conditional put mirrors ``DynamoDBPersistenceLayer``'s condition expression, so a consumer
behaves the same locally and on AWS: a record may be (over)written when the key is new, when the
record expired, or when it is IN PROGRESS past its in-progress expiry (the invocation that held it
timed out). Otherwise the put fails with ``IdempotencyItemAlreadyExistsError`` carrying the
record, and Powertools answers with the stored response or ``IdempotencyAlreadyInProgressError``.

Many worker processes share one file: WAL journal, and ``BEGIN IMMEDIATE`` around read-then-write
so two invocations cannot both see "absent" and both run.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
    IdempotencyPersistenceConnectionError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS, DataRecord

__all__ = ["SQLitePersistenceLayer"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    expiration INTEGER NOT NULL,          -- epoch seconds, as Powertools computes it
    in_progress_expiration INTEGER,       -- epoch milliseconds, while IN PROGRESS
    data TEXT,
    validation TEXT
)
"""
_SELECT = (
    "SELECT id, status, expiration, in_progress_expiration, data, validation FROM idempotency WHERE id = ?"
)


class SQLitePersistenceLayer(BasePersistenceLayer):
    """``BasePersistenceLayer`` on one SQLite file; ``clock`` (epoch seconds) decides expiry."""

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools' base is untyped
        self.path = Path(path)
        self.clock = clock
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._translated():
            connection = self._connection()
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)

    # ------------------------------------------------------------------ BasePersistenceLayer
    def _get_record(self, idempotency_key: str) -> DataRecord:
        with self._translated():
            row = self._connection().execute(_SELECT, (idempotency_key,)).fetchone()
        if row is None:
            raise IdempotencyItemNotFoundError
        return _record(row)

    def _put_record(self, data_record: DataRecord) -> None:
        now = self.clock()
        with self._translated():
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                row = connection.execute(_SELECT, (data_record.idempotency_key,)).fetchone()
                if row is not None and not _replaceable(row, now):
                    connection.execute("ROLLBACK")
                    old = _record(row)
                    self._validate_payload(data_payload=data_record, stored_data_record=old)
                    raise IdempotencyItemAlreadyExistsError(old_data_record=old)
                connection.execute(
                    "INSERT OR REPLACE INTO idempotency"
                    " (id, status, expiration, in_progress_expiration, data, validation)"
                    " VALUES (?, ?, ?, ?, NULL, ?)",
                    (
                        data_record.idempotency_key,
                        data_record.status,
                        data_record.expiry_timestamp,
                        data_record.in_progress_expiry_timestamp,
                        data_record.payload_hash if self.payload_validation_enabled else None,
                    ),
                )
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def _update_record(self, data_record: DataRecord) -> None:
        with self._translated():
            self._connection().execute(
                "UPDATE idempotency SET data = ?, expiration = ?, status = ?,"
                " validation = COALESCE(?, validation) WHERE id = ?",
                (
                    data_record.response_data,
                    data_record.expiry_timestamp,
                    data_record.status,
                    data_record.payload_hash if self.payload_validation_enabled else None,
                    data_record.idempotency_key,
                ),
            )

    def _delete_record(self, data_record: DataRecord) -> None:
        with self._translated():
            self._connection().execute("DELETE FROM idempotency WHERE id = ?", (data_record.idempotency_key,))

    # ------------------------------------------------------------------ plumbing
    def _connection(self) -> sqlite3.Connection:
        """One connection per thread and process (a forked worker must not share its parent's)."""
        cached: tuple[int, sqlite3.Connection] | None = getattr(self._local, "connection", None)
        if cached is not None and cached[0] == os.getpid():
            return cached[1]
        connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=30000")
        self._local.connection = (os.getpid(), connection)
        return connection

    def _translated(self) -> _Translate:
        return _Translate()


class _Translate:
    """SQLite's errors become Powertools' persistence error at the boundary (Powertools retries
    or reports it; callers never see ``sqlite3``)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, sqlite3.Error):
            raise IdempotencyPersistenceConnectionError(f"SQLite idempotency store: {exc}", exc) from exc


def _replaceable(row: tuple[Any, ...], now: float) -> bool:
    """DynamoDB layer's condition: expired, or IN PROGRESS past its in-progress expiry."""
    _, status, expiration, in_progress_expiration, _, _ = row
    if expiration < int(now):
        return True
    return bool(
        status == STATUS_CONSTANTS["INPROGRESS"]
        and in_progress_expiration is not None
        and in_progress_expiration < int(now * 1000)
    )


def _record(row: tuple[Any, ...]) -> DataRecord:
    key, status, expiration, in_progress_expiration, data, validation = row
    return DataRecord(
        idempotency_key=key,
        status=status,
        expiry_timestamp=expiration,
        in_progress_expiry_timestamp=in_progress_expiration,
        response_data=data or "",
        payload_hash=validation or "",
    )
