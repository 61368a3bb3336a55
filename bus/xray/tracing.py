"""Tracing for a running bus: the trace store, the bus's own segments and the UDP daemon, together.

``LocalBus`` builds one (``bus.tracing``) from its parts, so this module never imports it:

    tracing = Tracing(data_dir, engine, deliverer, store, metrics, address="127.0.0.1:0")
    tracing.start()              # binds the daemon; tracing.address is where SDKs send segments
    tracing.store.summaries(...)
    tracing.stop()               # after delivery stopped: the last attempts are written first
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bus.engine.delivery import Deliverer
from bus.engine.engine import Engine
from bus.engine.metrics import Metrics
from bus.store import Store
from bus.xray.daemon import XRayDaemon
from bus.xray.recorder import BusRecorder
from bus.xray.service_map import ServiceMap, build_service_map
from bus.xray.store import TraceStore
from bus.xray.svg import render_map_svg

__all__ = ["TRACES_FILE", "Tracing"]

TRACES_FILE = "traces.db"
log = logging.getLogger(__name__)


class Tracing:
    def __init__(
        self,
        data_dir: str | Path,
        engine: Engine,
        deliverer: Deliverer,
        store: Store,
        metrics: Metrics | None = None,
        *,
        address: str | None = None,
    ) -> None:
        self.store = TraceStore(Path(data_dir) / TRACES_FILE)

        def destination(name: str) -> dict[str, Any] | None:
            return store.get_resource("api_destination", name)

        self.recorder = BusRecorder(
            self.store,
            bus_arn=engine.bus_arn,
            rule_arn=engine.rule_arn,
            metrics=metrics,
            destination=destination,
        )
        engine.on_events(self.recorder.events)
        engine.on_jobs(self.recorder.jobs)
        deliverer.observe(self.recorder)
        self.daemon = XRayDaemon(self.store, address) if address is not None else None
        self._engine = engine
        self._metrics = metrics

    @property
    def address(self) -> str | None:
        """The daemon's ``host:port`` (None without a daemon)."""
        return None if self.daemon is None else self.daemon.address

    def service_map(self, start: float | None = None, end: float | None = None) -> ServiceMap:
        """The live wiring with its traffic over ``[start, end]`` (all of it without a range)."""
        return build_service_map(
            None, engine=self._engine, metrics=self._metrics, traces=self.store, start=start, end=end
        )

    def map_svg(
        self, start: float | None = None, end: float | None = None, *, title: str | None = None
    ) -> str:
        """``service_map`` drawn as SVG (what the console serves)."""
        return render_map_svg(self.service_map(start, end), title=title)

    def start(self) -> None:
        """Bind the daemon. A taken port must not keep the bus from serving: the bus's own segments
        are still recorded, handlers' are lost (as on AWS without a daemon) and ``address`` is None."""
        if self.daemon is not None:
            try:
                self.daemon.start()
            except OSError as exc:
                log.error("x-ray daemon cannot listen on %s: %s", self.daemon.address, exc)
                self.daemon = None

    def stop(self) -> None:
        if self.daemon is not None:
            self.daemon.stop()
        self.store.close()
