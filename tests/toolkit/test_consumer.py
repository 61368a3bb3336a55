"""The consumer toolkit, invocation by invocation: parsing, log context, DEBUG on demand, tracing,
idempotency (once, in progress, expiry), the runaway-loop guard, and each OnFailure choice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from bus.consumer import (
    ConsumerHandler,
    DeadLetterUnavailable,
    EventContext,
    IdempotencyNotConfigured,
    OnFailure,
    Outcome,
    SQLitePersistenceLayer,
    consumer,
)
from events.models.com_choreo_orders import order_placed_v1_1 as placed
from tests.toolkit.conftest import LambdaContext, LogLines, placed_event


class Clock:
    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> SQLitePersistenceLayer:
    return SQLitePersistenceLayer(tmp_path / "idempotency.db", clock=clock)


Body = Callable[[placed.AWSEvent, EventContext], Any]


def make(
    body: Body,
    logs: LogLines,
    store: SQLitePersistenceLayer | None,
    on_failure: OnFailure = OnFailure.RETRY,
    **options: Any,
) -> ConsumerHandler[placed.AWSEvent]:
    return consumer(placed.AWSEvent, on_failure=on_failure, logger=logs.logger, persistence=store, **options)(
        body
    )


def test_the_body_gets_the_typed_event_and_its_context(
    logs: LogLines, store: SQLitePersistenceLayer, lambda_context: LambdaContext
) -> None:
    seen: list[tuple[placed.AWSEvent, EventContext]] = []

    def body(event: placed.AWSEvent, context: EventContext) -> dict[str, str]:
        seen.append((event, context))
        handler.logger.info("reserving stock")
        return {"reserved": event.detail.data.order_id}

    handler = make(body, logs, store)
    event = placed_event("o-7")
    assert handler(event, lambda_context) == {
        "outcome": "processed",
        "event_id": event["id"],
        "result": {"reserved": "o-7"},
    }
    [(typed, context)] = seen
    assert isinstance(typed, placed.AWSEvent) and typed.detail.data.order_id == "o-7"
    assert context == EventContext.of(event)
    assert context.causation_id == event["id"]


def test_every_log_line_carries_the_correlation_ids(
    logs: LogLines, store: SQLitePersistenceLayer, lambda_context: LambdaContext
) -> None:
    handler = make(lambda event, context: handler.logger.info("working"), logs, store)
    event = placed_event(context=EventContext.edge(correlation_id="corr-9"))
    handler(event, lambda_context)
    [line] = [line for line in logs.lines() if line["message"] == "working"]
    metadata = event["detail"]["metadata"]
    assert line["correlation_id"] == "corr-9"
    assert line["causation_id"] == line["event_id"] == event["id"]
    assert line["idempotency_key"] == metadata["idempotency-key"]
    assert (line["call_chain_length"], line["detail_type"], line["schema_version"]) == (
        1,
        "OrderPlaced",
        "1.1",
    )
    assert line["function_request_id"] == lambda_context.aws_request_id  # Powertools' Lambda context keys
    # the next invocation starts clean: no key of the previous event survives
    handler(placed_event("o-2", context=EventContext.edge(correlation_id="corr-10")), LambdaContext())
    assert [line["correlation_id"] for line in logs.lines() if line["message"] == "working"] == [
        "corr-9",
        "corr-10",
    ]


def test_debug_logging_is_on_only_for_events_that_carry_the_decision(
    logs: LogLines, store: SQLitePersistenceLayer, lambda_context: LambdaContext
) -> None:
    handler = make(lambda event, context: handler.logger.debug("detail of the work"), logs, store)
    handler(placed_event("o-1", context=EventContext.edge(debug=False)), lambda_context)
    assert not [line for line in logs.lines() if line["message"] == "detail of the work"]
    handler(placed_event("o-2", context=EventContext.edge(debug=True)), lambda_context)
    debug = [line for line in logs.lines() if line["level"] == "DEBUG"]
    assert "detail of the work" in [line["message"] for line in debug]
    assert "event received" in [line["message"] for line in debug]
    assert handler.logger.log_level == logging.INFO  # restored for the next invocation
    handler(placed_event("o-3", context=EventContext.edge(debug=False)), lambda_context)
    assert len([line for line in logs.lines() if line["message"] == "detail of the work"]) == 1


def test_the_tracer_wraps_the_handler_and_annotates_the_correlation(
    logs: LogLines, store: SQLitePersistenceLayer, lambda_context: LambdaContext
) -> None:
    class RecordingTracer:
        def __init__(self) -> None:
            self.annotations: dict[str, Any] = {}
            self.wrapped = 0

        def capture_lambda_handler(self, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
            def traced(event: Any, context: Any) -> Any:
                self.wrapped += 1
                return fn(event, context)

            return traced

        def put_annotation(self, key: str, value: Any) -> None:
            self.annotations[key] = value

    tracer = RecordingTracer()
    handler = make(lambda event, context: None, logs, store, tracer=tracer)
    event = placed_event(context=EventContext.edge(correlation_id="corr-3"))
    handler(event, lambda_context)
    assert tracer.wrapped == 1
    assert tracer.annotations == {
        "correlation_id": "corr-3",
        "event_id": event["id"],
        "detail_type": "OrderPlaced",
    }


def test_without_the_xray_sdk_tracing_is_off_not_broken(
    logs: LogLines, store: SQLitePersistenceLayer
) -> None:
    import importlib.util

    handler = make(lambda event, context: None, logs, store)
    assert (handler.tracer is None) == (importlib.util.find_spec("aws_xray_sdk") is None)


# ------------------------------------------------------------------ idempotency
def test_the_same_idempotency_key_runs_the_body_once(
    logs: LogLines, store: SQLitePersistenceLayer, lambda_context: LambdaContext
) -> None:
    runs: list[str] = []

    def body(event: placed.AWSEvent, context: EventContext) -> int:
        runs.append(event.id)
        return len(runs)

    handler = make(body, logs, store)
    first = placed_event("o-1", key="fact-1")
    duplicate = placed_event("o-1", key="fact-1")  # another delivery (another event id), same fact
    assert handler(first, lambda_context)["outcome"] == Outcome.PROCESSED
    assert handler(duplicate, LambdaContext()) == {
        "outcome": "duplicate",
        "event_id": duplicate["id"],
        "result": 1,
    }
    assert handler(first, LambdaContext())["outcome"] == Outcome.DUPLICATE
    assert runs == [first["id"]]
    assert handler(placed_event("o-2", key="fact-2"), LambdaContext())["outcome"] == Outcome.PROCESSED
    assert any(line["message"].startswith("duplicate") for line in logs.lines())


def test_another_consumer_of_the_same_event_is_not_a_duplicate(
    logs: LogLines, store: SQLitePersistenceLayer, lambda_context: LambdaContext
) -> None:
    def reserve(event: placed.AWSEvent, context: EventContext) -> None:
        return None

    def charge(event: placed.AWSEvent, context: EventContext) -> None:
        return None

    event = placed_event(key="fact-1")
    assert make(reserve, logs, store)(event, lambda_context)["outcome"] == Outcome.PROCESSED
    assert make(charge, logs, store)(event, LambdaContext())["outcome"] == Outcome.PROCESSED


def test_a_key_in_progress_elsewhere_is_retried_not_run_twice(
    logs: LogLines, store: SQLitePersistenceLayer
) -> None:
    entered, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow(event: placed.AWSEvent, context: EventContext) -> None:
        runs.append(event.id)
        entered.set()
        assert release.wait(timeout=20)

    handler = make(slow, logs, store, on_failure=OnFailure.DROP)  # even DROP must not drop this one
    event = placed_event(key="fact-1")
    outcomes: list[dict[str, Any]] = []
    first = threading.Thread(target=lambda: outcomes.append(handler(event, LambdaContext())))
    first.start()
    try:
        assert entered.wait(timeout=20)
        with pytest.raises(IdempotencyAlreadyInProgressError):
            handler(event, LambdaContext())
    finally:
        release.set()
        first.join(timeout=20)
    assert [o["outcome"] for o in outcomes] == ["processed"]
    assert handler(event, LambdaContext())["outcome"] == Outcome.DUPLICATE
    assert runs == [event["id"]]


class Killed(BaseException):
    """What a Lambda timeout looks like from inside: the invocation stops, no cleanup runs."""


def test_a_key_in_progress_past_the_holders_timeout_is_taken_over(
    logs: LogLines, store: SQLitePersistenceLayer, clock: Clock
) -> None:
    runs: list[str] = []

    def killed_first(event: placed.AWSEvent, context: EventContext) -> None:
        runs.append(event.id)
        if len(runs) == 1:
            raise Killed

    handler = make(killed_first, logs, store, on_failure=OnFailure.DROP)
    event = placed_event(key="fact-1")
    with pytest.raises(Killed):
        handler(event, LambdaContext(remaining_ms=3_000))  # in progress for at most 3 s more
    with pytest.raises(IdempotencyAlreadyInProgressError):
        handler(event, LambdaContext())
    clock.now += 5  # the holder's Lambda timed out
    assert handler(event, LambdaContext())["outcome"] == Outcome.PROCESSED
    assert len(runs) == 2


def test_a_processed_key_is_forgotten_after_it_expires(
    logs: LogLines, store: SQLitePersistenceLayer, clock: Clock
) -> None:
    runs: list[str] = []
    handler = make(lambda event, context: runs.append(event.id), logs, store, expires_after_seconds=60)
    event = placed_event(key="fact-1")
    assert handler(event, LambdaContext())["outcome"] == Outcome.PROCESSED
    clock.now += 30
    assert handler(event, LambdaContext())["outcome"] == Outcome.DUPLICATE
    clock.now += 32
    assert handler(event, LambdaContext())["outcome"] == Outcome.PROCESSED
    assert len(runs) == 2


def test_idempotency_store_from_the_environment(
    logs: LogLines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHOREO_IDEMPOTENCY_DB", raising=False)
    monkeypatch.delenv("IDEMPOTENCY_TABLE", raising=False)
    runs: list[str] = []
    event = placed_event()
    for choice in OnFailure:  # a configuration error is never dropped or dead-lettered
        handler = make(lambda event, context: runs.append(event.id), logs, None, on_failure=choice)
        with pytest.raises(IdempotencyNotConfigured):
            handler(event, LambdaContext())
    assert runs == []
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "choreo-idempotency")  # AWS's name, ignored locally:
    monkeypatch.setenv("CHOREO_IDEMPOTENCY_DB", str(tmp_path / "local.db"))  # the local file wins
    handler(event, LambdaContext())
    assert handler(event, LambdaContext())["outcome"] == Outcome.DUPLICATE
    assert isinstance(handler.persistence, SQLitePersistenceLayer)
    assert (tmp_path / "local.db").exists()
    unguarded = make(lambda event, context: runs.append(event.id), logs, None, idempotent=False)
    unguarded(event, LambdaContext())
    unguarded(event, LambdaContext())
    assert len(runs) == 3


# ------------------------------------------------------------------ the loop guard
def test_a_runaway_loop_is_stopped_past_the_chain_limit(
    logs: LogLines, store: SQLitePersistenceLayer
) -> None:
    runs: list[int] = []
    handler = make(
        lambda event, context: runs.append(context.call_chain_length), logs, store, max_chain_length=3
    )

    def at_length(n: int) -> dict[str, Any]:
        return placed_event(f"o-{n}", context=EventContext("corr", "cause", n - 1, False))

    assert handler(at_length(3), LambdaContext())["outcome"] == Outcome.PROCESSED
    stopped = handler(at_length(4), LambdaContext())
    assert stopped["outcome"] == Outcome.LOOP_STOPPED
    assert runs == [3]
    [line] = [line for line in logs.lines() if line["level"] == "ERROR"]
    assert line["message"].startswith("runaway loop stopped")
    assert (line["call_chain_length"], line["max_chain_length"], line["correlation_id"]) == (4, 3, "corr")


# ------------------------------------------------------------------ OnFailure
class Boom(Exception):
    pass


def failing(event: placed.AWSEvent, context: EventContext) -> None:
    raise Boom(f"cannot handle {event.detail.data.order_id}")


def test_retry_raises_and_leaves_the_key_free_for_the_retry(
    logs: LogLines, store: SQLitePersistenceLayer
) -> None:
    attempts: list[str] = []

    def flaky(event: placed.AWSEvent, context: EventContext) -> None:
        attempts.append(event.id)
        if len(attempts) == 1:
            raise Boom("dependency down")

    handler = make(flaky, logs, store, on_failure=OnFailure.RETRY)
    event = placed_event()
    with pytest.raises(Boom):
        handler(event, LambdaContext())
    assert handler(event, LambdaContext())["outcome"] == Outcome.PROCESSED  # Lambda's retry
    assert len(attempts) == 2
    [line] = [line for line in logs.lines() if line["level"] == "ERROR"]
    assert "Boom: dependency down" in line["exception"]


def test_drop_logs_the_failure_and_returns(logs: LogLines, store: SQLitePersistenceLayer) -> None:
    handler = make(failing, logs, store, on_failure=OnFailure.DROP)
    event = placed_event("o-5")
    assert handler(event, LambdaContext()) == {"outcome": "dropped", "event_id": event["id"], "result": None}
    [line] = [line for line in logs.lines() if line["level"] == "ERROR"]
    assert line["message"] == "the handler failed; event dropped"
    assert "cannot handle o-5" in line["exception"]
    assert line["event"]["id"] == event["id"]


class RecordingSqs:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.error = error

    def send_message(self, **request: Any) -> dict[str, str]:
        if self.error:
            raise self.error
        self.sent.append(request)
        return {"MessageId": f"m-{len(self.sent)}"}


def dead_lettering(logs: LogLines, store: SQLitePersistenceLayer, sqs: RecordingSqs, url: str | None) -> Any:
    handler = make(failing, logs, store, on_failure=OnFailure.DEAD_LETTER, dead_letter_queue_url=url)
    handler.sqs_client = sqs
    return handler


def test_dead_letter_sends_the_event_with_the_reason(logs: LogLines, store: SQLitePersistenceLayer) -> None:
    sqs = RecordingSqs()
    handler = dead_lettering(logs, store, sqs, "http://sqs/123/inventory-dlq")
    event, context = placed_event("o-6"), LambdaContext()
    assert handler(event, context)["outcome"] == Outcome.DEAD_LETTERED
    [message] = sqs.sent
    assert message["QueueUrl"] == "http://sqs/123/inventory-dlq"
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes == {
        "RequestID": context.aws_request_id,
        "ErrorCode": "200",
        "ErrorMessage": "cannot handle o-6",
        "ErrorType": "Boom",
    }
    import json

    assert json.loads(message["MessageBody"]) == event


def test_an_event_that_does_not_parse_is_a_failure_too(logs: LogLines, store: SQLitePersistenceLayer) -> None:
    sqs = RecordingSqs()
    handler = dead_lettering(logs, store, sqs, "http://sqs/123/dlq")
    poison = placed_event()
    del poison["detail"]["data"]["items"]
    assert handler(poison, LambdaContext())["outcome"] == Outcome.DEAD_LETTERED
    assert sqs.sent[0]["MessageAttributes"]["ErrorType"]["StringValue"] == "ValidationError"
    with pytest.raises(ValueError, match="items"):
        make(failing, logs, store, on_failure=OnFailure.RETRY)(poison, LambdaContext())


def test_dead_letter_without_a_queue_falls_back_to_lambdas_retries(
    logs: LogLines, store: SQLitePersistenceLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHOREO_DEAD_LETTER_QUEUE_URL", raising=False)
    with pytest.raises(DeadLetterUnavailable) as error:
        dead_lettering(logs, store, RecordingSqs(), None)(placed_event(), LambdaContext())
    assert isinstance(error.value.handler_error, Boom)
    down = RecordingSqs(error=ConnectionError("sqs unreachable"))
    with pytest.raises(DeadLetterUnavailable, match="sqs unreachable") as error:
        dead_lettering(logs, store, down, "http://sqs/1/dlq")(placed_event(), LambdaContext())
    assert isinstance(error.value.handler_error, Boom)
    monkeypatch.setenv("CHOREO_DEAD_LETTER_QUEUE_URL", "http://sqs/1/from-env")
    sqs = RecordingSqs()
    assert (
        dead_lettering(logs, store, sqs, None)(placed_event(), LambdaContext())["outcome"] == "dead-lettered"
    )
    assert sqs.sent[0]["QueueUrl"] == "http://sqs/1/from-env"


def test_the_failure_choice_must_be_an_onfailure(logs: LogLines) -> None:
    with pytest.raises(TypeError, match="OnFailure"):
        consumer(placed.AWSEvent, on_failure="retry", logger=logs.logger)(failing)  # type: ignore[arg-type]


def test_a_handler_called_without_a_lambda_context_still_works(
    logs: LogLines, store: SQLitePersistenceLayer
) -> None:
    handler = make(lambda event, context: handler.logger.info("done"), logs, store)
    with pytest.warns(UserWarning, match="remaining time"):  # Powertools: no in-progress expiry then
        assert handler(placed_event(), None)["outcome"] == Outcome.PROCESSED
    [line] = [line for line in logs.lines() if line["message"] == "done"]
    assert line["function_name"] == "local"


def test_on_aws_the_table_names_the_dynamodb_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from bus.consumer import persistence_from_env

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    layer = persistence_from_env({"IDEMPOTENCY_TABLE": "stack-IdempotencyTable-1"})
    assert isinstance(layer, DynamoDBPersistenceLayer)
    assert (layer.table_name, layer.key_attr, layer.expiry_attr) == (
        "stack-IdempotencyTable-1",
        "id",
        "expiration",
    )
    both = {"IDEMPOTENCY_TABLE": "t", "CHOREO_IDEMPOTENCY_DB": str(tmp_path / "x.db")}
    assert isinstance(persistence_from_env(both), SQLitePersistenceLayer)
