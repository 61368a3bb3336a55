"""Publishing generated event models to a bus, on AWS or locally, with the failures accounted for.

``boto3.client("events")`` honours ``AWS_ENDPOINT_URL``, so the same code reaches EventBridge and
``choreo serve``. PutEvents can accept some entries of a request and refuse others; entries
refused for a transient reason are sent again with backoff, the rest are reported together in one
``PublishError`` once every batch was tried.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bus.producer._batching import MAX_REQUEST_BYTES, batches, entry_size
from bus.producer._context import EventContext
from bus.producer._contract import build_entry
from bus.producer.errors import EntryTooLarge, FailedEntry, PublishError

__all__ = ["TRANSIENT_CODES", "Publisher"]

# Entry and request error codes worth another attempt; anything else will fail the same way again.
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "InternalFailure",
        "InternalException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ConnectionError",
    }
)


def full_jitter(attempt: int, *, base: float = 0.1, cap: float = 2.0) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (AWS's "full jitter" backoff)."""
    return random.uniform(0.0, min(cap, base * 2 ** (attempt - 1)))


class Publisher:
    """Puts events on one bus. Create it once per process (module level in a Lambda)::

    publisher = Publisher("choreo-orders")
    publisher.publish(placed.OrderPlacedData(...), caused_by=EventContext.edge(debug_sample_rate=0.05))
    """

    def __init__(
        self,
        event_bus_name: str,
        *,
        client: Any = None,
        max_attempts: int = 4,
        backoff: Callable[[int], float] = full_jitter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.event_bus_name = event_bus_name
        self._client = client
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._sleep = sleep

    @property
    def client(self) -> Any:
        # Created on first use: importing a module that makes a Publisher must not need AWS settings.
        if self._client is None:
            import boto3

            self._client = boto3.client("events")
        return self._client

    def entry(
        self,
        data: BaseModel,
        *,
        caused_by: EventContext | None = None,
        idempotency_key: str | None = None,
        resources: Sequence[str] = (),
        time: datetime | None = None,
    ) -> dict[str, Any]:
        """The PutEvents entry ``publish`` would send, for ``send`` or for inspection."""
        return build_entry(
            data,
            event_bus_name=self.event_bus_name,
            caused_by=caused_by or EventContext.edge(),
            idempotency_key=idempotency_key,
            resources=resources,
            time=time,
        )

    def publish(
        self,
        data: BaseModel,
        *,
        caused_by: EventContext | None = None,
        idempotency_key: str | None = None,
        resources: Sequence[str] = (),
        time: datetime | None = None,
    ) -> str:
        """Publish one event; its event id."""
        entry = self.entry(
            data, caused_by=caused_by, idempotency_key=idempotency_key, resources=resources, time=time
        )
        return self.send([entry])[0]

    def publish_many(self, data: Iterable[BaseModel], *, caused_by: EventContext | None = None) -> list[str]:
        """Publish events with one cause in as few requests as possible; event ids in input order."""
        context = caused_by or EventContext.edge()
        return self.send([self.entry(item, caused_by=context) for item in data])

    def send(self, entries: Sequence[Mapping[str, Any]]) -> list[str]:
        """Send prepared entries, batched within PutEvents' limits; event ids in input order."""
        too_large = tuple(i for i, entry in enumerate(entries) if entry_size(entry) > MAX_REQUEST_BYTES)
        if too_large:
            raise EntryTooLarge(too_large, MAX_REQUEST_BYTES)
        event_ids: dict[int, str] = {}
        failures: list[FailedEntry] = []
        for batch in batches(entries):
            self._send_batch(entries, batch, event_ids, failures)
        if failures:
            raise PublishError(tuple(sorted(failures, key=lambda f: f.index)), event_ids)
        return [event_ids[i] for i in range(len(entries))]

    def _send_batch(
        self,
        entries: Sequence[Mapping[str, Any]],
        pending: list[int],
        event_ids: dict[int, str],
        failures: list[FailedEntry],
    ) -> None:
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            results = self._put([entries[i] for i in pending])
            retry: list[int] = []
            for index, result in zip(pending, results, strict=True):
                event_id = result.get("EventId")
                if event_id:
                    event_ids[index] = str(event_id)
                    continue
                code = str(result.get("ErrorCode") or "UnknownError")
                if code in TRANSIENT_CODES and not last:
                    retry.append(index)
                else:
                    failures.append(
                        _failed(index, entries[index], code, str(result.get("ErrorMessage") or ""))
                    )
            if not retry:
                return
            pending = retry
            self._sleep(self._backoff(attempt))

    def _put(self, entries: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """One PutEvents call; a failed request becomes the same failure on each of its entries."""
        try:
            response = self.client.put_events(Entries=entries)
        except Exception as exc:
            code, message = _request_error(exc)
            return [{"ErrorCode": code, "ErrorMessage": message}] * len(entries)
        results = list(response.get("Entries") or [])
        if len(results) != len(entries):
            missing = {"ErrorCode": "InternalFailure", "ErrorMessage": "PutEvents answered no result"}
            results += [missing] * (len(entries) - len(results))
        return results


def _request_error(exc: Exception) -> tuple[str, str]:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error") or {}
        return str(error.get("Code") or type(exc).__name__), str(error.get("Message") or exc)
    # botocore's EndpointConnectionError, ReadTimeoutError ...: the request may never have arrived
    if _is_connection_error(exc):
        return "ConnectionError", str(exc)
    return type(exc).__name__, str(exc)


def _is_connection_error(exc: Exception) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectionError", "HTTPClientError", "ConnectionClosedError", "ReadTimeoutError"})


def _failed(index: int, entry: Mapping[str, Any], code: str, message: str) -> FailedEntry:
    return FailedEntry(
        index=index,
        source=str(entry.get("Source") or ""),
        detail_type=str(entry.get("DetailType") or ""),
        idempotency_key=_idempotency_key(entry),
        error_code=code,
        error_message=message,
    )


def _idempotency_key(entry: Mapping[str, Any]) -> str | None:
    try:
        key = json.loads(str(entry.get("Detail")))["metadata"]["idempotency-key"]
    except (ValueError, KeyError, TypeError):
        return None
    return key if isinstance(key, str) else None
