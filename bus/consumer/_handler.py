"""A Lambda handler for one EventBridge-delivered contract, with the choreography's habits built in.

Per invocation: parse (Powertools Parser) -> log context (Powertools Logger: correlation ids on
every line, DEBUG when the edge sampled it) -> trace (Powertools Tracer) -> runaway-loop guard ->
idempotency (Powertools Idempotency on ``detail.metadata.idempotency-key``) -> the body -> the
consumer's explicit ``OnFailure`` choice when parsing or the body fails. docs/toolkit.md has the
whole contract; the decorated object is what Lambda (or the local runtime) calls.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import BaseError as IdempotencyError
from aws_lambda_powertools.utilities.parser import parse
from pydantic import BaseModel

from bus.consumer._dead_letter import DeadLetterQueue
from bus.consumer._persistence import persistence_from_env
from bus.consumer._policy import OnFailure, Outcome
from bus.consumer.errors import DeadLetterUnavailable
from bus.producer import EventContext

__all__ = ["DEAD_LETTER_QUEUE_ENV", "IDEMPOTENCY_KEY_PATH", "ConsumerHandler", "consumer"]

E = TypeVar("E", bound=BaseModel)

DEAD_LETTER_QUEUE_ENV = "CHOREO_DEAD_LETTER_QUEUE_URL"
IDEMPOTENCY_KEY_PATH = 'detail.metadata."idempotency-key"'
DEFAULT_MAX_CHAIN_LENGTH = 10


def consumer(
    model: type[E],
    *,
    on_failure: OnFailure,
    service: str | None = None,
    logger: Logger | None = None,
    tracer: Tracer | None = None,
    max_chain_length: int = DEFAULT_MAX_CHAIN_LENGTH,
    idempotent: bool = True,
    persistence: BasePersistenceLayer | None = None,
    expires_after_seconds: int = 3600,
    dead_letter_queue_url: str | None = None,
) -> Callable[[Callable[[E, EventContext], Any]], ConsumerHandler[E]]:
    """Decorate ``fn(event, context)`` into a Lambda handler for ``model`` (a generated AWSEvent)::

    @consumer(placed.AWSEvent, on_failure=OnFailure.RETRY)
    def lambda_handler(event: placed.AWSEvent, context: EventContext) -> None:
        publisher.publish(reserved_data, caused_by=context)
    """

    def decorate(fn: Callable[[E, EventContext], Any]) -> ConsumerHandler[E]:
        return ConsumerHandler(
            fn,
            model,
            on_failure=on_failure,
            service=service,
            logger=logger,
            tracer=tracer,
            max_chain_length=max_chain_length,
            idempotent=idempotent,
            persistence=persistence,
            expires_after_seconds=expires_after_seconds,
            dead_letter_queue_url=dead_letter_queue_url,
        )

    return decorate


class ConsumerHandler(Generic[E]):
    """The Lambda handler ``consumer`` returns: call it as Lambda does, ``handler(event, context)``."""

    def __init__(
        self,
        fn: Callable[[E, EventContext], Any],
        model: type[E],
        *,
        on_failure: OnFailure,
        service: str | None,
        logger: Logger | None,
        tracer: Tracer | None,
        max_chain_length: int,
        idempotent: bool,
        persistence: BasePersistenceLayer | None,
        expires_after_seconds: int,
        dead_letter_queue_url: str | None,
        sqs_client: Any = None,
    ) -> None:
        if not isinstance(on_failure, OnFailure):
            raise TypeError("on_failure must be an OnFailure: RETRY, DEAD_LETTER or DROP")
        self.fn = fn
        self.model = model
        self.on_failure = on_failure
        self.service = (
            service
            or os.environ.get("POWERTOOLS_SERVICE_NAME")
            or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
            or fn.__module__
        )
        self.logger = logger or Logger(service=self.service)
        self.tracer = tracer if tracer is not None else _tracer(self.service)
        self.max_chain_length = max_chain_length
        self.idempotent = idempotent
        self._persistence = persistence
        self.expires_after_seconds = expires_after_seconds
        self.dead_letter_queue_url = dead_letter_queue_url
        self.sqs_client = sqs_client
        self.__name__ = getattr(fn, "__name__", "handler")
        self.__doc__ = fn.__doc__

        def entry(event: Any, lambda_context: Any) -> dict[str, Any]:
            return self._invoke(event, lambda_context)

        entry.__name__ = entry.__qualname__ = self.__name__  # the trace's "## <handler>" subsegment
        if self.tracer is not None:
            entry = self.tracer.capture_lambda_handler(entry)
        self._entry: Callable[[Any, Any], dict[str, Any]] = self.logger.inject_lambda_context(
            entry, clear_state=True
        )

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        return self._entry(event, context if _is_lambda_context(context) else _NoLambdaContext())

    @property
    def persistence(self) -> BasePersistenceLayer:
        """The idempotency store: given, else chosen from the environment on first use (so the
        environment a test or the runtime sets after import still counts)."""
        if self._persistence is None:
            self._persistence = persistence_from_env()
        return self._persistence

    # ------------------------------------------------------------------ one invocation
    def _invoke(self, event: Any, lambda_context: Any) -> dict[str, Any]:
        event_id = str(event.get("id", "")) if isinstance(event, Mapping) else ""
        try:
            parsed = parse(event=event, model=self.model)
            context = EventContext.of(event)
        except Exception as exc:
            self.logger.append_keys(event_id=event_id)
            return self._failed(event, lambda_context, exc, "the event does not parse")
        self._log_and_trace(event, context)
        previous_level = self.logger.log_level
        if context.debug_log_enabled:
            self.logger.setLevel(logging.DEBUG)
        try:
            self.logger.debug("event received", extra={"event": event})
            if context.call_chain_length > self.max_chain_length:
                self.logger.error(
                    "runaway loop stopped: call-chain-length past the limit; nothing published",
                    extra={"max_chain_length": self.max_chain_length},
                )
                return _result(Outcome.LOOP_STOPPED, event_id)
            store = self.persistence if self.idempotent else None  # misconfigured: raise, never drop
            try:
                ran, result = self._run(parsed, context, event, lambda_context, store)
            except IdempotencyError:
                raise  # in progress elsewhere, or the store is down: only a retry is safe
            except Exception as exc:
                return self._failed(event, lambda_context, exc, "the handler failed")
            if not ran:
                self.logger.info("duplicate: idempotency key already processed")
                return _result(Outcome.DUPLICATE, event_id, result)
            self.logger.debug("event processed")
            return _result(Outcome.PROCESSED, event_id, result)
        finally:
            self.logger.setLevel(previous_level)

    def _log_and_trace(self, event: Mapping[str, Any], context: EventContext) -> None:
        self.logger.set_correlation_id(context.correlation_id)
        self.logger.append_keys(
            causation_id=context.causation_id,
            event_id=context.causation_id,
            idempotency_key=context.idempotency_key,
            call_chain_length=context.call_chain_length,
            detail_type=event.get("detail-type"),
            schema_version=event["detail"]["metadata"].get("schema-version"),
        )
        if self.tracer is not None:
            self.tracer.put_annotation("correlation_id", context.correlation_id)
            self.tracer.put_annotation("event_id", context.causation_id)
            self.tracer.put_annotation("detail_type", str(event.get("detail-type")))

    def _run(
        self,
        parsed: E,
        context: EventContext,
        event: dict[str, Any],
        lambda_context: Any,
        store: BasePersistenceLayer | None,
    ) -> tuple[bool, Any]:
        """(whether the body ran now, its result, stored or fresh)."""
        if store is None:
            return True, self.fn(parsed, context)
        ran = False

        def body(event: dict[str, Any]) -> dict[str, Any]:
            nonlocal ran
            ran = True
            return {"result": self.fn(parsed, context)}

        config = IdempotencyConfig(
            event_key_jmespath=IDEMPOTENCY_KEY_PATH,
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self.expires_after_seconds,
        )
        if callable(getattr(lambda_context, "get_remaining_time_in_millis", None)):
            config.register_lambda_context(lambda_context)  # in-progress expiry = Lambda's timeout
        once = idempotent_function(
            body,
            data_keyword_argument="event",
            persistence_store=store,
            config=config,
            key_prefix=self._key_prefix(),
        )
        stored = once(event=event)
        return ran, stored.get("result") if isinstance(stored, Mapping) else None

    def _key_prefix(self) -> str:
        # Keys of different functions must not collide in a shared store (one SQLite file locally).
        function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or self.service
        return f"{function}.{self.fn.__module__}.{self.fn.__qualname__}"

    # ------------------------------------------------------------------ failures
    def _failed(self, event: Any, lambda_context: Any, error: Exception, why: str) -> dict[str, Any]:
        event_id = str(event.get("id", "")) if isinstance(event, Mapping) else ""
        if self.on_failure is OnFailure.RETRY:
            self.logger.exception(
                f"{why}; raising for Lambda's retries and DLQ", extra={"on_failure": "retry"}
            )
            raise error
        if self.on_failure is OnFailure.DROP:
            self.logger.exception(f"{why}; event dropped", extra={"on_failure": "drop", "event": event})
            return _result(Outcome.DROPPED, event_id)
        url = self.dead_letter_queue_url or os.environ.get(DEAD_LETTER_QUEUE_ENV)
        if not url:
            self.logger.exception(f"{why}; no dead-letter queue configured ({DEAD_LETTER_QUEUE_ENV})")
            raise DeadLetterUnavailable(
                f"no dead-letter queue: set {DEAD_LETTER_QUEUE_ENV} or dead_letter_queue_url=",
                handler_error=error,
            ) from error
        request_id = str(getattr(lambda_context, "aws_request_id", "") or "")
        try:
            message_id = DeadLetterQueue(url, client=self.sqs_client).send(
                event, request_id=request_id, error=error
            )
        except Exception as send_error:
            self.logger.exception(f"{why}; sending it to the dead-letter queue failed")
            raise DeadLetterUnavailable(
                f"could not send to {url}: {send_error}", handler_error=error
            ) from send_error
        self.logger.exception(
            f"{why}; event sent to the dead-letter queue",
            extra={"on_failure": "dead-letter", "dead_letter_queue_url": url, "message_id": message_id},
        )
        return _result(Outcome.DEAD_LETTERED, event_id)


class _NoLambdaContext:
    """Stands in when a handler is called without Lambda's context (a script, a unit test), so
    Powertools' context keys still exist; in-progress records then expire with the record."""

    function_name = "local"
    memory_limit_in_mb = 0
    invoked_function_arn = ""
    aws_request_id = ""


def _is_lambda_context(context: Any) -> bool:
    fields = ("function_name", "memory_limit_in_mb", "invoked_function_arn", "aws_request_id")
    return all(hasattr(context, name) for name in fields)


def _result(outcome: Outcome, event_id: str, result: Any = None) -> dict[str, Any]:
    return {"outcome": outcome.value, "event_id": event_id, "result": result}


def _tracer(service: str) -> Tracer | None:
    """Powertools Tracer needs aws_xray_sdk even to stay disabled; without it, no tracing."""
    if importlib.util.find_spec("aws_xray_sdk") is None:
        return None
    return Tracer(service=service)
