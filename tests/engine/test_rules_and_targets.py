"""Buses, rules and targets: AWS's validation and errors."""

from __future__ import annotations

import pytest

from bus.clock import VirtualClock
from bus.engine import Engine
from bus.errors import (
    InvalidEventPatternError,
    LimitExceeded,
    ResourceAlreadyExists,
    ResourceNotFound,
    ValidationError,
)
from bus.model import RetryPolicy, RuleState, Target
from bus.store import MemoryStore


@pytest.fixture
def engine() -> Engine:
    return Engine(MemoryStore(), clock=VirtualClock())


def q(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:123456789012:{name}"


def test_default_bus_exists_and_cannot_be_deleted(engine: Engine) -> None:
    assert engine.describe_event_bus().arn == "arn:aws:events:us-east-1:123456789012:event-bus/default"
    with pytest.raises(ValidationError, match=r"^Cannot delete event bus default\.$"):
        engine.delete_event_bus("default")


def test_bus_lifecycle(engine: Engine) -> None:
    engine.create_event_bus("orders", description="order flow")
    with pytest.raises(ResourceAlreadyExists, match=r"^Event bus orders already exists\.$"):
        engine.create_event_bus("orders")
    assert [b.name for b in engine.list_event_buses()] == ["default", "orders"]
    assert engine.describe_event_bus(engine.bus_arn("orders")).description == "order flow"
    engine.delete_event_bus("orders")
    with pytest.raises(ResourceNotFound, match=r"^Event bus orders does not exist\.$"):
        engine.describe_event_bus("orders")


def test_rule_arns_follow_aws(engine: Engine) -> None:
    engine.create_event_bus("orders")
    assert engine.put_rule("r", event_pattern='{"a": [1]}') == "arn:aws:events:us-east-1:123456789012:rule/r"
    assert (
        engine.put_rule("r", event_bus_name="orders", event_pattern='{"a": [1]}')
        == "arn:aws:events:us-east-1:123456789012:rule/orders/r"
    )


def test_put_rule_validation(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="EventPattern or ScheduleExpression must be specified"):
        engine.put_rule("r")
    with pytest.raises(InvalidEventPatternError, match=r"^Event pattern is not valid\. Reason: Empty arrays"):
        engine.put_rule("r", event_pattern='{"a": []}')
    with pytest.raises(ResourceNotFound, match=r"^Event bus nope does not exist\.$"):
        engine.put_rule("r", event_bus_name="nope", event_pattern='{"a": [1]}')
    engine.create_event_bus("orders")
    with pytest.raises(ValidationError, match="only on the default event bus"):
        engine.put_rule("r", event_bus_name="orders", schedule_expression="rate(5 minutes)")
    with pytest.raises(ValidationError, match="not valid"):
        engine.put_rule("bad name!", event_pattern='{"a": [1]}')


def test_disabled_rule_does_not_route_until_enabled(engine: Engine) -> None:
    engine.put_rule("r", event_pattern='{"source": ["s"]}', state="DISABLED")
    engine.put_targets("r", [Target("t", q("t"))])
    event = [{"Source": "s", "DetailType": "d", "Detail": "{}"}]
    engine.put_events(event)
    assert engine.store.pending_jobs() == 0
    engine.enable_rule("r")
    assert engine.describe_rule("r").state is RuleState.ENABLED
    engine.put_events(event)
    assert engine.store.pending_jobs() == 1
    engine.disable_rule("r")
    engine.put_events(event)
    assert engine.store.pending_jobs() == 1


def test_rule_with_targets_cannot_be_deleted_unless_forced(engine: Engine) -> None:
    engine.put_rule("r", event_pattern='{"a": [1]}')
    engine.put_targets("r", [Target("t", q("t"))])
    with pytest.raises(ValidationError, match=r"^Rule can't be deleted since it has targets\.$"):
        engine.delete_rule("r")
    engine.delete_rule("r", force=True)
    with pytest.raises(ResourceNotFound, match=r"^Rule r does not exist on EventBus default\.$"):
        engine.describe_rule("r")


def test_at_most_five_targets_per_rule(engine: Engine) -> None:
    engine.put_rule("r", event_pattern='{"a": [1]}')
    engine.put_targets("r", [Target(str(i), q(str(i))) for i in range(5)])
    engine.put_targets("r", [Target("0", q("other"))])  # replacing an existing id is fine
    with pytest.raises(LimitExceeded):
        engine.put_targets("r", [Target("5", q("5"))])
    assert engine.list_targets_by_rule("r")[0].arn == q("other")


@pytest.mark.parametrize(("attempts", "age"), [(-1, 3600), (186, 3600), (3, 59), (3, 86_401)])
def test_retry_policy_bounds(engine: Engine, attempts: int, age: int) -> None:
    engine.put_rule("r", event_pattern='{"a": [1]}')
    with pytest.raises(ValidationError, match="RetryPolicy"):
        engine.put_targets("r", [Target("t", q("t"), retry_policy=RetryPolicy(attempts, age))])


def test_remove_targets(engine: Engine) -> None:
    engine.put_rule("r", event_pattern='{"a": [1]}')
    engine.put_targets("r", [Target("a", q("a")), Target("b", q("b"))])
    engine.remove_targets("r", ["a"])
    assert [t.id for t in engine.list_targets_by_rule("r")] == ["b"]


def test_state_survives_a_new_engine_on_the_same_store(engine: Engine) -> None:
    engine.create_event_bus("orders")
    engine.put_rule("r", event_bus_name="orders", event_pattern='{"source": ["s"]}')
    engine.put_targets("r", [Target("t", q("t"))], event_bus_name="orders")
    again = Engine(engine.store, clock=engine.clock)
    again.put_events([{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "orders"}])
    assert again.store.pending_jobs() == 1


def test_test_event_pattern_requires_a_full_envelope(engine: Engine) -> None:
    with pytest.raises(ValidationError, match=r"^Parameter Event is not valid\.$"):
        engine.test_event_pattern('{"source": ["s"]}', '{"source": "s"}')
    full = '{"id": "1", "account": "1", "source": "s", "time": "t", "region": "r", "detail-type": "d"}'
    assert engine.test_event_pattern('{"source": ["s"]}', full) is True


def test_schedule_rules_fire_scheduled_events_to_their_targets_only() -> None:
    from bus.engine.scheduler import Scheduler

    clock = VirtualClock()
    engine = Engine(MemoryStore(), clock=clock)
    engine.put_rule("tick", schedule_expression="rate(5 minutes)")
    engine.put_targets("tick", [Target("t", q("t"))])
    engine.put_rule("catch-all", event_pattern='{"source": [{"prefix": ""}]}')
    engine.put_targets("catch-all", [Target("c", q("c"))])
    scheduler = Scheduler(engine)
    assert scheduler.fire_due() == 0
    clock.advance(5 * 60)
    assert scheduler.fire_due() == 1
    [job] = engine.store.due_jobs(clock.now(), 10)
    assert (job.rule, job.target_id) == ("tick", "t")
    event = engine.store.get_event(job.event_id)
    assert event is not None
    envelope = event.envelope()
    assert (envelope["source"], envelope["detail-type"], envelope["detail"]) == (
        "aws.events",
        "Scheduled Event",
        {},
    )
    assert envelope["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/tick"]
    clock.advance(10 * 60)
    assert scheduler.fire_due() == 1  # missed firings are not caught up one by one


@pytest.mark.parametrize(
    "expression", ["rate(1 minutes)", "rate(0 minutes)", "cron(0 12 * * * *)", "cron(0 12)"]
)
def test_invalid_schedule_expressions_are_rejected(engine: Engine, expression: str) -> None:
    with pytest.raises(ValidationError, match=r"^Parameter ScheduleExpression is not valid\.$"):
        engine.put_rule("r", schedule_expression=expression)
