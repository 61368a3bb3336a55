"""Puts an event back on the bus with boto3, through AWS_ENDPOINT_URL (the local engine)."""

import json
import os

import boto3

events = boto3.client("events")


def handler(event, context):
    order = event["detail"]["order"]
    answer = events.put_events(
        Entries=[
            {
                "Source": "tests.shipping",
                "DetailType": "OrderShipped",
                "Detail": json.dumps({"order": order, "by": context.function_name}),
                "EventBusName": os.environ["BUS_NAME"],
            }
        ]
    )
    return {"failed": answer["FailedEntryCount"], "trace": os.environ.get("_X_AMZN_TRACE_ID")}
