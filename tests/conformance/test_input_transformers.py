"""Every AWS-recorded Input/InputPath/InputTransformer case in the shared corpus, one test each."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bus.transform import NotDeliverable, TransformError, from_target

pytestmark = pytest.mark.conformance

SHARED = Path(os.environ.get("CHOREO_SHARED") or Path(__file__).resolve().parents[2].parent / "shared")
CORPUS = SHARED / "conformance" / "input_transformers.jsonl"
TARGET_ID = "target-under-test"


def _rows() -> list[Any]:
    if not CORPUS.is_file():
        # One failing case instead of an empty (silently passing) parametrization.
        return [pytest.param(None, id="corpus-missing")]
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [pytest.param(row, id=row["id"]) for row in rows]


def _target(row: dict[str, Any]) -> dict[str, Any]:
    target: dict[str, Any] = {"Id": TARGET_ID}
    if row.get("input_path") is not None:
        target["InputPath"] = row["input_path"]
    if row.get("input_template") is not None:
        spec: dict[str, Any] = {"InputTemplate": row["input_template"]}
        if row.get("input_paths_map") is not None:
            spec["InputPathsMap"] = row["input_paths_map"]
        target["InputTransformer"] = spec
    return target


@pytest.mark.parametrize("row", _rows())
def test_input_transformer_case(row: dict[str, Any] | None) -> None:
    if row is None:
        pytest.fail(
            f"conformance corpus not found at {CORPUS}; put the shared dir next to the repo "
            "or point CHOREO_SHARED at it"
        )
    error = row.get("expected_error")
    if error is not None and error["stage"] == "PutTargets":
        with pytest.raises(TransformError) as raised:
            from_target(_target(row))
        assert raised.value.code == error["code"]
        assert raised.value.message == error["message"].replace("<target-id>", TARGET_ID)
        return

    target_input = from_target(_target(row))
    assert target_input is not None
    event = row["event"]
    context = row.get("context") or {}
    kwargs = {
        "rule_name": context.get("rule_name", "test-rule"),
        "rule_arn": context.get("rule_arn", "arn:aws:events:us-east-1:123456789012:rule/test-rule"),
        "ingestion_time": context.get("ingestion_time", event["time"]),
    }
    if error is not None:
        assert error["stage"] == "delivery"
        with pytest.raises(NotDeliverable) as not_delivered:
            target_input.apply(event, **kwargs)
        assert not_delivered.value.code == error["code"]
        return

    body = target_input.apply(event, **kwargs)
    if "expected_output" in row:
        assert body == row["expected_output"]
    else:
        assert json.loads(body) == row["expected_output_json"]
