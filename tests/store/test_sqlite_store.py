"""SqliteStore against the Store contract, plus what only a durable store promises: data outlives the
process (even a killed one), the schema migrates, failures surface as StoreError, files are private."""

from __future__ import annotations

import dataclasses
import os
import select
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bus.errors import StoreError
from bus.model import Drop, Outcome, QueueMessage
from bus.store import _migrations
from bus.store._migrations import MIGRATIONS, Migration, migrate
from bus.store.base import Store
from bus.store.sqlite import _DELETE_JOB, _INSERT_ARCHIVED, _QUERIES, SqliteStore
from tests.store.contract import T0, StoreContract, attempt, event, job, message

REPO = Path(__file__).resolve().parents[2]


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        with SqliteStore(tmp_path / "bus.db") as store:
            yield store


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = raw(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def user_version(path: Path) -> int:
    return int(query(path, "PRAGMA user_version")[0][0])


def fill(store: Store) -> None:
    store.put_resource("bus", "orders", {"name": "orders"})
    store.append(
        [event("e1"), event("e2", T0 + 1)],
        [job("j1", "e1"), job("j2", "e2")],
        [("arch", "e1"), ("arch", "e2")],
        [Drop("e2", "no target", T0 + 1)],
    )
    j1 = job("j1", "e1")
    store.settle(j1, attempt(j1, Outcome.RETRY, T0, "Throttled"), retry_at=T0 + 60)
    store.send_message(message("m1"))


# ------------------------------------------------------------------ durability
def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    with SqliteStore(path) as store:
        fill(store)
    with SqliteStore(path) as store:
        assert store.get_resource("bus", "orders") == {"name": "orders"}
        assert store.get_event("e2") == event("e2", T0 + 1)
        assert store.due_jobs(T0 + 60, 10) == [job("j2", "e2"), job("j1", "e1", T0 + 60, attempt=1)]
        assert [a.error_code for a in store.attempts("e1")] == ["Throttled"]
        assert store.drops() == [Drop("e2", "no target", T0 + 1)]
        assert store.archive_stats("arch") == (2, 14)
        assert store.queue_counts("q", T0) == (1, 0)


CHILD = """
import sys
from bus.store.sqlite import SqliteStore
from tests.store.contract import event, job
store = SqliteStore(sys.argv[1])
for b in range(20):
    ids = [f"e{b}-{i}" for i in range(10)]
    store.append([event(i) for i in ids], [job("j" + i, i) for i in ids], [("arch", i) for i in ids])
print("done", flush=True)
sys.stdin.read()  # block until the test kills us (stdin stays open until then)
"""


def read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            return proc.stdout.readline().strip()
    raise AssertionError(f"no line from the child within {timeout}s")


@pytest.mark.integration
def test_a_process_killed_right_after_append_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert read_line(proc, timeout=60) == "done"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None and proc.stdin is not None
        proc.stdout.close()
        proc.stdin.close()
    assert Path(f"{path}-wal").stat().st_size > 0  # the commits are in the WAL, never checkpointed
    with SqliteStore(path) as store:
        assert store.pending_jobs() == 200
        assert store.archive_stats("arch")[0] == 200
        assert store.get_event("e19-9") == event("e19-9")


def _burst(store: SqliteStore, events: int) -> None:
    for n in range(events):
        store.append([event(f"burst-{n}", T0 + n, detail='{"pad": "%s"}' % ("x" * 2000))])


def test_a_wal_grown_by_a_burst_is_truncated_once_idle_not_by_a_commit(tmp_path: Path) -> None:
    # the owner checkpoints (as LocalBus does); the WAL limit is small so a few events exceed it
    with SqliteStore(
        tmp_path / "bus.db", auto_checkpoint=False, wal_limit=64 * 1024, idle_seconds=3600
    ) as store:
        _burst(store, 100)
        grown = store.wal_bytes()
        assert grown > 64 * 1024
        store.maintain()  # written just now: not idle, the WAL is left as it is
        _burst(store, 1)  # the first commit after the WAL restarts must not truncate it either
        assert store.wal_bytes() >= grown
    with SqliteStore(
        tmp_path / "bus2.db", auto_checkpoint=False, wal_limit=64 * 1024, idle_seconds=0
    ) as store:
        _burst(store, 100)
        assert store.wal_bytes() > 64 * 1024
        store.maintain()  # idle (no wait at all): checkpointed and truncated
        assert store.wal_bytes() == 0
        assert store.get_event("burst-99") is not None


def test_full_durability(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    with SqliteStore(path, durability="full") as store:
        assert store._conn("test").execute("PRAGMA synchronous").fetchall() == [(2,)]  # FULL
        fill(store)
    with SqliteStore(path) as store:
        assert store._conn("test").execute("PRAGMA synchronous").fetchall() == [(1,)]  # NORMAL
        assert store.pending_jobs() == 2
    with pytest.raises(ValueError):
        SqliteStore(path, durability="fast")  # type: ignore[arg-type]


def test_two_stores_on_one_file_see_each_others_commits(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "bus.db") as one, SqliteStore(tmp_path / "bus.db") as two:
        one.append([event("e1")], [job("j1")])
        assert two.pending_jobs() == 1
        two.settle(job("j1"), attempt(job("j1"), Outcome.DELIVERED, T0))
        assert one.pending_jobs() == 0


# ------------------------------------------------------------------ threads
def test_threads_append_and_settle_concurrently(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def appender(n: int) -> None:
        try:
            for b in range(25):
                ids = [f"t{n}-{b}-{i}" for i in range(4)]
                store.append(
                    [event(i) for i in ids], [job("j" + i, i) for i in ids], [("arch", i) for i in ids]
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def settler() -> None:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (settled[0] < 400):
                for j in store.due_jobs(T0, 7):
                    store.settle(j, attempt(j, Outcome.DELIVERED, T0))
                    settled[0] += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    settled = [0]
    with SqliteStore(tmp_path / "bus.db") as store:
        threads = [threading.Thread(target=appender, args=(n,)) for n in range(4)]
        threads.append(threading.Thread(target=settler))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert settled[0] == 400
        assert store.pending_jobs() == 0
        assert store.archive_stats("arch")[0] == 400
        assert len(store._conns) <= 1  # the threads' connections closed when they ended


# ------------------------------------------------------------------ schema
def test_an_empty_file_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    path.touch()
    with SqliteStore(path) as store:
        store.append([event("e1")])
    assert user_version(path) == len(MIGRATIONS)
    conn = raw(path)
    try:
        assert migrate(conn) == 0  # already current
    finally:
        conn.close()


def test_an_older_database_gets_the_missing_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bus.db"
    with SqliteStore(path) as store:
        fill(store)
    step = Migration("test: notes", ("CREATE TABLE notes (text TEXT)", "INSERT INTO notes VALUES ('hi')"))
    monkeypatch.setattr(_migrations, "MIGRATIONS", [*MIGRATIONS, step])
    with SqliteStore(path) as store:
        assert store.get_event("e1") == event("e1")
    assert user_version(path) == len(MIGRATIONS) + 1
    assert query(path, "SELECT text FROM notes") == [("hi",)]


def test_a_failing_step_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bus.db"
    SqliteStore(path).close()
    broken = Migration("test: broken", ("CREATE TABLE half (x)", "INSERT INTO nowhere VALUES (1)"))
    monkeypatch.setattr(_migrations, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(StoreError, match="no such table: nowhere"):
        SqliteStore(path)
    assert user_version(path) == len(MIGRATIONS)
    assert query(path, "SELECT name FROM sqlite_master WHERE name = 'half'") == []


def test_a_database_from_a_newer_choreo_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    SqliteStore(path).close()
    conn = raw(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match=f"version {len(MIGRATIONS) + 1} is newer .* upgrade choreo"):
        SqliteStore(path)


def test_every_record_field_has_a_column(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    SqliteStore(path).close()
    conn = raw(path)
    tables = (
        _migrations.EVENTS,
        _migrations.JOBS,
        _migrations.ATTEMPTS,
        _migrations.DROPS,
        _migrations.MESSAGES,
    )
    for table in tables:
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table.name})").fetchall()}
        assert {f.name for f in dataclasses.fields(table.cls)} <= columns
    conn.execute("ALTER TABLE events DROP COLUMN source_bus")  # as if a field came without its step
    conn.close()
    with pytest.raises(StoreError, match=r"events has no column for source_bus.*migration"):
        SqliteStore(path)


def test_every_query_uses_an_index(tmp_path: Path) -> None:
    queries = {**_QUERIES, "settle": _DELETE_JOB, "archive": _INSERT_ARCHIVED}
    with SqliteStore(tmp_path / "bus.db") as store:
        conn = store._conn("test")
        for name, sql in queries.items():
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", [1] * sql.count("?"))]
            if name == "pending_jobs":
                continue  # count(*) reads the whole (small) jobs tree
            for step in plan:
                assert step.startswith("SEARCH") or "USING INDEX" in step or "COVERING INDEX" in step, (
                    name,
                    plan,
                )
                assert "TEMP B-TREE" not in step, (name, plan)


# ------------------------------------------------------------------ failures
def test_an_unusable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open /proc/choreo-nowhere/bus\.db"):
        SqliteStore("/proc/choreo-nowhere/bus.db")
    with pytest.raises(StoreError, match="cannot open"):
        SqliteStore(tmp_path)  # a directory


def test_a_corrupted_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    path.write_bytes(b"this is not a database, " * 400)
    with pytest.raises(StoreError, match="not a database") as info:
        SqliteStore(path)
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)


def test_sqlite_errors_name_the_operation_and_roll_back(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    with SqliteStore(path) as store:
        conn = raw(path)
        conn.execute("DROP TABLE drops")  # behind the store's back
        conn.close()
        with pytest.raises(StoreError, match="drops failed: no such table") as info:
            store.drops()
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        with pytest.raises(StoreError, match="append failed"):
            store.append([event("e1")], [job("j1")], drops=[Drop("e1", "x", T0)])
        assert store.get_event("e1") is None
        assert store.pending_jobs() == 0


def test_a_closed_store_raises_store_error(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "bus.db") as store:
        pass
    with pytest.raises(StoreError, match="pending_jobs: the store is closed"):
        store.pending_jobs()
    with pytest.raises(StoreError, match="send_message: the store is closed"):
        store.send_message(QueueMessage("m1", "q", "{}", T0))
    store.close()  # closing twice is fine


# ------------------------------------------------------------------ files
def test_files_are_private_to_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "state" / "choreo" / "bus.db"
    before = stat.S_IMODE(tmp_path.stat().st_mode)
    old = os.umask(0o022)
    try:
        with SqliteStore(path) as store:
            store.append([event("e1")])
            wal = Path(f"{path}-wal")
            assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(tmp_path.stat().st_mode) == before  # directories that existed are left alone
