"""Input transformer behaviour the AWS-recorded corpus does not pin down."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bus.transform import (
    ConstantInput,
    InputPath,
    InputTransformer,
    InvalidInputTransformer,
    InvalidTargetInput,
    NotDeliverable,
    from_target,
)

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "Order Placed",
    "source": "shop.orders",
    "account": "123456789012",
    "time": "2024-05-13T12:27:07Z",
    "region": "eu-west-1",
    "resources": ["arn:aws:shop:eu-west-1:123456789012:order/o-1"],
    "detail": {
        "orderId": "o-1",
        "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}],
        "matrix": [[1, 2], [3, 4]],
        "note": 'she said "hi"\nthen left',
        "city": "Zürich",
        "total": 12.5,
        "paid": False,
        "coupon": None,
        "path/with/slash": "ok",
    },
}
CONTEXT = {
    "rule_name": "orders-rule",
    "rule_arn": "arn:aws:events:eu-west-1:123456789012:rule/orders-rule",
    "ingestion_time": "2024-05-13T12:27:09Z",
}


def render(paths: dict[str, str] | None, template: str, event: dict[str, Any] = EVENT) -> str:
    return InputTransformer(paths, template, target_id="t-1").apply(event, **CONTEXT)


# --- PutTargets validation -------------------------------------------------------------------------


def test_up_to_100_variables_are_accepted() -> None:
    paths = {f"v{i}": f"$.detail.items[{i % 2}].sku" for i in range(100)}
    template = "{" + ",".join(f'"k{i}": <v{i}>' for i in range(100)) + "}"
    assert json.loads(render(paths, template))["k99"] == "B-2"


def test_the_101st_variable_is_a_validation_error() -> None:
    paths = {f"v{i}": "$.id" for i in range(101)}
    with pytest.raises(InvalidInputTransformer) as raised:
        InputTransformer(paths, '"x"')
    assert raised.value.code == "ValidationException"
    assert "Member must have length less than or equal to 100" in raised.value.message


@pytest.mark.parametrize("key", ["", "has.dot", "aws.events.rule-name", "sp ace", "x" * 257])
def test_variable_names_follow_the_api_key_pattern(key: str) -> None:
    with pytest.raises(InvalidInputTransformer, match="regular expression pattern"):
        InputTransformer({key: "$.id"}, '"x"')


@pytest.mark.parametrize("template", ["", "x" * 8193])
def test_template_length_is_1_to_8192(template: str) -> None:
    with pytest.raises(InvalidInputTransformer, match="Member must have length"):
        InputTransformer(None, template)


@pytest.mark.parametrize(
    "path",
    ["detail.orderId", "$.", "$..orderId", "$.detail['orderId']", "$.items[-1]", "$.a[?(@.b)]", "$ .id"],
)
def test_unsupported_jsonpath_is_refused_in_paths_map_and_input_path(path: str) -> None:
    with pytest.raises(InvalidInputTransformer) as raised:
        InputTransformer({"v": path}, '"<v>"', target_id="t-1")
    assert raised.value.message == "InputPath for target t-1 is invalid."
    with pytest.raises(InvalidTargetInput) as raised_path:
        InputPath(path, target_id="t-1")
    assert raised_path.value.message == "InputPath for target t-1 is invalid."


def test_undefined_placeholder_names_the_first_offender() -> None:
    with pytest.raises(InvalidInputTransformer) as raised:
        InputTransformer({"a": "$.id"}, '{"a": <a>, "b": <b>, "c": <c>}', target_id="t-1")
    assert raised.value.message == "InputTemplate for target t-1 contains invalid placeholder b."


def test_reserved_variables_need_no_paths_map_entry() -> None:
    template = '"<aws.events.rule-name> <aws.events.rule-arn> <aws.events.event.ingestion-time>"'
    assert render(None, template) == (
        '"orders-rule arn:aws:events:eu-west-1:123456789012:rule/orders-rule 2024-05-13T12:27:09Z"'
    )


def test_only_one_of_input_inputpath_inputtransformer() -> None:
    with pytest.raises(InvalidTargetInput) as raised:
        from_target({"Id": "t-9", "Input": "{}", "InputPath": "$.detail"})
    assert raised.value.message == (
        "Only one of Input, InputPath, or InputTransformer must be provided for target t-9."
    )


def test_from_target_picks_the_configured_kind() -> None:
    assert from_target({"Id": "t"}) is None
    assert isinstance(from_target({"Id": "t", "Input": '{"a": 1}'}), ConstantInput)
    assert isinstance(from_target({"Id": "t", "InputPath": "$.detail"}), InputPath)
    transformer = from_target({"Id": "t", "InputTransformer": {"InputTemplate": '"<aws.events.rule-name>"'}})
    assert isinstance(transformer, InputTransformer)
    with pytest.raises(InvalidInputTransformer, match="Member must not be null"):
        from_target({"Id": "t", "InputTransformer": {"InputPathsMap": {}}})


# --- Reserved variables ----------------------------------------------------------------------------


def test_reserved_variables_in_a_json_template() -> None:
    body = render(
        None,
        '{"rule": <aws.events.rule-name>, "arn": <aws.events.rule-arn>, '
        '"at": <aws.events.event.ingestion-time>, "event": <aws.events.event>, '
        '"raw": <aws.events.event.json>}',
    )
    out = json.loads(body)
    assert out["rule"] == "orders-rule"
    assert out["arn"] == CONTEXT["rule_arn"]
    assert out["at"] == "2024-05-13T12:27:09Z"
    assert out["raw"] == EVENT
    assert "detail" not in out["event"] and "detail-type" not in out["event"]
    assert out["event"]["detailType"] == "Order Placed"
    assert out["event"]["time"] == CONTEXT["ingestion_time"]
    assert list(out["event"]) == [
        "id", "account", "detailType", "time", "source", "region", "resources", "version",
    ]  # fmt: skip


def test_whole_event_inside_a_json_string_is_not_deliverable() -> None:
    with pytest.raises(NotDeliverable):
        render(None, '{"event": "copy: <aws.events.event.json>"}')


# --- JSONPath selection ----------------------------------------------------------------------------


def test_nested_paths_with_array_indices() -> None:
    paths = {
        "sku": "$.detail.items[1].sku",
        "cell": "$.detail.matrix[1][0]",
        "first": "$.detail.items[0]",
        "res": "$.resources[0]",
        "slash": "$.detail.path/with/slash",
    }
    body = render(paths, '{"sku": <sku>, "cell": <cell>, "first": <first>, "res": <res>, "s": <slash>}')
    assert json.loads(body) == {
        "sku": "B-2",
        "cell": 3,
        "first": {"sku": "A-1", "qty": 2},
        "res": EVENT["resources"][0],
        "s": "ok",
    }


def test_index_out_of_range_or_on_an_object_selects_nothing() -> None:
    paths = {"gone": "$.detail.items[5].sku", "wrong": "$.detail.orderId[0]"}
    assert render(paths, '"[<gone>][<wrong>]"') == '"[][]"'


def test_wildcards_select_a_list() -> None:
    body = render(
        {"skus": "$.detail.items[*].sku", "none": "$.detail.missing[*]"}, '{"s": <skus>, "n": <none>}'
    )
    assert json.loads(body) == {"s": ["A-1", "B-2"], "n": []}


def test_dollar_alone_is_the_whole_event() -> None:
    assert json.loads(render({"all": "$"}, '{"all": <all>}')) == {"all": EVENT}


# --- Missing paths ---------------------------------------------------------------------------------


def test_missing_path_in_json_value_positions_is_an_empty_string() -> None:
    body = render({"x": "$.detail.nope"}, '{"a": <x>, "b": [1, <x>], "c": {"d": <x>}}')
    assert json.loads(body) == {"a": "", "b": [1, ""], "c": {"d": ""}}


def test_missing_path_inside_json_strings_and_text_is_empty() -> None:
    assert json.loads(render({"x": "$.nope"}, '{"a": "pre-<x>-post"}')) == {"a": "pre--post"}
    assert render({"x": "$.nope"}, "value=<x>;") == "value=;"


def test_present_null_is_not_missing() -> None:
    paths = {"c": "$.detail.coupon"}
    assert json.loads(render(paths, '{"c": <c>}')) == {"c": None}
    assert render(paths, '"coupon <c>"') == '"coupon null"'


# --- Rendering by position -------------------------------------------------------------------------


def test_json_value_position_escapes_strings() -> None:
    body = render({"note": "$.detail.note", "city": "$.detail.city"}, '{"note": <note>, "city": <city>}')
    assert json.loads(body) == {"note": EVENT["detail"]["note"], "city": "Zürich"}
    assert "Zürich" in body  # non-ASCII is not \u-escaped


def test_json_string_position_does_not_escape_so_quotes_break_delivery() -> None:
    with pytest.raises(NotDeliverable) as raised:
        render({"note": "$.detail.note"}, '{"note": "<note>"}')
    assert raised.value.code == "NotDelivered"


def test_newline_spliced_into_a_json_string_breaks_delivery() -> None:
    event = {**EVENT, "detail": {"msg": "line1\nline2"}}
    with pytest.raises(NotDeliverable):
        render({"m": "$.detail.msg"}, '{"m": "got <m>"}', event)


def test_string_template_splices_raw_text() -> None:
    assert render({"note": "$.detail.note"}, '"<note>"') == '"she said "hi"\nthen left"'


def test_escaped_quotes_in_the_template_stay_inside_the_string() -> None:
    body = render({"id": "$.detail.orderId"}, r'{"msg": "order \"<id>\" placed", "id": <id>}')
    assert json.loads(body) == {"msg": 'order "o-1" placed', "id": "o-1"}


def test_scalars_render_as_json_text_everywhere() -> None:
    paths = {"t": "$.detail.total", "p": "$.detail.paid", "q": "$.detail.items[0].qty"}
    assert render(paths, '"<t> <p> <q>"') == '"12.5 false 2"'
    assert json.loads(render(paths, '{"t": <t>, "p": <p>, "s": "<t>/<p>"}')) == {
        "t": 12.5,
        "p": False,
        "s": "12.5/false",
    }


def test_objects_in_a_string_template_lose_their_quotes() -> None:
    assert render({"items": "$.detail.items"}, "items: <items>") == "items: [{sku:A-1,qty:2},{sku:B-2,qty:1}]"


def test_json_output_is_minified_but_string_contents_are_kept() -> None:
    body = render({"id": "$.detail.orderId"}, '{\n  "id" : <id>,\n  "text": "a  b\\t c"\n}')
    assert body == '{"id":"o-1","text":"a  b\\t c"}'


def test_json_template_that_does_not_parse_is_not_deliverable() -> None:
    with pytest.raises(NotDeliverable):
        render({"id": "$.detail.orderId"}, '{"id": <id>')


# --- InputPath and Input ---------------------------------------------------------------------------


def test_input_path_returns_json_text() -> None:
    assert InputPath("$.detail.items[1]").apply(EVENT) == '{"sku":"B-2","qty":1}'
    assert InputPath("$.detail.orderId").apply(EVENT) == '"o-1"'
    assert InputPath("$.detail.total").apply(EVENT) == "12.5"


def test_input_path_that_selects_nothing_is_not_deliverable() -> None:
    with pytest.raises(NotDeliverable):
        InputPath("$.detail.nope").apply(EVENT)


def test_constant_input_is_validated_and_delivered_verbatim() -> None:
    assert ConstantInput('{ "a" : 1 }').apply(EVENT) == '{ "a" : 1 }'
    with pytest.raises(InvalidTargetInput) as raised:
        ConstantInput("{not json", target_id="t-2")
    assert raised.value.message == "Input for target t-2 is not a valid JSON text."
