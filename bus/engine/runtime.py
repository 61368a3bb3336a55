"""The embedded bus, assembled: durable store, engine, archives, schedules and delivery threads.

    with LocalBus(".choreo") as bus:
        bus.create_queue("orders-q")
        bus.engine.put_rule("r", event_pattern='{"source": ["shop"]}')
        bus.engine.put_targets("r", [Target("q", bus.queue_arn("orders-q"))])
        bus.engine.put_events([{"Source": "shop", "DetailType": "x", "Detail": "{}"}])

Everything accepted is committed before ``put_events`` returns; delivery runs in the worker's
threads; a housekeeping thread fires schedule rules, advances replays and applies archive
retention. Stopping waits for in-flight deliveries; jobs not yet run stay in the store and run
after the next start (at-least-once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Literal

from bus.clock import Clock
from bus.engine.archives import Archives
from bus.engine.delivery import Deliverer
from bus.engine.engine import Engine
from bus.engine.metrics import Metrics
from bus.engine.scheduler import Scheduler
from bus.engine.targets import DeliveryContext, FunctionInvoker, default_registry
from bus.engine.targets.connections import apply_connections
from bus.engine.worker import DeliveryWorker
from bus.errors import ResourceAlreadyExists
from bus.functions import LambdaRuntime
from bus.model import DEFAULT_ACCOUNT, DEFAULT_REGION, Queue, queue_key, to_doc
from bus.store import SqliteStore, Store
from bus.template import Configuration
from bus.xray.tracing import Tracing

__all__ = ["LocalBus"]

_HOUSEKEEPING_SECONDS = 1.0
_RETENTION_SECONDS = 60.0
EVENT_RETENTION_SECONDS = 14 * 86_400.0


class LocalBus:
    def __init__(
        self,
        data_dir: str | Path = ".choreo",
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        durability: Literal["normal", "full"] = "normal",
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        strict: bool = False,
        endpoint: str = "http://127.0.0.1:4010",
        invoker: FunctionInvoker | None = None,
        workers: int = 4,
        xray_address: str | None = None,  # the X-Ray daemon's UDP HOST:PORT (port 0: a free one)
        event_retention_seconds: float = EVENT_RETENTION_SECONDS,
    ) -> None:
        self.data_dir = Path(data_dir)
        # delivered events are kept this long (choreo attempts, the console), archived ones longer
        self.event_retention_seconds = event_retention_seconds
        if store is None:
            # checkpoints run in the housekeeping thread, off the commit path of PutEvents and delivery
            store = SqliteStore(self.data_dir / "bus.db", durability=durability, auto_checkpoint=False)
        self.store = store
        self.endpoint = endpoint.rstrip("/")
        self.metrics = Metrics()
        self.engine = Engine(
            store, clock=clock, account=account, region=region, strict=strict, metrics=self.metrics
        )
        self.archives = Archives(self.engine)
        self.scheduler = Scheduler(self.engine)
        self.registry = default_registry(http_timeout=5.0)
        # told the queue name whenever delivery writes a message (the SQS API wakes its long polls)
        self.message_listeners: list[Callable[[str], None]] = []
        # the template's Lambda functions, run locally (bus/functions); the default invoker
        self.functions = LambdaRuntime(
            self.data_dir,
            store,
            region=region,
            endpoint=self.endpoint,
            put_events=self.engine.put_events,
            on_message=self._message_written,
        )
        context = DeliveryContext(
            data_dir=self.data_dir,
            forward=self.engine.forward,
            invoker=self.functions if invoker is None else invoker,
            on_message=self._message_written,
        )
        self.deliverer = Deliverer(store, self.engine.clock, self.registry, context, self.metrics)
        # traces.db in data_dir: the bus's own segments, and the daemon's when xray_address is set
        self.tracing = Tracing(
            self.data_dir, self.engine, self.deliverer, store, self.metrics, address=xray_address
        )
        self.worker = DeliveryWorker(self.deliverer, workers=workers)
        self.engine.on_jobs(self.worker.notify)
        self._stop = threading.Event()
        self._housekeeper: threading.Thread | None = None
        self._expired_at = 0.0

    def _message_written(self, queue: str) -> None:
        for listener in self.message_listeners:
            listener(queue)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalBus:
        self.tracing.start()
        if self.tracing.address is not None:  # handlers send their segments to our daemon
            self.functions.xray_address = self.tracing.address
        self.functions.start()
        self.worker.start()
        self.engine.deliver_inline(self.deliverer.deliver_inline)
        self.worker.notify()  # jobs left from an earlier run are in the store: take them now
        self._stop.clear()
        self._housekeeper = threading.Thread(
            target=self._housekeeping, name="choreo-housekeeping", daemon=True
        )
        self._housekeeper.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._housekeeper is not None:
            self._housekeeper.join(timeout)
            self._housekeeper = None
        self.engine.deliver_inline(None)
        self.worker.stop(timeout)
        self.functions.stop(timeout)
        self.tracing.stop()
        self.registry.close()
        self.store.close()

    def __enter__(self) -> LocalBus:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def housekeeping_once(self) -> None:
        """Fire due schedules, advance replays, apply retention (the background thread's one step).

        Kept cheap because it runs every second next to delivery: schedules are re-read only after
        rule changes, and retention is applied once a minute.
        """
        self.store.maintain()
        self.scheduler.refresh()
        self.scheduler.fire_due()
        self.archives.step()
        now = self.engine.clock.now()
        if now - self._expired_at >= _RETENTION_SECONDS:
            self._expired_at = now
            self.archives.expire()
            self.store.prune_events(now - self.event_retention_seconds)

    def _housekeeping(self) -> None:
        while not self._stop.wait(_HOUSEKEEPING_SECONDS):
            self.housekeeping_once()

    # ------------------------------------------------------------------ local resources
    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.engine.region}:{self.engine.account}:{name}"

    def queue_url(self, name: str) -> str:
        return f"{self.endpoint}/{self.engine.account}/{name}"

    def create_queue(self, name: str, *, visibility_timeout: int = 30) -> Queue:
        if self.store.get_resource(*queue_key(name)) is not None:
            raise ResourceAlreadyExists(f"Queue {name} already exists.")
        queue = Queue(
            name=name,
            arn=self.queue_arn(name),
            url=self.queue_url(name),
            fifo=name.endswith(".fifo"),
            visibility_timeout=visibility_timeout,
            created_at=self.engine.clock.now(),
        )
        self.store.put_resource(*queue_key(name), to_doc(queue))
        return queue

    def apply(self, config: Configuration) -> list[str]:
        """Create or update everything a loaded template configures; returns one line per change.

        Idempotent: applying the same template again changes nothing, so ``choreo serve`` can
        apply it on every start over an existing data directory.
        """
        done: list[str] = []
        engine = self.engine
        for queue in config.queues:
            if self.store.get_resource(*queue_key(queue.name)) is None:
                self.store.put_resource(*queue_key(queue.name), to_doc(queue))
                done.append(f"queue {queue.name}")
        for group in config.log_groups:
            if self.store.get_resource("log_group", group.name) is None:
                self.create_log_group(group.name)
                done.append(f"log group {group.name}")
        done += apply_connections(self.store, config.connections, now=engine.clock.now())
        for destination in config.api_destinations:
            doc = {"name": destination.name, "arn": destination.arn, **dict(destination.properties)}
            self.store.put_resource("api_destination", destination.name, doc)
        known = {bus.name for bus in engine.list_event_buses()}
        for bus in config.buses:
            if bus.name not in known:
                engine.create_event_bus(bus.name, description=bus.description)
                done.append(f"bus {bus.name}")
        for rule in config.rules:
            engine.put_rule(
                rule.name,
                event_bus_name=rule.bus,
                event_pattern=rule.event_pattern,
                schedule_expression=rule.schedule_expression,
                state=rule.state,
                description=rule.description,
                role_arn=rule.role_arn,
            )
            targets = config.targets_of(rule)
            stale = [t.id for t in engine.list_targets_by_rule(rule.name, event_bus_name=rule.bus)]
            stale = [i for i in stale if i not in {t.id for t in targets}]
            if stale:
                engine.remove_targets(rule.name, stale, event_bus_name=rule.bus)
            if targets:
                engine.put_targets(rule.name, targets, event_bus_name=rule.bus)
            done.append(f"rule {rule.bus}/{rule.name} ({len(targets)} targets)")
        existing = {a.name for a in self.archives.list_archives()}
        for archive in config.archives:
            if archive.name in existing:
                self.archives.update_archive(
                    archive.name, event_pattern=archive.event_pattern, retention_days=archive.retention_days
                )
            else:
                self.archives.create_archive(
                    archive.name,
                    archive.source_arn,
                    event_pattern=archive.event_pattern,
                    retention_days=archive.retention_days,
                    description=archive.description,
                )
                done.append(f"archive {archive.name}")
        done += self.functions.register(config.functions)
        self.scheduler.refresh()
        return done

    def create_log_group(self, name: str) -> str:
        arn = f"arn:aws:logs:{self.engine.region}:{self.engine.account}:log-group:{name}"
        self.store.put_resource("log_group", name, {"name": name, "arn": arn})
        return arn
