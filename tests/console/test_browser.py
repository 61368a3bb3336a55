"""The console in a real browser (headless Debian chromium through Playwright), over a live bus.

Each test drives a page the way a person would and leaves a screenshot of it in
``build/console-screenshots/``. Waiting is Playwright's own (``expect`` retries until its timeout).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.console.conftest import Served, screenshot, wait_for


def test_events_arrive_live_and_filters_narrow_the_stream(served: Served, page: Page) -> None:
    page.goto(f"{served.url}/console")
    expect(page.locator("#status")).to_have_text("live")
    first = served.put_order(40)
    second = served.put_order(180)
    rows = page.locator("[data-test=event-row]")
    expect(rows.locator(f"[href='#/event/{second}']")).to_be_visible()
    expect(rows.locator(f"[href='#/event/{first}']")).to_be_visible()
    expect(page.locator("[data-test=live-count]")).to_have_text(re.compile(r"[1-9]\d* new"))
    screenshot(page, "01-events-live")

    page.fill("input[name=detailType]", "RefundIssued")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#status")).to_have_text("live")
    expect(rows).to_have_count(0)
    served.put_order(75)  # filtered out
    refund = served.events.put_events(
        Entries=[
            {"Source": "shop.payments", "DetailType": "RefundIssued", "Detail": "{}", "EventBusName": "shop"}
        ]
    )["Entries"][0]["EventId"]
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-event-id", refund)


def test_an_event_shows_the_rules_it_matched_and_why_others_did_not(served: Served, page: Page) -> None:
    event_id = served.put_order(250)
    served.settled()
    page.goto(f"{served.url}/console#/event/{event_id}")
    matched = page.locator("[data-test=matched-rule]")
    expect(matched).to_have_count(2)
    expect(matched.nth(0)).to_contain_text("shop/big-orders-to-audit")
    expect(matched.nth(1)).to_contain_text("shop/orders-to-fulfilment")
    missed = page.locator("[data-test=missed-rule]")
    expect(missed).to_have_count(1)
    expect(missed).to_contain_text("shop/refunds")
    expect(missed.locator("li")).to_have_text(
        [
            'detail-type: expected "RefundIssued"; found "OrderPlaced"',
            'source: expected "shop.payments"; found "shop.orders"',
        ]
    )
    expect(page.locator("[data-test=envelope]")).to_contain_text('"total": 250')
    expect(page.get_by_role("cell", name="DEAD_LETTERED")).to_be_visible()
    screenshot(page, "02-event-detail")

    cheap = served.put_order(20)
    page.goto(f"{served.url}/console#/event/{cheap}")
    expect(page.locator("[data-test=missed-rule]", has_text="big-orders-to-audit")).to_contain_text(
        "detail.total: expected"
    )


def test_a_replay_starts_from_the_page_and_completes(served: Served, page: Page) -> None:
    archived = served.put_order(60)  # matches orders-to-fulfilment only
    served.settled()
    assert len(served.bus.store.attempts(archived)) == 1
    page.goto(f"{served.url}/console#/archives")
    expect(page.locator("[data-test=archive-row]")).to_contain_text("shop-everything")
    page.fill("input[name=start]", "-3m")
    page.click("[data-test=replay-form] button[type=submit]")
    expect(page.locator("[data-test=replay-message]")).to_contain_text("Started")
    name = page.locator("[data-test=replay-message]").inner_text().removeprefix("Started ")
    row = page.locator(f"[data-test=replay-row][data-replay='{name}']")
    expect(row.locator("[data-test=replay-state]")).to_have_text("COMPLETED", timeout=20_000)
    screenshot(page, "03-archives-replays")
    # the archived order was delivered again, by the replay
    wait_for(lambda: len(served.bus.store.attempts(archived)) == 2, 10, "the replayed delivery")


def test_a_dead_letter_is_shown_and_redriven(served: Served, page: Page) -> None:
    event_id = served.put_order(500)
    served.settled()
    page.goto(f"{served.url}/console#/queues")
    dlq = page.locator("[data-test=queue-row]", has_text="audit-dead-letters")
    expect(dlq).to_contain_text("DLQ")
    expect(dlq).to_contain_text("shop/big-orders-to-audit/audit")
    screenshot(page, "04-queues")

    dlq.get_by_role("link").click()
    messages = page.locator("[data-test=message-row]")
    expect(messages.first).to_be_visible()
    before = messages.count()
    mine = messages.nth(before - 1)  # oldest first: the newest dead letter is ours
    mine.locator("[data-test=show-message]").click()
    detail = page.locator("[data-test=message-detail]")
    expect(detail).to_contain_text("NO_RESOURCE")
    expect(detail).to_contain_text(event_id)
    screenshot(page, "05-dlq-message")

    page.click("[data-test=redrive-one]")
    redriven = page.locator("[data-test=redriven]")
    expect(redriven).to_contain_text(f"was {event_id}")
    new_id = redriven.locator("a").inner_text()
    served.settled()
    new_event = served.bus.store.get_event(new_id)
    assert new_event is not None and new_event.bus == "shop"
    assert '"total": 500' in new_event.detail or '"total":500' in new_event.detail
    screenshot(page, "06-dlq-redriven")
    # the redriven copy matches big-orders-to-audit again, so a new dead letter replaces the old
    wait_for(
        lambda: any(a.outcome.value == "DEAD_LETTERED" for a in served.bus.store.attempts(new_id)), 10, "dlq"
    )


def test_every_other_page_renders(served: Served, page: Page) -> None:
    served.put_order(120)
    served.settled()
    page.goto(f"{served.url}/console#/rules")
    expect(page.locator("[data-test=rule-row]")).to_have_count(3)
    expect(page.locator("[data-test=rule-row]", has_text="big-orders-to-audit")).to_contain_text(
        "DLQ arn:aws:sqs:us-east-1:123456789012:audit-dead-letters"
    )
    screenshot(page, "07-rules")

    page.goto(f"{served.url}/console#/metrics")
    row = page.locator("[data-test=metric-row]", has_text="shop/big-orders-to-audit")
    expect(row).to_be_visible()
    expect(row.locator("td").nth(6)).not_to_have_text("0")  # InvocationsSentToDlq
    screenshot(page, "08-metrics")

    page.goto(f"{served.url}/console#/schemas")
    expect(page.locator("[data-test=schema-row]", has_text="com.choreo.orders@OrderPlaced")).to_be_visible()
    screenshot(page, "09-schemas")
    page.locator("[data-test=schema-row]", has_text="com.choreo.orders@OrderPlaced").get_by_role(
        "link"
    ).click()
    expect(page.locator("[data-test=schema-step]").first).to_contain_text("→")
    screenshot(page, "10-schema-versions")

    page.goto(f"{served.url}/console#/connections")
    expect(page.locator("[data-test=connection-row]")).to_contain_text("x-api-key")
    expect(page.locator("[data-test=destination-row]")).to_contain_text("http://127.0.0.1:9/notify")
    assert "console-must-never-show-this" not in page.content()
    screenshot(page, "11-connections")


def test_an_orders_trace_opens_from_its_event_as_a_waterfall(served: Served, page: Page) -> None:
    trace_id = "1-6747a1b0-0123456789abcdef01234567"
    header = f"Root={trace_id};Parent=53995c3f42cd8ad8;Sampled=1"
    event_id = served.put_order(300, TraceHeader=header)
    served.settled()
    page.goto(f"{served.url}/console#/event/{event_id}")
    page.click("[data-test=trace-link]")
    expect(page).to_have_url(re.compile(f"#/trace/{trace_id}$"))
    spans = page.locator("[data-test=span]")
    expect(spans.filter(has_text="shop")).not_to_have_count(0)
    expect(spans.filter(has_text="big-orders-to-audit").first).to_be_visible()
    expect(spans.filter(has_text="orders-to-fulfilment").first).to_be_visible()
    screenshot(page, "12-trace-waterfall")

    page.goto(f"{served.url}/console#/traces")
    expect(page.locator("[data-test=trace-row]").first).to_be_visible()
    screenshot(page, "13-traces")
    page.goto(f"{served.url}/console#/map")
    svg = page.locator("[data-test=service-map]")
    expect(svg).to_be_visible()
    # the image is laid out before its SVG has loaded: wait (with Playwright's deadline) for the drawing
    page.wait_for_function(
        "document.querySelector('[data-test=service-map]').naturalWidth > 0", timeout=10_000
    )
    screenshot(page, "14-service-map")
