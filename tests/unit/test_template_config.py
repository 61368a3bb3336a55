"""load_template(): a SAM/CloudFormation template as the engine's records (bus.template)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bus.model import RetryPolicy, RuleState
from bus.patterns import compile_pattern
from bus.template import Configuration, TemplateError, load_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "tests" / "templates"
ACCOUNT, REGION = "123456789012", "us-east-1"
EVENTS = f"arn:aws:events:{REGION}:{ACCOUNT}"
SQS = f"arn:aws:sqs:{REGION}:{ACCOUNT}"
LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"


def write(tmp_path: Path, text: str, name: str = "template.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------
# The repository's template.yaml
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def repo() -> Configuration:
    return load_template(REPO / "template.yaml")


DEAD_LETTER_QUEUES = ["Delivery", "Inventory", "Payments", "Shipping", "Notifications"]


def test_repo_template_bus_archive_and_queues(repo: Configuration) -> None:
    (bus,) = repo.buses
    assert (bus.name, bus.arn) == ("choreo-orders", f"{EVENTS}:event-bus/choreo-orders")
    (archive,) = repo.archives
    assert archive.source_arn == bus.arn
    assert archive.retention_days == 30  # the parameter's default
    assert archive.event_pattern is None  # every event, replays included, for debugging
    assert [q.name for q in repo.queues] == [f"choreo-{name}DeadLetterQueue" for name in DEAD_LETTER_QUEUES]
    dlq = repo.queues[0]
    assert dlq.url == f"http://127.0.0.1:4010/{ACCOUNT}/choreo-DeliveryDeadLetterQueue"
    assert (dlq.arn, dlq.message_retention_seconds) == (f"{SQS}:choreo-DeliveryDeadLetterQueue", 1_209_600)
    assert [r.type for r in repo.schema_registries + repo.schema_discoverers] == [
        "AWS::EventSchemas::Registry",
        "AWS::EventSchemas::Discoverer",
    ]
    # what the engine does not run locally is named, not silently dropped
    assert repo.skipped == (
        "IdempotencyTable (AWS::DynamoDB::Table): not loaded; choreo does not model this type",
    )


def test_repo_template_rules_targets_and_dead_letters(repo: Configuration) -> None:
    consumers = {
        "ReserveStockFunctionOrderPlacedV1": ("reserve-stock", "ReserveStockFunction"),
        "ReleaseStockFunctionPaymentFailed": ("release-stock", "ReleaseStockFunction"),
        "ChargePaymentFunctionStockReserved": ("charge-payment", "ChargePaymentFunction"),
        "ShipOrderFunctionPaymentSucceeded": ("ship-order", "ShipOrderFunction"),
    }
    names = ["CustomerNotificationsRule", *consumers]
    assert [r.name for r in repo.rules] == [f"choreo-{logical_id}" for logical_id in names]
    for rule in repo.rules[1:]:
        logical_id = rule.name.removeprefix("choreo-")
        assert rule.bus == "choreo-orders"
        assert rule.arn == f"{EVENTS}:rule/choreo-orders/choreo-{logical_id}" == repo.logical_ids[logical_id]
        assert rule.state is RuleState.ENABLED
        compile_pattern(rule.event_pattern or "")
        (target,) = repo.targets_of(rule)
        target_id, function = consumers[logical_id]
        assert (target.id, target.arn) == (target_id, f"{LAMBDA}:choreo-{function}")
        assert target.retry_policy == RetryPolicy(185, 86_400)
        assert target.dead_letter_config is not None
        assert target.dead_letter_config.arn == f"{SQS}:choreo-DeliveryDeadLetterQueue"
    (notify,) = repo.targets_of(repo.rules[0])
    assert notify.arn == repo.logical_ids["NotificationsDestination"]
    assert notify.retry_policy == RetryPolicy(4, 900)
    assert notify.dead_letter_config is not None
    assert notify.dead_letter_config.arn == f"{SQS}:choreo-NotificationsDeadLetterQueue"
    assert notify.input_transformer is not None
    assert notify.input_transformer.input_paths_map["orderId"] == "$.detail.data.orderId"
    assert "<correlationId>" in notify.input_transformer.input_template


def test_repo_template_functions(repo: Configuration) -> None:
    by_name = {f.logical_id: f for f in repo.functions}
    assert sorted(by_name) == [
        "ChargePaymentFunction",
        "ReleaseStockFunction",
        "ReserveStockFunction",
        "ShipOrderFunction",
    ]
    charge = by_name["ChargePaymentFunction"]
    assert (charge.handler, charge.runtime, charge.code_uri) == (
        "consumers.payments.app.charge_order",
        "python3.11",
        ".",
    )
    assert charge.environment["EVENT_BUS_NAME"] == "choreo-orders"
    assert charge.environment["CHOREO_DEAD_LETTER_QUEUE_URL"].endswith("/choreo-PaymentsDeadLetterQueue")
    assert charge.event_invoke_config is not None and charge.event_invoke_config["MaximumRetryAttempts"] == 0
    ship = by_name["ShipOrderFunction"]
    assert ship.event_invoke_config is not None and ship.event_invoke_config["MaximumRetryAttempts"] == 2
    assert ship.dead_letter_config == {"TargetArn": f"{SQS}:choreo-ShippingDeadLetterQueue"}


def test_repo_template_pins_inventory_to_order_placed_v1(repo: Configuration) -> None:
    reserve = next(r for r in repo.rules if r.name.endswith("ReserveStockFunctionOrderPlacedV1"))
    pattern = compile_pattern(reserve.event_pattern or "")
    order = {"source": "com.choreo.orders", "detail-type": "OrderPlaced"}
    assert pattern.matches({**order, "detail": {"metadata": {"schema-version": "1.1"}}})
    assert not pattern.matches({**order, "detail": {"metadata": {"schema-version": "2.0"}}})


def test_parameter_override_and_stack_options(tmp_path: Path) -> None:
    config = load_template(
        REPO / "template.yaml",
        parameters={"RetentionDays": "7"},
        account="111122223333",
        region="eu-west-1",
        stack_name="shop",
        endpoint="http://localhost:9324/",
    )
    assert config.archives[0].retention_days == 7
    assert config.buses[0].arn == "arn:aws:events:eu-west-1:111122223333:event-bus/shop-orders"
    assert config.queues[0].url == "http://localhost:9324/111122223333/shop-DeliveryDeadLetterQueue"


# ----------------------------------------------------------------------------------------------
# SAM: functions with EventBridgeRule and Schedule events
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sam() -> Configuration:
    return load_template(TEMPLATES / "sam_functions.yaml")


def test_sam_event_bridge_rule_becomes_a_rule_with_a_lambda_target(sam: Configuration) -> None:
    rule = {r.name: r for r in sam.rules}["choreo-InvoiceFunctionOrderPlaced"]
    assert rule.bus == "shop"
    assert json.loads(rule.event_pattern or "") == {
        "source": ["com.shop.orders"],
        "detail-type": ["OrderPlaced"],
    }
    (target,) = sam.targets[rule.arn]
    assert (target.id, target.arn) == ("invoice", f"{LAMBDA}:choreo-InvoiceFunction")
    assert target.retry_policy == RetryPolicy(3, 600)
    assert target.dead_letter_config is not None
    assert target.dead_letter_config.arn == f"{SQS}:choreo-FailedEvents"
    assert target.input_transformer is not None
    assert target.input_transformer.input_paths_map == {"order": "$.detail.orderId"}
    assert target.input_transformer.input_template == '{"order": <order>}'


def test_sam_schedule_events(sam: Configuration) -> None:
    rules = {r.name: r for r in sam.rules}
    nightly = rules["choreo-InvoiceFunctionNightly"]
    assert (nightly.bus, nightly.event_pattern) == ("default", None)
    assert nightly.schedule_expression == "cron(0 2 * * ? *)"
    assert nightly.state is RuleState.DISABLED
    (target,) = sam.targets_of(nightly)
    assert (target.arn, target.input) == (f"{LAMBDA}:choreo-InvoiceFunction", '{"report": "daily"}')
    ping = rules["choreo-PingEvery5Minutes"]
    assert (ping.schedule_expression, ping.state) == ("rate(5 minutes)", RuleState.ENABLED)
    assert [t.arn for t in sam.targets_of(ping)] == [f"{LAMBDA}:ping"]


def test_sam_functions(sam: Configuration) -> None:
    invoice, ping = sam.functions
    assert (invoice.logical_id, invoice.name, invoice.arn) == (
        "InvoiceFunction",
        "choreo-InvoiceFunction",
        f"{LAMBDA}:choreo-InvoiceFunction",
    )
    assert (invoice.handler, invoice.runtime, invoice.code_uri) == (
        "app.handler",
        "python3.12",
        "src/invoices/",
    )
    assert invoice.environment == {"STAGE": "test", "BUS_NAME": "shop"}  # Globals merged by SAM
    assert (invoice.timeout, invoice.memory, invoice.reserved_concurrency) == (10, 256, 2)
    assert invoice.role == f"arn:aws:iam::{ACCOUNT}:role/choreo-InvoiceFunctionRole"
    assert invoice.dead_letter_config == {"TargetArn": f"{SQS}:choreo-FailedEvents"}
    assert invoice.event_invoke_config == {
        "MaximumRetryAttempts": 1,
        "MaximumEventAgeInSeconds": 300,
        "DestinationConfig": {"OnFailure": {"Destination": f"{SQS}:choreo-FailedEvents"}},
    }
    assert (ping.name, ping.code_uri, ping.timeout, ping.memory) == ("ping", None, 10, 128)
    assert ping.inline_code is not None and "def handler" in ping.inline_code
    assert sam.skipped == ()  # roles and permissions have no local effect


def test_sam_expansion_reads_no_aws_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent"))
    config = load_template(TEMPLATES / "sam_functions.yaml", region="cn-north-1")
    assert (
        config.functions[0].arn == "arn:aws-cn:lambda:cn-north-1:123456789012:function:choreo-InvoiceFunction"
    )
    assert config.functions[0].role == "arn:aws-cn:iam::123456789012:role/choreo-InvoiceFunctionRole"


def test_sam_errors_name_the_resource(tmp_path: Path) -> None:
    text = (TEMPLATES / "sam_functions.yaml").read_text(encoding="utf-8")
    broken = text.replace("            Pattern:\n", "            NotAPattern:\n")
    with pytest.raises(TemplateError, match=r"InvoiceFunction.*Pattern") as caught:
        load_template(write(tmp_path, broken))
    assert "SAM transform failed" in str(caught.value)


def test_nested_applications_and_stray_invoke_configs_are_noticed(tmp_path: Path) -> None:
    text = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Shared:
    Type: AWS::Serverless::Application
    Properties:
      Location:
        ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/x
        SemanticVersion: 1.0.0
  Elsewhere:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: not-here, Qualifier: $LATEST, MaximumRetryAttempts: 0}
"""
    assert load_template(write(tmp_path, text)).skipped == (
        "Shared (AWS::Serverless::Application): nested applications are not loaded locally",
        "Elsewhere (AWS::Lambda::EventInvokeConfig): function not-here is not in the template; not loaded",
    )


