"""The console over the reference choreography: template.yaml deployed locally (the order saga's
functions in the local Lambda runtime, the notification SaaS played by a stub), orders placed by
the orders service as a process of its own (tests/e2e's local deployment, as ``make demo`` runs
it), and a person using the console in chromium while the saga runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bus.engine.runtime import LocalBus
from tests.console.conftest import screenshot, wait_for
from tests.e2e.driver import Stack, place_orders
from tests.e2e.local import local_deployment
from tests.support.http_stubs import Recorded, Reply, StubServer

SAAS_PATH = "/v1/notifications"
SEED, COUNT = 14, 16  # orders that reach every ending, out of stock included (tests/e2e)


def _saas(request: Recorded) -> Reply:
    """The SaaS has message templates for these two only; anything else is refused (400)."""
    known = request.json().get("template") in {"OrderShipped", "PaymentFailed"}
    return Reply(202, "{}") if known else Reply(400, '{"error": "no such message template"}')


@dataclass
class Saga:
    stack: Stack
    bus: LocalBus

    @property
    def url(self) -> str:
        assert self.stack.endpoint is not None
        return self.stack.endpoint

    def queue(self, output: str) -> str:
        return self.stack.outputs[output].rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def saga(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Saga]:
    with StubServer() as saas:
        saas.route(SAAS_PATH, _saas)
        with local_deployment(tmp_path_factory.mktemp("saga"), saas.url + SAAS_PATH) as (stack, bus):
            yield Saga(stack, bus)


def test_the_order_saga_seen_through_the_console(saga: Saga, page: Page) -> None:
    page.goto(f"{saga.url}/console#/events")
    expect(page.locator("#status")).to_have_text("live")
    placed: list[dict[str, Any]] = place_orders(
        saga.stack, COUNT, seed=SEED, prefix=f"console-{datetime.now(UTC):%H%M%S%f}"
    )
    rows = page.locator("[data-test=event-row]")
    # the saga's events arrive while the page is open: the consumers' replies included
    for kind in ("OrderPlaced", "StockReserved", "PaymentSucceeded", "OrderShipped", "StockUnavailable"):
        expect(rows.filter(has_text=kind).first).to_be_visible(timeout=30_000)
    screenshot(page, "20-saga-events-live")

    # one order: the rules its OrderPlaced matched, then its trace through the consumers
    order = placed[0]
    page.goto(f"{saga.url}/console#/event/{order['eventIds'][0]}")
    expect(page.locator("[data-test=matched-rule]").first).to_be_visible()
    expect(page.locator("[data-test=missed-rule]").first).to_be_visible()
    screenshot(page, "21-saga-order-placed")
    page.click("[data-test=trace-link]")
    expect(page).to_have_url(re.compile(r"#/trace/1-[0-9a-f]{8}-[0-9a-f]{24}$"))
    spans = page.locator("[data-test=span]")
    expect(spans.filter(has_text="AWS::Events").nth(1)).to_be_visible()  # the order's next hops
    screenshot(page, "22-saga-trace")

    # a notification the SaaS refused is dead-lettered; redrive it from the DLQ page
    dlq = saga.queue("NotificationsDeadLetterQueueUrl")
    wait_for(
        lambda: saga.bus.store.queue_counts(dlq, saga.bus.engine.clock.now())[0] > 0, 30, "a dead letter"
    )
    page.goto(f"{saga.url}/console#/queue/{dlq}")
    page.locator("[data-test=show-message]").first.click()
    expect(page.locator("[data-test=message-detail]")).to_contain_text("RULE_ARN")
    page.click("[data-test=redrive-one]")
    expect(page.locator("[data-test=redriven]")).to_contain_text("on choreo-orders")
    screenshot(page, "23-saga-dlq-redriven")

    # replay the last minutes of the archive and watch it complete
    page.goto(f"{saga.url}/console#/archives")
    page.fill("input[name=start]", "-2m")
    page.click("[data-test=replay-form] button[type=submit]")
    expect(page.locator("[data-test=replay-message]")).to_contain_text("Started")
    name = page.locator("[data-test=replay-message]").inner_text().removeprefix("Started ")
    state = page.locator(f"[data-test=replay-row][data-replay='{name}'] [data-test=replay-state]")
    expect(state).to_have_text("COMPLETED", timeout=20_000)
    screenshot(page, "24-saga-replay")

    page.goto(f"{saga.url}/console#/map")
    expect(page.locator("[data-test=service-map]")).to_be_visible()
    screenshot(page, "25-saga-service-map")
    page.goto(f"{saga.url}/console#/metrics")
    expect(page.locator("[data-test=metric-row]").first).to_be_visible()
    screenshot(page, "26-saga-metrics")
