"""The function properties the local runtime reads, as load_template gives them."""

from __future__ import annotations

from bus.functions import FunctionSpec, InvokeConfig
from bus.template import load_template
from tests.functions.conftest import APPS, TEMPLATE


def test_sam_function_properties_reach_the_runtime() -> None:
    functions = {f.name: f for f in load_template(TEMPLATE).functions}
    fail = FunctionSpec.of(functions["fail"], default_concurrency=2)
    behave = FunctionSpec.of(functions["behave"], default_concurrency=2)
    shipping = FunctionSpec.of(functions["shipping"], default_concurrency=2)

    assert fail.code_dir == str((APPS / "basic").resolve())
    assert fail.handler == "app.fail"
    assert fail.timeout == 10  # Globals
    assert fail.concurrency == 2  # the default, without ReservedConcurrentExecutions
    assert fail.dead_letter_arn == "arn:aws:sqs:us-east-1:123456789012:dead-letters"
    assert fail.invoke == InvokeConfig(
        maximum_retry_attempts=2,
        maximum_event_age=600,
        on_failure="arn:aws:events:us-east-1:123456789012:event-bus/shop",
    )
    assert (behave.timeout, behave.concurrency, behave.memory) == (1, 1, 128)
    assert shipping.tracing == "Active" and fail.tracing == "PassThrough"
    assert dict(shipping.environment) == {"STAGE": "test", "BUS_NAME": "shop"}
    assert FunctionSpec.of(functions["closed"], default_concurrency=2).concurrency == 0


def test_aws_defaults_for_asynchronous_invocation() -> None:
    config = InvokeConfig.of(None)
    assert (config.maximum_retry_attempts, config.maximum_event_age) == (2, 21_600)
    assert config.on_success is None and config.on_failure is None