def test_serverless_resources_without_the_transform_are_skipped(tmp_path: Path) -> None:
    text = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: a.b}\n"
    config = load_template(write(tmp_path, text))
    (notice,) = config.skipped
    assert notice.startswith("Fn (AWS::Serverless::Function)") and "Transform" in notice


# ----------------------------------------------------------------------------------------------
# Intrinsics, conditions, parameters
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dev() -> Configuration:
    return load_template(TEMPLATES / "intrinsics.yaml")


@pytest.fixture(scope="module")
def prod() -> Configuration:
    return load_template(
        TEMPLATES / "intrinsics.yaml", parameters={"Env": "prod", "Retention": "14"}, stack_name="shop-blue"
    )


def test_ref_join_sub_and_pseudo_parameters(dev: Configuration) -> None:
    (bus,) = dev.buses
    assert bus.name == "choreo-dev-bus"  # Fn::Join of AWS::StackName and a parameter
    assert bus.description == "us-east-1a,us-east-1b,us-east-1c"  # Fn::GetAZs
    (group,) = dev.log_groups
    assert group.name == "/aws/events/choreo/dev"  # Fn::Sub with ${AWS::StackName} and ${Env}
    assert group.arn == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/events/choreo/dev:*"
    assert group.retention_days is None  # Fn::If to AWS::NoValue removes the property
    (queue,) = dev.queues
    assert queue.name == "choreo-jobs.fifo"  # Fn::Sub with variables, Fn::Select, Fn::Split
    assert (queue.fifo, queue.visibility_timeout) == (True, 45)  # "45" read as an integer


