"""The console's fixtures: a bus serving a small order flow, and a headless chromium.

The server is ``choreo serve``'s own (``ServerThread``: the endpoint's app with
``default_routes``) on a free port of 127.0.0.1; the flow is ``choreography.yaml``, applied the
way ``choreo serve`` applies a template; events reach it through boto3, as a producer's would.
Screenshots go to ``build/console-screenshots/`` (``$CHOREO_CONSOLE_SCREENSHOTS`` overrides it),
which git ignores; they are kept after the run as the tests' artifacts.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from bus.engine.runtime import LocalBus
from bus.registry import seed_registry
from bus.template import load_template
from bus.wire.server import ServerThread

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("CHOREO_CONSOLE_SCREENSHOTS", REPO / "build" / "console-screenshots"))


@dataclass
class Served:
    bus: LocalBus
    url: str
    events: Any  # boto3 EventBridge client of this endpoint

    def put_order(self, total: int, **extra: Any) -> str:
        entry = {
            "Source": "shop.orders",
            "DetailType": "OrderPlaced",
            "Detail": json.dumps({"orderId": f"o-{time.monotonic_ns()}", "total": total}),
            "EventBusName": "shop",
            **extra,
        }
        result = self.events.put_events(Entries=[entry])
        assert result["FailedEntryCount"] == 0, result
        return str(result["Entries"][0]["EventId"])

    def settled(self, timeout: float = 10.0) -> None:
        """Wait until delivery has no job left (or fail)."""
        wait_for(lambda: self.bus.store.pending_jobs() == 0, timeout, "deliveries to settle")


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    bus = LocalBus(tmp_path_factory.mktemp("console-bus")).start()
    bus.apply(load_template(HERE / "choreography.yaml"))
    seed_registry(bus, REPO / "events" / "schemas")
    server = ServerThread(bus).start()
    events = boto3.client(
        "events",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )
    try:
        yield Served(bus, server.url, events)
    finally:
        server.stop()
        bus.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page; any JavaScript error or failed console request fails the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    opened.on("console", on_console)
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        context.close()
    assert not problems, problems


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
