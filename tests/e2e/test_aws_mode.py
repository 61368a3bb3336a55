"""The aws mode's own code path, exercised against whatever ``stack`` the session deployed.

``TEST_MODE=aws`` differs from the local mode in one place: the stack's outputs come from
CloudFormation's ``DescribeStacks`` (``stack_from_cloudformation``). Here a CloudFormation stand-in
(botocore's Stubber, answering exactly what DescribeStacks answers for this template's stack)
hands that function the outputs of the session's deployment; everything after it, placing orders,
the temporary observer queue and rule, reading a DLQ, is the code both modes share. What this
proves and what it does not is written down in docs/testing.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from tests.e2e.driver import Stack, dead_letters, observe, place_orders, stack_from_cloudformation

STACK_NAME = "choreo-e2e"


def cloudformation_stand_in(outputs: dict[str, str], *, region: str) -> tuple[object, Stubber]:
    client = boto3.client(
        "cloudformation", region_name=region, aws_access_key_id="stand-in", aws_secret_access_key="stand-in"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": STACK_NAME,
                    "StackId": f"arn:aws:cloudformation:{region}:123456789012:stack/{STACK_NAME}/0f1e2d3c",
                    "CreationTime": datetime(2026, 11, 27, tzinfo=UTC),
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                }
            ]
        },
        {"StackName": STACK_NAME},
    )
    stubber.activate()
    return client, stubber


def test_the_aws_mode_reads_the_stack_outputs_and_drives_the_saga(stack: Stack) -> None:
    client, stubber = cloudformation_stand_in(stack.outputs, region=stack.region)
    aws = stack_from_cloudformation(client, STACK_NAME, endpoint=stack.endpoint)
    stubber.assert_no_pending_responses()
    assert aws == stack  # every output the template declares, nothing lost on the way
    prefix = f"aws-mode-{datetime.now(UTC):%H%M%S%f}"
    with observe(aws) as observer:
        # seed 14: order 2's charge is never answered by the provider, order 3 ships (tests/saga)
        placed = place_orders(aws, 3, seed=14, prefix=prefix)
        stuck, shipped = placed[1]["orderId"], placed[2]["orderId"]
        observer.wait_for(
            "the first order to ship",
            lambda: "OrderShipped" in {e["detail-type"] for e in observer.of_order(shipped)},
        )

        def dead_lettered() -> bool:
            return len(dead_letters(aws, "PaymentsDeadLetterQueueUrl", order_ids={stuck})) == 1

        observer.wait_for("the unanswered charge in the payments DLQ", dead_lettered)


def test_a_stack_without_this_templates_outputs_is_refused(stack: Stack) -> None:
    client, _ = cloudformation_stand_in({"SomethingElse": "x"}, region=stack.region)
    with pytest.raises(LookupError, match="OrdersBusName"):
        stack_from_cloudformation(client, STACK_NAME)