def test_pattern_from_list_parameter_and_pseudo_parameters(dev: Configuration) -> None:
    route = dev.rules[0]
    assert route.bus == "choreo-dev-bus"  # EventBusName given as the bus's ARN
    assert json.loads(route.event_pattern or "") == {
        "source": ["com.shop.orders", "com.shop.payments"],
        "account": [ACCOUNT],
        "region": [REGION],
        "detail": {"env": ["dev"]},
    }


def test_targets_resolved(dev: Configuration) -> None:
    route, tick = dev.rules
    audit, jobs, hook, topic = dev.targets_of(route)  # the prod-only target is AWS::NoValue in dev
    assert audit.arn == dev.log_groups[0].arn
    assert json.loads(jobs.input or "") == {
        "queue": "choreo-jobs.fifo",
        "url": f"http://127.0.0.1:4010/{ACCOUNT}/choreo-jobs.fifo",
        "aws": "aws amazonaws.com",
        "raw": "${Literal}",
    }
    assert jobs.retry_policy == RetryPolicy(2, 86_400)  # Fn::FindInMap; the age keeps AWS's default
    assert hook.arn == f"{EVENTS}:api-destination/choreo-Hook"
    assert hook.role_arn == f"arn:aws:iam::{ACCOUNT}:role/invoke-api-destinations"
    assert (hook.input_path, hook.http_parameters) == ("$.detail", {"HeaderParameters": {"x-env": "dev"}})
    assert topic.arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:choreo-Topic"  # Ref of a topic is its ARN
    assert (tick.name, tick.arn, tick.bus) == ("tick", f"{EVENTS}:rule/tick", "default")
    (tick_target,) = dev.targets_of(tick)
    assert json.loads(tick_target.input or "") == {
        "route": "choreo-dev-bus|choreo-Route",  # Ref of a rule on a custom bus
        "routeArn": route.arn,
        "stack": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/choreo/local",
    }


