"""The console's JSON API and event stream without a browser: who may call it, errors, paging."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from bus.console import ACTION_HEADER
from bus.engine.runtime import LocalBus
from bus.template import load_template
from bus.wire.auth import Authenticator
from bus.wire.server import ServerThread
from tests.console.conftest import HERE, Served


def test_only_loopback_host_names_are_answered(served: Served) -> None:
    ok = httpx.get(f"{served.url}/console/api/overview", headers={"Host": "localhost:4010"})
    assert ok.status_code == 200
    for host in ("attacker.example", "attacker.example:4010", "127.0.0.1.nip.io"):
        denied = httpx.get(f"{served.url}/console/api/overview", headers={"Host": host})
        assert denied.status_code == 403, host
        assert "loopback host names only" in denied.json()["error"]
    assert httpx.get(f"{served.url}/console", headers={"Host": "attacker.example"}).status_code == 403


def test_actions_need_the_console_header(served: Served) -> None:
    url = f"{served.url}/console/api/queues/audit-dead-letters/redrive"
    refused = httpx.post(url, json={})
    assert refused.status_code == 403
    assert refused.json() == {
        "error": f"Console actions need the {ACTION_HEADER} header.",
        "type": "Forbidden",
    }
    bad = httpx.post(url, content=b"[1]", headers={ACTION_HEADER: "1"})
    assert (bad.status_code, bad.json()["error"]) == (400, "The request body must be a JSON object.")


def test_errors_are_json_with_the_right_status(served: Served) -> None:
    api = f"{served.url}/console/api"
    missing = httpx.get(f"{api}/events/no-such-event")
    assert (missing.status_code, missing.json()["type"]) == (404, "NotFound")
    assert httpx.get(f"{api}/events", params={"cursor": "%%%"}).status_code == 400
    assert httpx.get(f"{api}/events", params={"limit": "0"}).status_code == 400
    assert httpx.get(f"{api}/schemas", params={"registry": "nope"}).status_code == 404
    assert httpx.get(f"{api}/replays/nope").status_code == 404
    assert httpx.get(f"{served.url}/console/static/../../pyproject.toml").status_code == 404
    replay = httpx.post(
        f"{api}/replays", json={"archive": "shop-everything", "start": "soon"}, headers={ACTION_HEADER: "1"}
    )
    assert replay.status_code == 400
    assert "is no time" in replay.json()["error"]


def test_pages_follow_cursors_without_repeats(served: Served) -> None:
    ids = {served.put_order(total) for total in range(1, 8)}
    seen: list[str] = []
    cursor = ""
    while True:
        page = httpx.get(
            f"{served.url}/console/api/events", params={"bus": "shop", "limit": "3", "cursor": cursor}
        ).json()
        seen += [e["id"] for e in page["items"]]
        if not page["next"]:
            break
        cursor = page["next"]
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))


def test_the_stream_sends_matching_events_as_they_commit(served: Served) -> None:
    with httpx.stream(
        "GET", f"{served.url}/console/api/stream", params={"source": "shop.orders"}, timeout=10
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == "retry: 500"
        assert next(lines) == "event: ready"
        served.events.put_events(
            Entries=[
                {"Source": "shop.other", "DetailType": "Skipped", "Detail": "{}", "EventBusName": "shop"}
            ]
        )
        event_id = served.put_order(33)
        frame = [next(lines) for _ in range(5)]
    assert frame[:2] == ["data: {}", ""]
    assert frame[2:4] == [f"id: {event_id}", "event: bus-event"]
    assert json.loads(frame[4].removeprefix("data: "))["id"] == event_id


@pytest.fixture
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bus = LocalBus(tmp_path_factory.mktemp("secured")).start()
    bus.apply(load_template(HERE / "choreography.yaml"))
    server = ServerThread(bus, authenticator=Authenticator({"AKIDCONSOLE": "secret"})).start()
    try:
        yield server.url
    finally:
        server.stop()
        bus.stop()


def test_a_server_that_checks_signatures_does_not_serve_the_console(secured: str) -> None:
    for path in ("/console", "/console/api/events", "/console/api/stream"):
        response = httpx.get(f"{secured}{path}")
        assert response.status_code == 403, path
        assert "only without --auth" in response.json()["error"]
