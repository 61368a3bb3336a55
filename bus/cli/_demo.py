"""``choreo demo`` (``make demo``): the reference order saga, end to end, on this machine.

What runs is what a user would run: the engine with template.yaml applied, the template's Lambda
functions in the local runtime's worker processes, the AWS-compatible endpoint on a free loopback
port, and a stand-in for the notification SaaS behind the template's API destination. The orders
service is started as its own process (``python -m producers.orders``) that reaches the bus only
through the EventBridge API, as it would on AWS; everything after that is choreography.

The demo watches the bus's own records (events, delivery attempts, invocations, queues) to show
progress, then a summary, one order's journey as a tree, and a replay of the archive into a
debugging rule. It exits 0 when every order reached an end (shipped, compensated, out of stock, or
dead-lettered for reconciliation) and 1 when the deadline passed first.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from bus.engine.runtime import LocalBus
    from bus.model import Event
    from bus.template import Configuration

API_KEY_VARIABLE = "CHOREO_RESOLVE_SECRETSMANAGER_CHOREO_NOTIFICATIONS_APIKEY"
WEBHOOK_VARIABLE = "CHOREO_RESOLVE_SSM_CHOREO_NOTIFICATIONS_WEBHOOK_URL"
# the SaaS has templates for these only: anything else is refused (400) and dead-lettered
SAAS_TEMPLATES = frozenset({"OrderShipped", "PaymentFailed"})
# where an order's story ends, by the event that ends it
ENDINGS = {"OrderShipped": "shipped", "StockReleased": "compensated", "StockUnavailable": "out of stock"}


def demo(
    orders: Annotated[int, typer.Option(help="How many orders to place.")] = 240,
    seed: Annotated[int, typer.Option(help="Seed of the generated orders (same seed, same story).")] = 7,
    template: Annotated[Path, typer.Option(help="The SAM template to run.")] = Path("template.yaml"),
    timeout: Annotated[
        float, typer.Option(help="Seconds the saga may take before the demo gives up.")
    ] = 50.0,
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep the bus's data here (default: a scratch directory).")
    ] = None,
) -> None:
    """Run the order saga of TEMPLATE locally: place orders, watch them flow, explain what happened."""
    from bus.cli import _demo_view as view
    from bus.template import TemplateError, load_template

    out = Console(highlight=False)
    if not template.is_file():
        out.print(f"[red]no template at {template}[/]")
        raise typer.Exit(2)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="choreo-demo-") as scratch, SaasStandIn() as saas:
        port = _free_port()
        endpoint = f"http://127.0.0.1:{port}"
        # the template reads the webhook's key and URL from Secrets Manager / Parameter Store
        os.environ.setdefault(API_KEY_VARIABLE, saas.api_key)
        os.environ[WEBHOOK_VARIABLE] = saas.url
        saas.api_key = os.environ[API_KEY_VARIABLE]
        try:
            config = load_template(template, endpoint=endpoint)
        except TemplateError as exc:
            out.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from None
        run = Saga(config, data_dir or Path(scratch), endpoint, port, saas, template.resolve().parent)
        with run:
            view.header(out, run)
            # a kept --data-dir remembers earlier runs' idempotency keys: new order ids, same baskets
            prefix = f"ord-{seed}-{time.strftime('%H%M%S')}" if data_dir else None
            placed = run.place(orders, seed, prefix)
            finished = run.watch(out, placed, timeout)
            view.summary(out, run)
            view.journey(out, run)
            view.replay(out, run)
        out.print(f"\n[bold]demo finished in {time.monotonic() - started:.1f} s[/]")
    if not finished:
        raise typer.Exit(1)


class SaasStandIn:
    """The notification SaaS: checks the API key, accepts the templates it knows, records it all."""

    def __init__(self) -> None:
        self.api_key = "demo-notifications-key"
        self.received: list[tuple[int, dict[str, str], Any]] = []  # (status, headers, body)
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"null")
                except json.JSONDecodeError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply = stand_in.answer(headers, body)
                with stand_in._lock:
                    stand_in.received.append((status, headers, body))
                payload = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1/notifications"

    def answer(self, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str]]:
        if headers.get("x-api-key") != self.api_key:
            return 401, {"error": "bad API key"}
        template = body.get("template") if isinstance(body, dict) else None
        if template not in SAAS_TEMPLATES:
            return 400, {"error": f"no message template named {template!r}"}
        return 202, {"queued": "yes"}

    def accepted(self) -> list[dict[str, Any]]:
        with self._lock:
            return [body for status, _, body in self.received if status == 202]

    def __enter__(self) -> SaasStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Saga:
    """One run of the saga: the engine, its endpoint and what the demo learned from them."""

    config: Configuration
    data_dir: Path
    endpoint: str
    port: int
    saas: SaasStandIn
    project: Path
    events: dict[str, Event] = field(default_factory=dict)
    placed: list[dict[str, Any]] = field(default_factory=list)
    started_at: float = 0.0
    bus: LocalBus | None = None
    _server: Any = None

    @property
    def bus_name(self) -> str:
        return self.config.buses[0].name

    def __enter__(self) -> Saga:
        from bus.engine.runtime import LocalBus
        from bus.wire.server import ServerThread

        self.bus = LocalBus(self.data_dir, endpoint=self.endpoint)
        self.bus.apply(self.config)
        self.bus.start()
        self._server = ServerThread(self.bus, port=self.port).start()
        self.started_at = time.time()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.stop()
        if self.bus is not None:
            self.bus.stop()

    def place(self, count: int, seed: int, prefix: str | None = None) -> list[dict[str, Any]]:
        """The orders service, as a process of its own talking to the endpoint like boto3 on AWS."""
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "demo"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "demo"),
            "AWS_DEFAULT_REGION": self.config.buses[0].arn.split(":")[3],
        }
        command = [sys.executable, "-m", "producers.orders", "--count", str(count), "--seed", str(seed)]
        if prefix:
            command += ["--prefix", prefix]
        done = subprocess.run(
            [*command, "--bus", self.bus_name],
            env=env,
            cwd=self.project,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the orders service failed: {done.stderr.strip()[-2000:]}")
        self.placed = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        return self.placed

    # ------------------------------------------------------------------ what happened
    def refresh(self) -> None:
        """Read the events the bus accepted since the last look (newest first, stop at a known one)."""
        assert self.bus is not None
        before: tuple[float, str] | None = None
        while True:
            page = self.bus.store.events_page(bus=self.bus_name, before=before, limit=500)
            # a kept --data-dir holds earlier runs: this run's events only
            fresh = [e for e in page if e.id not in self.events and e.ingested_at >= self.started_at - 1]
            for event in fresh:
                self.events[event.id] = event
            if len(fresh) < len(page) or not page:
                return
            before = (page[-1].ingested_at, page[-1].id)

    def outcomes(self, payments_dead_letters: list[tuple[Any, dict[str, str]]] | None = None) -> Counter[str]:
        """How many orders' stories ended, by ending. A charge the provider never answered sits in
        the payments DLQ: that order ends there, waiting for reconciliation. While the saga runs
        the DLQ is only counted (reading would hide its messages); given its messages, orders are
        counted once however many times at-least-once delivery dead-lettered them."""
        assert self.bus is not None
        ended = {
            _order_id(e): ENDINGS[e.detail_type]
            for e in self.events.values()
            if e.replay_name is None and e.detail_type in ENDINGS
        }
        counts = Counter(ended.values())
        if payments_dead_letters is not None:
            orders = {_data(body).get("orderId") for body, _ in payments_dead_letters} - {None, *ended}
            stuck = len(orders)
        else:
            queue = self.config.logical_ids["PaymentsDeadLetterQueue"].rsplit(":", 1)[-1]
            stuck = sum(self.bus.store.queue_counts(queue, time.time()))
        if stuck:
            counts["dead-lettered"] = stuck
        return counts

    def dead_letters(self) -> dict[str, list[tuple[Any, dict[str, str]]]]:
        """Every dead-letter queue of the template -> its messages (body, attributes). Reading
        hides them for an hour; the demo reads them once, at the end."""
        assert self.bus is not None
        found: dict[str, list[tuple[Any, dict[str, str]]]] = {}
        for queue in self.config.queues:
            rows = []
            while batch := self.bus.store.receive_messages(queue.name, 10, 3600, time.time()):
                rows += [(_json(m.body), _attributes(m.attributes)) for m in batch]
            found[queue.name.removeprefix(f"{self.stack}-")] = rows
        return found

    @property
    def stack(self) -> str:
        return self.bus_name.removesuffix("-orders")

    def idle(self) -> bool:
        assert self.bus is not None
        return self.bus.store.pending_jobs() == 0 and self.bus.functions.pending() == 0

    def watch(self, out: Console, placed: list[dict[str, Any]], timeout: float) -> bool:
        """Live progress until every order's story ended and nothing is in flight, or the deadline."""
        total = len(placed)
        columns = (
            TextColumn("{task.description:<22}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
        )
        deadline = time.monotonic() + timeout
        with Progress(*columns, console=out, transient=False) as progress:
            tasks = {
                "placed": progress.add_task("orders placed", total=total, note="OrderPlaced 1.1 + 2.0"),
                "stock": progress.add_task("stock decided", total=total, note=""),
                "payment": progress.add_task("payments decided", total=None, note=""),
                "ended": progress.add_task("orders ended", total=total, note=""),
                "saas": progress.add_task("SaaS notified", total=None, note=""),
            }
            while True:
                self.refresh()
                kinds = Counter(e.detail_type for e in self.events.values() if e.replay_name is None)
                ended = self.outcomes()
                stocked = kinds["StockReserved"] + kinds["StockUnavailable"]
                unanswered = ended.get("dead-lettered", 0)
                paid = kinds["PaymentSucceeded"] + kinds["PaymentFailed"] + unanswered
                progress.update(tasks["placed"], completed=kinds["OrderPlaced"] // 2)
                progress.update(
                    tasks["stock"],
                    completed=stocked,
                    note=f"{kinds['StockReserved']} reserved, {kinds['StockUnavailable']} unavailable",
                )
                progress.update(
                    tasks["payment"],
                    completed=paid,
                    total=kinds["StockReserved"] or None,
                    note=f"{kinds['PaymentSucceeded']} succeeded, {kinds['PaymentFailed']} failed"
                    + (f", {unanswered} unanswered (DLQ)" if unanswered else ""),
                )
                progress.update(
                    tasks["ended"],
                    completed=sum(ended.values()),
                    note=", ".join(f"{n} {what}" for what, n in sorted(ended.items())),
                )
                progress.update(tasks["saas"], completed=len(self.saas.accepted()), total=None)
                if sum(ended.values()) >= total and self.idle():
                    return True
                if time.monotonic() > deadline:
                    out.print(f"[red]the saga did not finish within {timeout:.0f} s[/]")
                    return False
                time.sleep(0.2)

    def invocations_by_event(self) -> dict[str, list[Any]]:
        """Each handled event id -> the function invocations that handled it (the toolkit reports
        the event id in its result)."""
        assert self.bus is not None
        found: dict[str, list[Any]] = {}
        for record in self.bus.functions.invocations():
            value = record.value if record.result is not None else None
            if isinstance(value, dict) and value.get("event_id"):
                found.setdefault(str(value["event_id"]), []).append(record)
        return found


def _order_id(event: Event) -> str:
    data = json.loads(event.detail).get("data", {})
    return str(data.get("orderId", "")) if isinstance(data, dict) else ""


def _data(body: Any) -> dict[str, Any]:
    data = body.get("detail", {}).get("data", {}) if isinstance(body, dict) else {}
    return data if isinstance(data, dict) else {}


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _attributes(attributes: dict[str, Any]) -> dict[str, str]:
    """SQS message attributes ({"Name": {"DataType", "StringValue"}}) as plain strings."""
    return {
        name: str(value.get("StringValue", "")) if isinstance(value, dict) else str(value)
        for name, value in attributes.items()
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