def test_raw_resources(dev: Configuration) -> None:
    (connection,) = dev.connections
    assert connection.arn == f"{EVENTS}:connection/choreo-Hooks"
    assert connection.properties["Description"] == "aG9va3M="  # Fn::Base64
    assert connection.properties["AuthParameters"]["ApiKeyAuthParameters"]["ApiKeyValue"] == "dev-key"
    (destination,) = dev.api_destinations
    assert destination.properties["ConnectionArn"] == connection.arn
    assert destination.properties["InvocationEndpoint"] == "https://hooks.example.com/events"
    (registry,) = dev.schema_registries
    assert (registry.name, registry.arn) == (
        "choreo-schemas",
        f"arn:aws:schemas:{REGION}:{ACCOUNT}:registry/choreo-schemas",
    )
    (discoverer,) = dev.schema_discoverers
    assert discoverer.properties["SourceArn"] == dev.buses[0].arn


def test_conditions_in_dev(dev: Configuration) -> None:
    assert dev.rules[0].state is RuleState.DISABLED  # Fn::If on IsDev
    assert dev.archives == ()  # Condition KeepsEvents is false
    assert "ProdOnlyQueue" not in dev.logical_ids


def test_conditions_and_overrides_in_prod(prod: Configuration) -> None:
    route = prod.rules[0]
    assert route.state is RuleState.ENABLED
    assert prod.buses[0].name == "shop-blue-prod-bus"
    assert [q.name for q in prod.queues] == ["shop-jobs.fifo", "shop-blue-ProdOnlyQueue"]
    assert [t.id for t in prod.targets_of(route)] == ["audit", "jobs", "hook", "prod-only", "topic"]
    assert prod.targets_of(route)[1].retry_policy.maximum_retry_attempts == 50
    (archive,) = prod.archives
    assert (archive.name, archive.retention_days) == ("shop-blue-Archive", 14)
    assert archive.event_pattern is None
    assert prod.log_groups[0].retention_days == 30


def test_a_name_that_is_no_value_is_generated(tmp_path: Path) -> None:
    text = """\
Conditions:
  Never: !Equals [a, b]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !If [Never, named, !Ref AWS::NoValue]
"""
    assert load_template(write(tmp_path, text)).queues[0].name == "choreo-Queue"


def test_unknown_types_and_target_properties_are_noticed(dev: Configuration) -> None:
    assert dev.skipped == (
        "Topic (AWS::SNS::Topic): not loaded; choreo does not model this type",
        "Route.Targets[1] (jobs): SqsParameters not loaded; choreo does not model it",
        "Subscription (AWS::SNS::Subscription): not loaded; choreo does not model this type",
    )


RULE = """\
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {pattern}
      Targets:
        - Id: q
          Arn: !GetAtt Queue.Arn
"""


