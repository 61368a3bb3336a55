"""load_rules(): the AWS::Events::Rule resources of a SAM/CloudFormation template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bus.patterns import compile_pattern
from bus.template import RuleSpec, TemplateError, load_rules

REPO = Path(__file__).resolve().parents[2]

# load_rules reads AWS::Events::Rule resources as written; the consumers' rules are SAM function
# events (EventBridgeRule), which load_template expands (tests/unit/test_template_config.py).
REPO_RULES = {
    "CustomerNotificationsRule": ("notify-customer", "NotificationsDestination"),
}


@pytest.fixture(scope="module")
def repo_rules() -> list[RuleSpec]:
    return load_rules(REPO / "template.yaml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repo_template_has_its_written_rules_in_order(repo_rules: list[RuleSpec]) -> None:
    assert [r.logical_id for r in repo_rules] == list(REPO_RULES)
    for rule in repo_rules:
        assert rule.bus == "OrdersBus"
        assert rule.enabled
        assert rule.schedule is None
        assert rule.description


def test_repo_template_targets(repo_rules: list[RuleSpec]) -> None:
    for rule in repo_rules:
        assert [(t.id, t.arn) for t in rule.targets] == [REPO_RULES[rule.logical_id]]


def test_repo_template_input_transformer(repo_rules: list[RuleSpec]) -> None:
    (target,) = repo_rules[0].targets
    assert target.input_transformer is not None
    paths = target.input_transformer["InputPathsMap"]
    assert paths["orderId"] == "$.detail.data.orderId"
    assert paths["kind"] == "$.detail-type"
    assert paths["correlationId"] == "$.detail.metadata.correlation-id"
    assert '"template": <kind>' in target.input_transformer["InputTemplate"]


def test_repo_template_patterns_are_json_and_compile(repo_rules: list[RuleSpec]) -> None:
    for rule in repo_rules:
        assert rule.event_pattern is not None
        assert json.loads(rule.event_pattern)["source"]
        compile_pattern(rule.event_pattern)
    notify = compile_pattern(repo_rules[0].event_pattern or "")
    shipped = {"source": "com.choreo.shipping", "detail-type": "OrderShipped", "detail": {}}
    assert notify.matches(shipped)
    assert not notify.matches({**shipped, "detail-type": "PaymentSucceeded"})


SHORT_FORMS = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Sub "${AWS::StackName}-bus"
  Queue:
    Type: AWS::SQS::Queue
  Watch:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      State: DISABLED
      EventPattern:
        source: [shop.orders]
        detail:
          total: [{numeric: [">", 10]}]
      Targets:
        - Id: by-getatt
          Arn: !GetAtt Queue.Arn
          InputPath: $.detail
        - Id: by-sub
          Arn: !Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:queue"
          Input: '{"fixed": true}'
        - Id: by-getatt-list
          Arn:
            Fn::GetAtt: [Queue, Arn]
  Tick:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(5 minutes)
      Targets:
        - Id: plain
          Arn: arn:aws:lambda:us-east-1:123456789012:function:tick
"""


def test_short_form_tags(tmp_path: Path) -> None:
    watch, tick = load_rules(write(tmp_path, SHORT_FORMS))
    assert watch.logical_id == "Watch"
    assert watch.bus == "Bus"
    assert not watch.enabled
    assert [(t.id, t.arn) for t in watch.targets] == [
        ("by-getatt", "Queue"),
        ("by-sub", "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:queue"),
        ("by-getatt-list", "Queue"),
    ]
    assert watch.targets[0].input_path == "$.detail"
    assert watch.targets[1].input == '{"fixed": true}'
    assert watch.event_pattern is not None
    assert compile_pattern(watch.event_pattern).matches({"source": "shop.orders", "detail": {"total": 11}})
    assert tick.bus == "default"
    assert tick.event_pattern is None
    assert tick.schedule == "rate(5 minutes)"
    assert tick.enabled


def test_pattern_given_as_a_json_string(tmp_path: Path) -> None:
    text = """\
Resources:
  R:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: '{"source": ["x"], "detail": {"n": [1]}}'
"""
    (rule,) = load_rules(write(tmp_path, text))
    assert rule.event_pattern == '{"source": ["x"], "detail": {"n": [1]}}'


def test_template_without_rules(tmp_path: Path) -> None:
    assert load_rules(write(tmp_path, "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")) == []


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"absent\.yaml"):
        load_rules(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    "text",
    ["Resources: [\n", "a: b: c\n", "Resources:\n  R:\n    Type: AWS::Events::Rule\n   Properties: {}\n"],
    ids=["unclosed-flow", "nested-mapping", "bad-indent"],
)
def test_malformed_yaml(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TemplateError, match=r"template\.yaml"):
        load_rules(path)


@pytest.mark.parametrize(
    "text", ["", "Foo: 1\n", "- 1\n- 2\n", "Resources: 5\n"], ids=["empty", "no-resources", "list", "scalar"]
)
def test_no_resources_section(tmp_path: Path, text: str) -> None:
    with pytest.raises(TemplateError):
        load_rules(write(tmp_path, text))


RULE = "Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n"


@pytest.mark.parametrize(
    "target",
    ["        - Id: t\n", "        - Arn: arn:aws:sqs:us-east-1:123456789012:q\n"],
    ids=["no-arn", "no-id"],
)
def test_target_without_id_or_arn(tmp_path: Path, target: str) -> None:
    with pytest.raises(TemplateError, match="R"):
        load_rules(write(tmp_path, RULE + "      Targets:\n" + target))


@pytest.mark.parametrize(
    "properties",
    ["      Targets:\n        - 5\n", "      Targets: 5\n", "      Targets:\n        - [a, b]\n"],
    ids=["scalar-target", "scalar-targets", "list-target"],
)
def test_malformed_targets_are_template_errors(tmp_path: Path, properties: str) -> None:
    with pytest.raises(TemplateError):
        load_rules(write(tmp_path, RULE + properties))


def test_scalar_properties_are_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError):
        load_rules(write(tmp_path, "Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties: 5\n"))


def test_unquoted_date_in_a_pattern_is_text_not_a_crash(tmp_path: Path) -> None:
    """YAML reads 2024-01-01 as a date; in a pattern it can only mean the string."""
    path = write(tmp_path, RULE + "      EventPattern:\n        time: [{prefix: 2024-01-01}]\n")
    try:
        (rule,) = load_rules(path)
    except TemplateError:
        return  # refusing it clearly is acceptable too
    assert rule.event_pattern is not None
    assert compile_pattern(rule.event_pattern).matches({"time": "2024-01-01T10:00:00Z"})
