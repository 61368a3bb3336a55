"""Discoverers, and the discovery that runs behind them.

A discoverer watches one event bus. The engine calls ``Discovery.listener`` with the events each
PutEvents (or bus-to-bus forward) commits; the listener only queues the events of buses with a
STARTED discoverer, and a worker thread infers their schemas off the request path: per
``(source, detail-type)`` it merges the new events into the stored observation
(``schemas.observed``) and, when the rendered document differs from the latest version, adds a
version of ``<source>@<DetailType>`` in ``discovered-schemas`` (see ``_naming`` and ``_infer``).

Durability: observations and schemas are in the store, so discovery goes on merging after a
restart; events still queued when the process dies are not inferred (they are only samples: the
events themselves are committed and delivered). The worker exits when idle and is started again
by the next queued batch, so an idle registry holds no thread.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from collections.abc import Sequence
from dataclasses import replace

from bus.engine.engine import Engine
from bus.errors import BusError
from bus.model import Event
from bus.registry._content import OPENAPI
from bus.registry._context import Page, RegistryContext, page
from bus.registry._infer import Node, dumps, new_observation, observe, render_document
from bus.registry._naming import discovered_name
from bus.registry._records import DISCOVERER, OBSERVED, Discoverer, from_doc, schema_key, to_doc
from bus.registry._registries import DISCOVERED_REGISTRY
from bus.registry._schemas import Schemas
from bus.registry.errors import BadRequest, Conflict, NotFound

__all__ = ["Discoverers", "Discovery"]

log = logging.getLogger(__name__)
_BUS_ARN = re.compile(r"arn:aws:events:([a-z0-9-]+):(\d{12}):event-bus/([.\-_A-Za-z0-9/]+)")
_IDLE_SECONDS = 1.0


class Discoverers:
    def __init__(self, ctx: RegistryContext, engine: Engine) -> None:
        self.ctx = ctx
        self.engine = engine
        self.started_buses: frozenset[str] = frozenset()
        self._refresh()

    def _refresh(self) -> None:
        docs = self.ctx.store.list_resources(DISCOVERER)
        self.started_buses = frozenset(str(d["bus"]) for _, d in docs if d.get("state") == "STARTED")

    def create(
        self,
        source_arn: str,
        *,
        description: str = "",
        cross_account: bool | None = None,
        tags: dict[str, str] | None = None,
    ) -> Discoverer:
        """The id is derived from the bus, ``events-event-bus-<bus name>``, so a bus has at most
        one discoverer (a second is a ConflictException, as on AWS). It starts STARTED."""
        match = _BUS_ARN.fullmatch(source_arn)
        if match is None:
            raise BadRequest(f"SourceArn {source_arn} is not the ARN of an event bus.")
        region, account, bus = match.groups()
        if (region, account) != (self.ctx.region, self.ctx.account):
            raise BadRequest(f"Event bus {source_arn} is not in this account and region.")
        try:
            self.engine.describe_event_bus(bus)
        except BusError:
            raise BadRequest(f"Event bus {bus} does not exist.") from None
        discoverer_id = f"events-event-bus-{bus}"
        with self.ctx.lock:
            if self.ctx.store.get_resource(DISCOVERER, discoverer_id) is not None:
                raise Conflict(f"A discoverer for {source_arn} already exists: {discoverer_id}.")
            created = Discoverer(
                discoverer_id,
                self.ctx.arn(f"discoverer/{discoverer_id}"),
                source_arn,
                bus,
                description,
                "STARTED",
                True if cross_account is None else cross_account,
                dict(tags or {}),
            )
            self._save(created)
        return created

    def _save(self, discoverer: Discoverer) -> None:
        self.ctx.store.put_resource(DISCOVERER, discoverer.id, to_doc(discoverer))
        self._refresh()

    def get(self, discoverer_id: str) -> Discoverer:
        doc = self.ctx.store.get_resource(DISCOVERER, discoverer_id)
        if doc is None:
            raise NotFound(f"Discoverer {discoverer_id} does not exist.")
        return from_doc(Discoverer, doc)

    def listing(
        self,
        *,
        id_prefix: str = "",
        source_prefix: str = "",
        limit: int | None = None,
        token: str | None = None,
    ) -> Page[Discoverer]:
        found = [from_doc(Discoverer, d) for _, d in self.ctx.store.list_resources(DISCOVERER, id_prefix)]
        chosen = [d for d in found if d.source_arn.startswith(source_prefix)]
        return page(chosen, lambda d: d.id, limit, token)

    def update(
        self, discoverer_id: str, *, description: str | None = None, cross_account: bool | None = None
    ) -> Discoverer:
        with self.ctx.lock:
            current = self.get(discoverer_id)
            updated = replace(
                current,
                description=current.description if description is None else description,
                cross_account=current.cross_account if cross_account is None else cross_account,
            )
            self._save(updated)
        return updated

    def set_state(self, discoverer_id: str, state: str) -> Discoverer:
        with self.ctx.lock:
            updated = replace(self.get(discoverer_id), state=state)
            self._save(updated)
        return updated

    def put_tags(self, discoverer_id: str, tags: dict[str, str]) -> None:
        with self.ctx.lock:
            self._save(replace(self.get(discoverer_id), tags=tags))

    def delete(self, discoverer_id: str) -> None:
        """Discovered schemas stay in ``discovered-schemas`` (as on AWS)."""
        with self.ctx.lock:
            self.get(discoverer_id)
            self.ctx.store.delete_resource(DISCOVERER, discoverer_id)
            self._refresh()


class Discovery:
    """Queues committed events of watched buses; a worker thread merges them into schemas."""

    def __init__(self, ctx: RegistryContext, discoverers: Discoverers, schemas: Schemas) -> None:
        self.ctx = ctx
        self.discoverers = discoverers
        self.schemas = schemas
        self._queue: queue.Queue[list[Event]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition(self._lock)
        self._pending = 0

    def listener(self, events: Sequence[Event]) -> None:
        """For ``Engine.on_events``: a set lookup per event and a queue put, nothing more."""
        watched = self.discoverers.started_buses
        if not watched:
            return
        chosen = [e for e in events if e.bus in watched and e.replay_name is None]
        if not chosen:
            return
        with self._lock:
            self._pending += 1
            self._queue.put(chosen)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="choreo-discovery", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued event has been inferred; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            try:
                batch = self._queue.get(timeout=_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batches = [batch]
            while True:  # take what else is queued: one store round per schema, not per event
                try:
                    batches.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.infer([event for chunk in batches for event in chunk])
            except Exception:  # a store failure must not kill discovery for good
                log.exception("schema discovery failed for %d events", sum(len(b) for b in batches))
            with self._idle:
                self._pending -= len(batches)
                self._idle.notify_all()

    def infer(self, events: Sequence[Event]) -> list[str]:
        """Merge ``events`` into their schemas now; the names of the schemas that got a version."""
        groups: dict[tuple[str, str], list[Event]] = {}
        for event in events:
            groups.setdefault((event.source, event.detail_type), []).append(event)
        changed: list[str] = []
        for (source, detail_type), members in sorted(groups.items()):
            name = discovered_name(source, detail_type)
            if self._merge(name, source, detail_type, members):
                changed.append(name)
        return changed

    def _merge(self, name: str, source: str, detail_type: str, events: Sequence[Event]) -> bool:
        key = schema_key(DISCOVERED_REGISTRY, name)
        with self.ctx.lock:
            stored = self.ctx.store.get_resource(OBSERVED, key)
            detail: Node = new_observation() if stored is None else stored["detail"]
            for event in events:
                try:
                    observe(detail, json.loads(event.detail))
                except (json.JSONDecodeError, RecursionError):
                    continue  # the engine accepted it, so this cannot happen; never fail discovery
            self.ctx.store.put_resource(
                OBSERVED, key, {"source": source, "detail_type": detail_type, "detail": detail}
            )
            content = dumps(render_document(source, detail_type, detail))
            *_, written = self.schemas.put_version(
                DISCOVERED_REGISTRY, name, schema_type=OPENAPI, content=content
            )
        return written