def test_pattern_json_string_kept_and_yaml_dates_stay_text(tmp_path: Path) -> None:
    text = RULE.format(pattern="""'{"source": ["x"], "detail": {"n": [1]}}'""")
    assert (
        load_template(write(tmp_path, text)).rules[0].event_pattern
        == '{"source": ["x"], "detail": {"n": [1]}}'
    )
    text = RULE.format(pattern="{time: [{prefix: 2024-01-01}], day: [2024-01-01T10:00:00Z]}")
    pattern = load_template(write(tmp_path, text)).rules[0].event_pattern
    assert json.loads(pattern or "") == {"time": [{"prefix": "2024-01-01"}], "day": ["2024-01-01T10:00:00Z"]}


def test_json_template(tmp_path: Path) -> None:
    doc = {
        "Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "plain"}},
            "R": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {"source": ["a"]},
                    "Targets": [{"Id": "q", "Arn": {"Fn::GetAtt": "Q.Arn"}}],
                },
            },
        }
    }
    config = load_template(write(tmp_path, json.dumps(doc, indent="\t"), "template.json"))
    assert config.targets_of(config.rules[0])[0].arn == f"{SQS}:plain"


# ----------------------------------------------------------------------------------------------
# Errors: the file, the resource and the reason
# ----------------------------------------------------------------------------------------------
QUEUE = "  Queue:\n    Type: AWS::SQS::Queue\n"
TARGET = "        - Id: q\n          Arn: !GetAtt Queue.Arn\n"


def rule(properties: str, targets: str = TARGET) -> str:
    return f"Resources:\n{QUEUE}  Rule:\n    Type: AWS::Events::Rule\n    Properties:\n{properties}" + (
        f"      Targets:\n{targets}" if targets else ""
    )


PATTERN = "      EventPattern: {source: [a]}\n"


