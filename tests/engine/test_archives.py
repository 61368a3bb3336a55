"""Archives and replays on a virtual clock."""

from __future__ import annotations

import pytest

from bus.clock import VirtualClock
from bus.engine import Engine
from bus.engine.archives import MAX_RUNNING_REPLAYS, Archives
from bus.errors import LimitExceeded, ResourceAlreadyExists, ValidationError
from bus.model import ReplayState, Target
from bus.store import MemoryStore


@pytest.fixture
def setup() -> tuple[Engine, Archives, VirtualClock]:
    clock = VirtualClock()
    engine = Engine(MemoryStore(), clock=clock)
    engine.create_event_bus("orders")
    for rule in ("r1", "r2"):
        engine.put_rule(rule, event_bus_name="orders", event_pattern='{"source": ["shop"]}')
        engine.put_targets(
            rule, [Target("q", "arn:aws:sqs:us-east-1:123456789012:q")], event_bus_name="orders"
        )
    return engine, Archives(engine), clock


def publish(
    engine: Engine, clock: VirtualClock, n: int, *, every: float = 30.0, trace: str | None = None
) -> float:
    start = clock.now()
    for i in range(n):
        entry = {"Source": "shop", "DetailType": "T", "Detail": f'{{"i": {i}}}', "EventBusName": "orders"}
        if trace:
            entry["TraceHeader"] = trace
        engine.put_events([entry])
        clock.advance(every)
    return start


def replayed_jobs(engine: Engine, name: str) -> list[tuple[str, str]]:
    return sorted(
        (j.rule, j.event_id)
        for j in engine.store.due_jobs(engine.clock.now(), 10_000)
        if j.replay_name == name
    )


def run(archives: Archives, name: str) -> None:
    for _ in range(1000):
        if archives.describe_replay(name).state is ReplayState.COMPLETED:
            return
        archives.step()
    raise AssertionError("replay did not complete")


def test_archive_keeps_matching_events_only(setup: tuple[Engine, Archives, VirtualClock]) -> None:
    engine, archives, clock = setup
    archives.create_archive("all", engine.bus_arn("orders"))
    archives.create_archive("odd", engine.bus_arn("orders"), event_pattern='{"detail": {"i": [1, 3]}}')
    with pytest.raises(ResourceAlreadyExists):
        archives.create_archive("all", engine.bus_arn("orders"))
    publish(engine, clock, 5)
    assert archives.archive_stats("all")[0] == 5
    assert archives.archive_stats("odd")[0] == 2


def test_replay_resends_every_event_of_the_window_with_replay_name(
    setup: tuple[Engine, Archives, VirtualClock],
) -> None:
    engine, archives, clock = setup
    archive = archives.create_archive("all", engine.bus_arn("orders"))
    start = publish(engine, clock, 5, trace="Root=1-abc")
    clock.advance(100)
    archives.start_replay("rp", archive.arn, start, clock.now() - 1, engine.bus_arn("orders"))
    run(archives, "rp")
    jobs = replayed_jobs(engine, "rp")
    assert len(jobs) == 10  # 5 events x 2 rules
    replay = archives.describe_replay("rp")
    assert replay.event_last_replayed_time == replay.event_end_time and replay.replay_end_time is not None
    event = engine.store.get_event(jobs[0][1])
    assert event is not None and event.trace_header == "Root=1-abc"  # kept for the replay (AWS drops it)
    assert archives.archive_stats("all")[0] == 5  # replayed events are not archived again


def test_replay_filter_arns_limit_rules(setup: tuple[Engine, Archives, VirtualClock]) -> None:
    engine, archives, clock = setup
    archive = archives.create_archive("all", engine.bus_arn("orders"))
    start = publish(engine, clock, 3)
    archives.start_replay(
        "rp",
        archive.arn,
        start,
        clock.now(),
        engine.bus_arn("orders"),
        filter_arns=(engine.rule_arn("orders", "r2"),),
    )
    run(archives, "rp")
    assert {rule for rule, _ in replayed_jobs(engine, "rp")} == {"r2"}


def test_replay_validation_and_cancel(setup: tuple[Engine, Archives, VirtualClock]) -> None:
    engine, archives, clock = setup
    archive = archives.create_archive("all", engine.bus_arn("orders"))
    now = clock.now()
    with pytest.raises(ValidationError, match="before EventEndTime"):
        archives.start_replay("x", archive.arn, now, now, engine.bus_arn("orders"))
    with pytest.raises(ValidationError, match="future"):
        archives.start_replay("x", archive.arn, now - 10, now + 10, engine.bus_arn("orders"))
    with pytest.raises(ValidationError, match="Cross event bus"):
        archives.start_replay("x", archive.arn, now - 10, now, engine.bus_arn("default"))
    archives.start_replay("c", archive.arn, now - 3600, now, engine.bus_arn("orders"))
    assert archives.cancel_replay("c").state is ReplayState.CANCELLING
    archives.step()
    assert archives.describe_replay("c").state is ReplayState.CANCELLED


def test_at_most_ten_running_replays(setup: tuple[Engine, Archives, VirtualClock]) -> None:
    engine, archives, clock = setup
    archive = archives.create_archive("all", engine.bus_arn("orders"))
    now = clock.now()
    for i in range(MAX_RUNNING_REPLAYS):
        archives.start_replay(f"r{i}", archive.arn, now - 3600, now, engine.bus_arn("orders"))
    with pytest.raises(LimitExceeded):
        archives.start_replay("one-more", archive.arn, now - 3600, now, engine.bus_arn("orders"))


def test_retention_expires_old_entries(setup: tuple[Engine, Archives, VirtualClock]) -> None:
    engine, archives, clock = setup
    archives.create_archive("week", engine.bus_arn("orders"), retention_days=7)
    publish(engine, clock, 2)
    clock.advance(8 * 86_400)
    publish(engine, clock, 1)
    assert archives.expire() == 2
    assert archives.archive_stats("week")[0] == 1


def test_replay_fails_when_its_archive_is_deleted(setup: tuple[Engine, Archives, VirtualClock]) -> None:
    engine, archives, clock = setup
    archive = archives.create_archive("all", engine.bus_arn("orders"))
    start = publish(engine, clock, 2)
    archives.start_replay("rp", archive.arn, start, clock.now(), engine.bus_arn("orders"))
    archives.delete_archive("all")
    archives.step()
    replay = archives.describe_replay("rp")
    assert replay.state is ReplayState.FAILED
    assert replay.state_reason == "Archive all no longer exists."
