"""TestEventPattern through boto3 and the server, for every conformance case AWS could be sent.

The rows of ``event_patterns.jsonl`` whose event is a full envelope (``has_envelope``), as AWS's
TestEventPattern requires: match / no_match must come back as ``Result``, an invalid pattern as
InvalidEventPatternException with AWS's recorded message (its first line: AWS appends a Jackson
location line). The three calls AWS refused because of the event must be ValidationException
"Parameter Event is not valid.". One server serves the whole module, so each case is one request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from botocore.exceptions import ClientError

from bus.engine.runtime import LocalBus
from tests.support.aws import aws_client, serving
from tests.support.corpus import Expected, PatternCase, load_pattern_cases, shared_dir

pytestmark = pytest.mark.conformance

CONFORMANCE: Final = shared_dir() / "conformance"


def _enveloped() -> list[PatternCase]:
    with (CONFORMANCE / "event_patterns.jsonl").open(encoding="utf-8") as lines:
        ids = {row["id"] for row in map(json.loads, filter(str.strip, lines)) if row.get("has_envelope")}
    return [case for case in load_pattern_cases() if case.id in ids]


def _invalid_events() -> list[dict[str, Any]]:
    with (CONFORMANCE / "test_event_pattern_invalid_events.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


CASES: Final = _enveloped()
INVALID_EVENTS: Final = _invalid_events()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data: Path = tmp_path_factory.mktemp("conformance") / "data"
    with LocalBus(data) as bus, serving(bus) as url:
        yield aws_client("events", url)


def test_the_corpus_has_the_cases_aws_can_be_sent() -> None:
    assert len(CASES) == 199
    assert {c.expected for c in CASES} == set(Expected)
    assert len(INVALID_EVENTS) == 3


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_event_pattern_case(client: Any, case: PatternCase) -> None:
    assert case.event_text is not None
    if case.expected is Expected.INVALID_PATTERN:
        with pytest.raises(client.exceptions.InvalidEventPatternException) as raised:
            client.test_event_pattern(EventPattern=case.pattern_text, Event=case.event_text)
        if case.aws_error is not None:
            assert raised.value.response["Error"]["Message"].split("\n", 1)[0] == case.aws_error
        return
    result = client.test_event_pattern(EventPattern=case.pattern_text, Event=case.event_text)
    assert result["Result"] is (case.expected is Expected.MATCH)


@pytest.mark.parametrize("row", INVALID_EVENTS, ids=[r["id"] for r in INVALID_EVENTS])
def test_an_event_aws_refused(client: Any, row: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as raised:
        client.test_event_pattern(EventPattern=json.dumps(row["pattern"]), Event=row["event_raw"])
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        row["expected_error"]["code"],
        row["expected_error"]["message"],
    )
    assert (error["Code"], error["Message"]) == ("ValidationException", "Parameter Event is not valid.")