@pytest.mark.parametrize(
    ("text", "resource", "reason"),
    [
        (
            rule(PATTERN, TARGET.replace("GetAtt Queue", "GetAtt Missing")),
            "Rule",
            "no resource named 'Missing'",
        ),
        (
            rule(PATTERN, "        - Id: q\n          Arn: !Ref Nope\n"),
            "Rule",
            "Ref Nope: no parameter or resource",
        ),
        (
            rule(PATTERN, TARGET.replace("Queue.Arn", "Queue.Nope")),
            "Rule",
            r"Queue\.Nope: AWS::SQS::Queue has no",
        ),
        (rule(PATTERN, TARGET * 6), "Rule", "6 targets; a rule can have at most 5"),
        (rule(PATTERN, TARGET * 2), "Rule", "target ids must be unique in a rule: q"),
        (
            rule(PATTERN, TARGET + "          RetryPolicy: {MaximumRetryAttempts: 186}\n"),
            "Rule",
            "186 is outside 0..185",
        ),
        (
            rule(PATTERN, TARGET + "          RetryPolicy: {MaximumEventAgeInSeconds: 59}\n"),
            "Rule",
            "59 is outside 60..86400",
        ),
        (
            rule(PATTERN, TARGET + "          RetryPolicy: {MaximumRetryAttempts: many}\n"),
            "Rule",
            "must be an integer",
        ),
        (
            rule(PATTERN, TARGET + "          Input: x\n          InputPath: $.a\n"),
            "Rule",
            "Only one of Input, InputPath, or InputTransformer must be provided for target q",
        ),
        (
            rule(PATTERN, TARGET + "          Input: not json\n"),
            "Rule",
            "Input for target q is not a valid JSON text",
        ),
        (
            rule(PATTERN, TARGET + "          InputTransformer: {InputTemplate: '<who>'}\n"),
            "Rule",
            "InputTemplate for target q contains invalid placeholder who",
        ),
        (
            rule(PATTERN, TARGET + "          DeadLetterConfig: {}\n"),
            "Rule",
            r"DeadLetterConfig: Arn is required",
        ),
        (rule(PATTERN, "        - Arn: !GetAtt Queue.Arn\n"), "Rule", "Id is required"),
        (rule(PATTERN + "      Targets: 5\n", targets=""), "Rule", "Targets: must be a list"),
        (
            rule("      EventPattern: {source: []}\n"),
            "Rule",
            "Event pattern is not valid. Reason: Empty arrays are not allowed",
        ),
        (rule("      EventPattern: '{\"a\": 1}'\n"), "Rule", "Event pattern is not valid. Reason: "),
        (rule("      EventPattern: [a]\n"), "Rule", "must be a JSON object or a JSON string"),
        (
            rule("      Description: no pattern\n"),
            "Rule",
            "needs an EventPattern, a ScheduleExpression or both",
        ),
        (rule(PATTERN + "      State: PAUSED\n"), "Rule", "'PAUSED' is not one of ENABLED"),
        (
            rule(PATTERN + "      Name: !ImportValue shared-name\n"),
            "Rule",
            "Fn::ImportValue reads another stack",
        ),
        (rule(PATTERN + "      Name: !Cidr [10.0.0.0/16, 2, 8]\n"), "Rule", "Fn::Cidr is not supported"),
        (rule(PATTERN + "      Name: !Select [3, [a, b]]\n"), "Rule", "index 3 is not within the 2 values"),
        (rule(PATTERN + "      Description: !Equals [a, b]\n"), "Rule", "only allowed in Conditions"),
        (rule(PATTERN + "      Name: !GetAtt Rule.Arn\n"), "Rule", "Rule refers to itself"),
        (
            f"Resources:\n{QUEUE.replace('Queue:', 'Q:')}    Properties: {{VisibilityTimeout: soon}}\n",
            "Q",
            r"Q\.VisibilityTimeout: must be an integer",
        ),
        (
            f"Resources:\n{QUEUE}    Properties: {{QueueName: jobs, FifoQueue: true}}\n",
            "Queue",
            "must end in .fifo",
        ),
        (
            f"Resources:\n{QUEUE}  Role:\n    Type: AWS::IAM::Role\n    Properties: {{Path: !Ref Nowhere}}\n",
            "Role",
            "Ref Nowhere",  # references are checked in resources choreo does not load, too
        ),
        (f"Resources:\n{QUEUE}    Condition: Nope\n", "Queue", "no condition named 'Nope'"),
        (
            f"Conditions:\n  Never: !Equals [a, b]\nResources:\n{QUEUE}    Condition: Never\n"
            "  Bus:\n    Type: AWS::Events::EventBus\n    Properties: {Name: !GetAtt Queue.QueueName}\n",
            "Bus",
            "Queue is not created",
        ),
        (
            "Resources:\n  Bus:\n    Type: AWS::Events::EventBus\n    Properties: 5\n",
            "Bus",
            "must be a mapping",
        ),
        ("Resources:\n  Bus:\n    Properties: {}\n", "Bus", "Type is required"),
    ],
)
def test_errors_name_the_resource(tmp_path: Path, text: str, resource: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TemplateError, match=reason) as caught:
        load_template(path)
    assert caught.value.resource == resource
    assert str(caught.value).startswith(f"{path}: {resource}")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Resources: [\n", "not a readable template"),
        ("Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n", "duplicate key 'A'"),
        ("", "not a template"),
        ("Description: nothing\n", "no Resources section"),
        ("Resources: {}\n", "no Resources section"),
        (
            "Transform: AWS::LanguageExtensions\nResources:\n" + QUEUE,
            "Transform: AWS::LanguageExtensions not",
        ),
        ("Parameters:\n  P: {Type: String}\nResources:\n" + QUEUE, r"Parameters\.P: no Default"),
        ("Parameters:\n  P: {Type: Number, Default: x}\nResources:\n" + QUEUE, "'x' is not a number"),
        ("Parameters:\n  P: {Type: Number, Default: 5, MaxValue: 4}\nResources:\n" + QUEUE, "above MaxValue"),
        (
            "Parameters:\n  P: {Default: c, AllowedValues: [a, b]}\nResources:\n" + QUEUE,
            "not one of the Allowed",
        ),
        ("Conditions:\n  C: !Equals [a]\nResources:\n" + QUEUE + "    Condition: C\n", "Fn::Equals takes"),
        ("Conditions:\n  C: !Condition C\nResources:\n" + QUEUE + "    Condition: C\n", "depends on itself"),
    ],
)
def test_template_errors(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TemplateError, match=reason) as caught:
        load_template(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_missing_file_and_undeclared_override(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"absent\.yaml: no such file"):
        load_template(tmp_path / "absent.yaml")
    with pytest.raises(TemplateError, match="Parameters: Nope not declared"):
        load_template(REPO / "template.yaml", parameters={"Nope": "1"})
    with pytest.raises(TemplateError, match="is below MinValue 0"):
        load_template(REPO / "template.yaml", parameters={"RetentionDays": "-1"})
