"""The bus's own segments: EventBridge's node in a trace, and what happened inside it.

On AWS, X-Ray shows EventBridge as one node between the producer and the targets, and only for
events whose PutEvents passed a trace header. The recorder draws that node for each such event
(an ``AWS::Events`` segment named after the bus, child of the producer's PutEvents subsegment)
and, our extension, one subsegment per rule the event matched and one per delivery attempt of
each target, with the target's outcome (and HTTP status for API destinations)::

    choreo-orders                     AWS::Events  event_id, source, detail_type
    └─ rule ReserveStock              rule match
       └─ Lambda ReserveStock #1      attempt: fault when it failed, throttle when throttled

A replay draws a segment of its own (annotated ``replay_name``) in the original trace.
Documents go to ``TraceStore.submit``: the listeners run on the PutEvents caller's and the
delivery threads and must stay quick. Ids are derived from the event, replay, rule and job, so
each thread can name its parent without asking the others.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from bus.engine.metrics import Metrics
from bus.engine.targets.base import ErrorCode, SendResult
from bus.model import DeliveryJob, Event, Rule, Target
from bus.xray._documents import TraceHeader, derived_id, parse_header
from bus.xray._spans import ATTEMPT_KIND, BUS_KIND, RULE_KIND
from bus.xray.store import TraceStore

__all__ = ["BusRecorder", "target_label"]

_SEEN = 8192  # bus and rule segments recently written by this process (not written again)
_KINDS = {"lambda": "Lambda", "sqs": "SQS", "events": "EventBridge", "logs": "CloudWatch Logs"}


def target_label(arn: str) -> tuple[str, str]:
    """``(kind, name)`` of a target ARN: ``("Lambda", "ReserveStock")``, ``("API destination", "ship")``."""
    parts = arn.split(":")
    service = parts[2] if len(parts) > 2 else ""
    resource = ":".join(parts[5:]) if len(parts) > 5 else arn
    if service == "lambda":
        name = resource.removeprefix("function:").split(":", 1)[0]
    elif service == "events" and resource.startswith("api-destination/"):
        return "API destination", resource.split("/")[1]
    elif service == "events":
        name = resource.split("/", 1)[-1]
    elif service == "logs":
        name = resource.removeprefix("log-group:").removesuffix(":*")
    else:
        name = resource
    return _KINDS.get(service, service or "target"), name


def _bus_id(event: Event, replay: str | None) -> str:
    return derived_id("bus", event.id, replay or "")


class BusRecorder:
    """Engine listener (``on_events``, ``on_jobs``) and delivery observer writing the bus's segments."""

    def __init__(
        self,
        store: TraceStore,
        *,
        bus_arn: Callable[[str], str],
        rule_arn: Callable[[str, str], str],
        metrics: Metrics | None = None,
        destination: Callable[[str], dict[str, Any] | None] | None = None,
    ) -> None:
        self.store = store
        self._destination = destination  # an API destination's resource by name (method, endpoint)
        self._bus_arn = bus_arn
        self._rule_arn = rule_arn
        self._metrics = metrics
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def _first_time(self, segment_id: str) -> bool:
        with self._lock:
            if segment_id in self._seen:
                return False
            self._seen[segment_id] = None
            while len(self._seen) > _SEEN:
                self._seen.popitem(last=False)
            return True

    # ------------------------------------------------------------------ engine listeners
    def events(self, events: Sequence[Event]) -> None:
        """Committed events: the bus node of each traced one (and the producer edge counts)."""
        docs = []
        for event in events:
            if self._metrics is not None:
                self._metrics.ingested(event.bus, event.source)
            header = parse_header(event.trace_header)
            if header is not None and self._first_time(_bus_id(event, None)):
                docs.append(self._bus_segment(event, header, None, event.ingested_at))
        if docs:
            self.store.submit(docs)

    def jobs(self, jobs: Sequence[DeliveryJob], events: Sequence[Event]) -> None:
        """Jobs of committed events: one subsegment per matched rule (replays come back with none)."""
        if not any(e.trace_header for e in events):
            return
        by_id = {e.id: e for e in events}
        docs = []
        for job in jobs:
            event = by_id.get(job.event_id)
            header = parse_header(event.trace_header) if event is not None else None
            if event is None or header is None:
                continue
            doc = self._rule_segment(event, header, job.replay_name, job.bus, job.rule, job.event_time)
            if doc is not None:
                docs.append(doc)
        if docs:
            self.store.submit(docs)

    # ------------------------------------------------------------------ delivery observer
    def attempted(
        self,
        job: DeliveryJob,
        event: Event,
        rule: Rule,
        target: Target,
        result: SendResult,
        started: float,
        ended: float,
    ) -> None:
        header = parse_header(event.trace_header)
        if header is None:
            return
        docs: list[dict[str, Any]] = []
        replay = job.replay_name
        if self._first_time(_bus_id(event, replay)):  # a replay's node, or one from before a restart
            docs.append(self._bus_segment(event, header, replay, job.event_time))
        rule_doc = self._rule_segment(event, header, replay, job.bus, job.rule, job.event_time)
        if rule_doc is not None:
            docs.append(rule_doc)
        docs.append(self._attempt_segment(job, event, header, target, result, started, ended))
        self.store.submit(docs)

    # ------------------------------------------------------------------ documents
    def _bus_segment(
        self, event: Event, header: TraceHeader, replay: str | None, at: float
    ) -> dict[str, Any]:
        annotations: dict[str, Any] = {
            "choreo": BUS_KIND,
            "event_id": event.id,
            "source": event.source,
            "detail_type": event.detail_type,
            "bus": event.bus,
        }
        if replay:
            annotations["replay_name"] = replay
        if event.source_bus:
            annotations["source_bus"] = event.source_bus
        doc: dict[str, Any] = {
            "trace_id": header.root,
            "id": _bus_id(event, replay),
            "name": event.bus,
            "origin": "AWS::Events",
            "start_time": at,
            "end_time": at,
            "resource_arn": self._bus_arn(event.bus),
            "aws": {"account_id": event.account, "region": event.region},
            "annotations": annotations,
        }
        if header.parent:
            doc["parent_id"] = header.parent
        return doc

    def _rule_segment(
        self, event: Event, header: TraceHeader, replay: str | None, bus: str, rule: str, at: float
    ) -> dict[str, Any] | None:
        parent = _bus_id(event, replay)
        rule_id = derived_id("rule", parent, rule)
        if not self._first_time(rule_id):
            return None
        return {
            "type": "subsegment",
            "trace_id": header.root,
            "parent_id": parent,
            "id": rule_id,
            "name": f"rule {rule}",
            "start_time": at,
            "end_time": at,
            "resource_arn": self._rule_arn(bus, rule),
            "annotations": {"choreo": RULE_KIND, "rule": rule, "bus": bus},
        }

    def _attempt_segment(
        self,
        job: DeliveryJob,
        event: Event,
        header: TraceHeader,
        target: Target,
        result: SendResult,
        started: float,
        ended: float,
    ) -> dict[str, Any]:
        kind, name = target_label(target.arn)
        parent = derived_id("rule", _bus_id(event, job.replay_name), job.rule)
        doc: dict[str, Any] = {
            "type": "subsegment",
            "trace_id": header.root,
            "parent_id": parent,
            "id": derived_id("attempt", job.id, str(job.attempt)),
            "name": f"{kind} {name} #{job.attempt + 1}",
            "namespace": "remote" if kind == "API destination" else "aws",
            "start_time": started,
            "end_time": max(started, ended),
            "annotations": {
                "choreo": ATTEMPT_KIND,
                "target_id": target.id,
                "target_arn": target.arn,
                "target_name": name,
                "target_kind": kind,
                "attempt": job.attempt + 1,
                "delivered": result.delivered,
            },
        }
        if not result.delivered:
            code = str(result.error_code or ErrorCode.UNKNOWN)
            throttled = result.error_code is ErrorCode.THROTTLING
            client = result.error_code in (
                ErrorCode.INVALID_JSON,
                ErrorCode.INVALID_PARAMETER,
                ErrorCode.NO_RESOURCE,
            )
            doc["throttle"] = throttled
            doc["error"] = throttled or client
            doc["fault"] = not (throttled or client)
            doc["cause"] = {"exceptions": [{"type": code, "message": result.message}]}
            doc["annotations"]["error_code"] = code
        if kind == "API destination":
            found = self._destination(name) if self._destination is not None else None
            request = {"method": str(found.get("HttpMethod", "POST"))} if found else {}
            if found and found.get("InvocationEndpoint"):
                request["url"] = str(found["InvocationEndpoint"]).split("?", 1)[0]
            doc["http"] = {"request": request}
            status = _status_of(result)
            if status is not None:
                doc["http"]["response"] = {"status": status}
        return doc


def _status_of(result: SendResult) -> int | None:
    """The HTTP status an API destination answered, from the attempt's message (``answered HTTP 503``)."""
    if result.delivered:
        return 200
    marker = "answered HTTP "
    at = result.message.find(marker)
    if at < 0:
        return None
    digits = result.message[at + len(marker) : at + len(marker) + 3]
    return int(digits) if digits.isdigit() else None
